"""Row-level visibility.

Admin sees everything. Agents and Read-only users see the projects of the teams they belong
to plus projects granted to them personally, and everything inside those projects.
Collaborators see only items they created or are assigned to (directly or through a team).
The rules of every other model are in ``rules.py``: each mapped model has one, and a model
without a rule is refused (``NoVisibilityRule``), never shown. A user without a staff role
sees no rows at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from webapp.models import (
    Attachment,
    Event,
    Folder,
    Item,
    Message,
    Project,
    ProjectGrant,
    Timesheet,
)
from webapp.models.items import item_assignee_team, item_assignee_user
from webapp.models.projects import project_team
from webapp.models.teams import team_member

ROLE_ADMIN = "Admin"
ROLE_AGENT = "Agent"
ROLE_COLLABORATOR = "Collaborator"
ROLE_READ_ONLY = "Read-only"
STAFF_ROLES = frozenset({ROLE_ADMIN, ROLE_AGENT, ROLE_COLLABORATOR, ROLE_READ_ONLY})


@dataclass(frozen=True)
class Viewer:
    """The user a query is made for, reduced to what visibility needs."""

    user_id: int | None
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles

    @property
    def sees_team_projects(self) -> bool:
        return bool(self.roles & {ROLE_AGENT, ROLE_READ_ONLY})

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @classmethod
    def for_user(cls, user: Any) -> Viewer:
        if user is None or not getattr(user, "id", None):
            return cls(None, frozenset())
        return cls(user.id, frozenset(role.name for role in user.roles))


ANONYMOUS = Viewer(None, frozenset())
SYSTEM = Viewer(None, frozenset({ROLE_ADMIN}))
"""Seeding and automation act as the system: allowed everywhere, still checked by the rules."""


def current_viewer() -> Viewer:
    """The viewer of the current request (browser session, JWT or API key)."""
    viewer = g.get("relaydesk_viewer")
    if viewer is not None:
        return viewer
    user = current_app.appbuilder.sm.current_user
    viewer = Viewer.for_user(user) if user is not None else ANONYMOUS
    if viewer.user_id is not None:
        g.relaydesk_viewer = viewer
    return viewer


class NoVisibilityRule(LookupError):
    """A model was queried for a viewer but nobody decided who may see its rows."""


def staff_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Every staff member sees every row (configuration and the directories)."""
    return true() if viewer.is_staff else false()


def team_ids(viewer: Viewer) -> Select[Any]:
    return select(team_member.c.team_id).where(team_member.c.user_id == viewer.user_id)


def member_project_ids(viewer: Viewer) -> Select[Any]:
    """Ids of projects the viewer's teams belong to, or granted to the viewer."""
    by_team = select(project_team.c.project_id).where(project_team.c.team_id.in_(team_ids(viewer)))
    granted = select(ProjectGrant.project_id).where(ProjectGrant.user_id == viewer.user_id)
    return by_team.union(granted)


def _project_rule(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.is_staff:
        return Project.id.in_(member_project_ids(viewer))
    return false()


def _item_rule(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.sees_team_projects:
        return Item.project_id.in_(member_project_ids(viewer))
    if ROLE_COLLABORATOR in viewer.roles:
        assigned = select(item_assignee_user.c.item_id).where(
            item_assignee_user.c.user_id == viewer.user_id
        )
        team_assigned = select(item_assignee_team.c.item_id).where(
            item_assignee_team.c.team_id.in_(team_ids(viewer))
        )
        return or_(
            Item.created_by_id == viewer.user_id,
            Item.id.in_(assigned),
            Item.id.in_(team_assigned),
        )
    return false()


def _visible_item_ids(viewer: Viewer) -> Select[Any]:
    return select(Item.id).where(_item_rule(viewer))


RULES: dict[type, Callable[[Viewer], ColumnElement[bool]]] = {
    Project: _project_rule,
    Folder: lambda v: Folder.project_id.in_(select(Project.id).where(_project_rule(v))),
    ProjectGrant: lambda v: ProjectGrant.project_id.in_(
        select(Project.id).where(_project_rule(v))
    ),
    Item: _item_rule,
    Message: lambda v: Message.item_id.in_(_visible_item_ids(v)),
    Attachment: lambda v: Attachment.item_id.in_(_visible_item_ids(v)),
    Timesheet: lambda v: Timesheet.item_id.in_(_visible_item_ids(v)),
}


def _event_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Events follow their subject: staff see the history of what they may see."""
    if not viewer.is_staff:
        return false()
    visible = {
        "item": _visible_item_ids(viewer),
        "message": select(Message.id).where(RULES[Message](viewer)),
        "timesheet": select(Timesheet.id).where(RULES[Timesheet](viewer)),
        "project": select(Project.id).where(_project_rule(viewer)),
    }
    return or_(
        Event.subject_type.in_(("customer", "organization")),
        *[and_(Event.subject_type == kind, Event.subject_id.in_(ids))
          for kind, ids in visible.items()],
    )


RULES[Event] = _event_rule


def visibility_follows(model: type, viewer: Viewer) -> str | None:
    """The relationship whose target the viewer sees exactly when they see the row itself
    (so a checked reference proves the row visible), or None."""
    if model is Item and viewer.sees_team_projects:
        return "project"
    if model in (Folder, ProjectGrant) and viewer.is_staff:
        return "project"
    return None


def known_visible(model: type, viewer: Viewer) -> set[int]:
    """Ids of ``model`` already found visible to ``viewer`` in this request (add to it)."""
    if not has_request_context():
        return set()
    memo: dict[tuple[type, Viewer], set[int]] = g.setdefault("relaydesk_visible_ids", {})
    return memo.setdefault((model, viewer), set())


def load_visible(session: Session, model: type, pk: int, viewer: Viewer) -> Any:
    """The row with id ``pk`` if ``viewer`` may see it (remembered for this request), else None."""
    row = session.scalars(
        select(model).where(model.id == pk, visibility_clause(model, viewer))
    ).first()
    if row is not None:
        known_visible(model, viewer).add(pk)
    return row


def _rule(model: type) -> Callable[[Viewer], ColumnElement[bool]]:
    rule = RULES.get(model)
    if rule is None:
        raise NoVisibilityRule(f"{model.__name__} has no visibility rule (webapp/access/rules.py)")
    return rule


def is_scoped(model: type) -> bool:
    """Whether some staff member may not see some row of ``model`` (its references need a
    check on write)."""
    return _rule(model) is not staff_rule


def visibility_clause(model: type, viewer: Viewer) -> ColumnElement[bool]:
    """The WHERE clause that limits ``model`` to the rows ``viewer`` may see."""
    rule = _rule(model)
    return true() if viewer.is_admin else rule(viewer)


def visible_query(model: type, viewer: Viewer) -> Select[Any]:
    return select(model).where(visibility_clause(model, viewer))


def is_visible(session: Session, obj: Any, viewer: Viewer) -> bool:
    """Per-record check paired with the list rule (same clause, one row)."""
    model = type(obj)
    if _rule(model) is staff_rule or viewer.is_admin:
        return viewer.is_staff
    found = session.execute(
        select(model.id).where(model.id == obj.id, visibility_clause(model, viewer))
    ).first()
    return found is not None
