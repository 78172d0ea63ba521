"""Which projects no agent can see, and which customer entry points file into them.

A project is seen by the agents of its teams and the agents it is granted to
(``scope.member_project_ids``). One with neither — no team with an active agent, no grant to
an active agent — is seen by admins only: requests a support address, portal or web form
files there reach nobody. This is the one rule every such warning uses (the add/edit screens
and the admin's home page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import assoc_user_role
from sqlalchemy import CompoundSelect, Select, select
from sqlalchemy.orm import Session

from webapp.access.scope import ROLE_AGENT
from webapp.models import Portal, Project, ProjectGrant, Role, SupportAddress, User, WebForm
from webapp.models.projects import project_team
from webapp.models.teams import team_member


def _active_agents() -> Select[tuple[int]]:
    return (select(User.id).join(assoc_user_role, assoc_user_role.c.user_id == User.id)
            .join(Role, Role.id == assoc_user_role.c.role_id)
            .where(User.active.is_(True), Role.name == ROLE_AGENT))


def seen_project_ids() -> CompoundSelect[tuple[int]]:
    """Ids of projects at least one active agent sees (through a team or a grant)."""
    agents = _active_agents()
    by_team = (select(project_team.c.project_id)
               .join(team_member, team_member.c.team_id == project_team.c.team_id)
               .where(team_member.c.user_id.in_(agents)))
    granted = select(ProjectGrant.project_id).where(ProjectGrant.user_id.in_(agents))
    return by_team.union(granted)


def unseen_project_ids(session: Session, project_ids: Iterable[int | None]) -> set[int]:
    """Those of ``project_ids`` that no agent can see."""
    wanted = {pid for pid in project_ids if pid is not None}
    if not wanted:
        return set()
    seen = set(session.scalars(select(Project.id).where(
        Project.id.in_(wanted), Project.id.in_(seen_project_ids()))))
    return wanted - seen


@dataclass(frozen=True)
class UnseenDestination:
    """A customer entry point that files requests into a project no agent can see."""

    kind: str  # "support address", "portal", "web form"
    name: str
    row_id: int
    project_id: int
    project_name: str

    @property
    def message(self) -> str:
        return (f"The {self.kind} “{self.name}” files requests into the project "
                f"“{self.project_name}”, which no agent can see (it has no team with an "
                "active agent and is granted to no agent): only admins will see those "
                "requests. Add a team to the project, or grant it to an agent, or point the "
                f"{self.kind} at another project.")


def _destination(row: SupportAddress | Portal | WebForm) -> tuple[str, str, int | None]:
    if isinstance(row, SupportAddress):
        return "support address", row.address, row.project_id
    if isinstance(row, Portal):
        return "portal", row.name, row.project_id
    # A web form files into its own project, else its portal's; a survey files nothing.
    if row.is_survey:
        return "web form", row.name, None
    portal_project = row.portal.project_id if row.portal is not None else None
    return "web form", row.name, row.project_id or portal_project


def unseen_destinations(session: Session,
                        rows: Iterable[SupportAddress | Portal | WebForm] | None = None
                        ) -> list[UnseenDestination]:
    """Of ``rows`` (default: every enabled support address, every portal, every active
    request form), those filing into a project no agent can see."""
    if rows is None:
        rows = [*session.scalars(select(SupportAddress).where(SupportAddress.enabled.is_(True))
                                 .order_by(SupportAddress.address)),
                *session.scalars(select(Portal).order_by(Portal.name)),
                *session.scalars(select(WebForm).where(WebForm.active.is_(True))
                                 .order_by(WebForm.name))]
    targets = [(row, *_destination(row)) for row in rows]
    unseen = unseen_project_ids(session, [pid for *_rest, pid in targets])
    if not unseen:
        return []
    names = dict(session.execute(select(Project.id, Project.name)
                                 .where(Project.id.in_(unseen))).tuples().all())
    return [UnseenDestination(kind, name, row.id, pid, names[pid])
            for row, kind, name, pid in targets if pid in unseen]
