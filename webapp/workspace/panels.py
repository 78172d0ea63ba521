"""The side panels of the ticket page: the properties (with the choices each field offers),
the SLA timers, and the requester with their organization, other tickets and ratings.

Every choice is limited to what the viewer may use (the write check refuses the rest anyway):
statuses of the item's own type, staff who may see the item, projects the viewer sees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from webapp.access.scope import ROLE_ADMIN, ROLE_AGENT, Viewer, visibility_clause
from webapp.models import (
    Folder,
    Item,
    ItemSla,
    ItemType,
    Project,
    ProjectGrant,
    Role,
    SatisfactionRating,
    Status,
    StatusCategory,
    Team,
    User,
    utcnow,
)
from webapp.models.projects import project_team
from webapp.models.teams import team_member
from webapp.workspace.present import full_time, iso_utc, person_name, relative_time

OTHER_TICKETS = 6
RATINGS = 5


def _staff_seeing(session: Session, item: Item) -> list[User]:
    """Active staff who may see ``item``: admins, and agents of the project's teams or with a
    grant on it (collaborators see only what is theirs, so they are not offered)."""
    team_members = select(team_member.c.user_id).where(team_member.c.team_id.in_(
        select(project_team.c.team_id).where(project_team.c.project_id == item.project_id)))
    granted = select(ProjectGrant.user_id).where(ProjectGrant.project_id == item.project_id)
    users = session.scalars(
        select(User).where(User.active.is_(True), User.roles.any(or_(
            Role.name == ROLE_ADMIN,
            Role.name == ROLE_AGENT,
        )))).unique().all()
    allowed = set(session.scalars(team_members.union(granted)).all())
    chosen = [u for u in users
              if any(r.name == ROLE_ADMIN for r in u.roles) or u.id in allowed]
    # People already on the item stay listed (so they can be removed).
    present = {u.id for u in chosen}
    chosen += [u for u in [*item.assignee_users, *item.follower_users] if u.id not in present]
    unique = {u.id: u for u in chosen}
    return sorted(unique.values(), key=lambda u: person_name(u).lower())


def property_options(session: Session, viewer: Viewer, item: Item) -> dict[str, Any]:
    """The choices of each field of the properties panel."""
    staff = [{"id": u.id, "name": person_name(u)} for u in _staff_seeing(session, item)]
    projects = session.scalars(select(Project).where(visibility_clause(Project, viewer))
                               .order_by(Project.name)).all()
    folders = session.scalars(select(Folder).where(Folder.project_id == item.project_id)
                              .order_by(Folder.name)).all()
    types = session.scalars(select(ItemType).where(ItemType.kind == item.kind)
                            .order_by(ItemType.name)).all()
    return {
        "statuses": [{"id": s.id, "name": s.name, "colour": s.colour,
                      "done": s.category == StatusCategory.DONE}
                     for s in item.item_type.statuses],
        "types": [{"id": t.id, "name": t.name,
                   "first_status": t.statuses[0].id if t.statuses else None,
                   "field_keys": ",".join(f.key for f in t.custom_fields)} for t in types],
        "staff": staff,
        "teams": [{"id": t.id, "name": t.name}
                  for t in session.scalars(select(Team).order_by(Team.name)).all()],
        "projects": [{"id": p.id, "name": p.name} for p in projects],
        "folders": [{"id": f.id, "name": f.name} for f in folders],
        "custom_fields": list(item.item_type.custom_fields),
    }


@dataclass(frozen=True)
class Timer:
    label: str
    state: str  # "ok", "warning", "breached", "met"
    text: str
    due_title: str
    due_iso: str | None


def _timer(label: str, due: dt.datetime | None, warn: dt.datetime | None,
           met: dt.datetime | None, now: dt.datetime) -> Timer | None:
    if due is None:
        return None
    if met is not None:
        state = "met" if met <= due else "breached"
        text = (lazy_gettext("met %(when)s", when=relative_time(met, now)) if state == "met"
                else lazy_gettext("met late, %(when)s", when=relative_time(met, now)))
    elif due <= now:
        state, text = "breached", lazy_gettext("breached %(when)s", when=relative_time(due, now))
    else:
        state = "warning" if warn is not None and warn <= now else "ok"
        text = lazy_gettext("due %(when)s", when=relative_time(due, now))
    return Timer(label, state, str(text), full_time(due), iso_utc(due))


def sla_timers(session: Session, item: Item, now: dt.datetime | None = None) -> list[Timer]:
    """First response and resolution: remaining time, warning, breached or met."""
    clock = session.scalar(select(ItemSla).where(ItemSla.item_id == item.id))
    if clock is None:
        return []
    now = now or utcnow()
    timers = [
        _timer(str(lazy_gettext("First response")), clock.first_response_due_at,
               clock.first_response_warn_at, clock.first_responded_at, now),
        _timer(str(lazy_gettext("Resolution")), clock.resolution_due_at,
               clock.resolution_warn_at, clock.resolved_at, now),
    ]
    return [t for t in timers if t is not None]


def requester_panel(session: Session, viewer: Viewer, item: Item) -> dict[str, Any] | None:
    """The requester's contact details, organization, their other tickets the viewer may
    see (open first, then recent) and their satisfaction ratings."""
    customer = item.requester
    if customer is None:
        return None
    others = session.execute(
        select(Item.id, Item.title, Status.name, Status.category, Item.updated_at)
        .join(Status, Status.id == Item.status_id)
        .where(Item.requester_id == customer.id, Item.id != item.id,
               visibility_clause(Item, viewer))
        .order_by((Status.category == StatusCategory.DONE).asc(), Item.updated_at.desc())
        .limit(OTHER_TICKETS)).all()
    ratings = session.execute(
        select(SatisfactionRating.score, SatisfactionRating.comment,
               SatisfactionRating.created_at, Item.id, Item.title)
        .join(Item, Item.id == SatisfactionRating.item_id)
        .where(SatisfactionRating.customer_id == customer.id, visibility_clause(Item, viewer))
        .order_by(SatisfactionRating.created_at.desc()).limit(RATINGS)).all()
    return {
        "name": customer.name or "", "email": customer.email, "phone": customer.phone or "",
        "organization": customer.organization.name if customer.organization else "",
        "others": [{"id": r[0], "title": r[1], "status": r[2],
                    "open": r[3] != StatusCategory.DONE, "when": relative_time(r[4]),
                    "when_title": full_time(r[4])} for r in others],
        "ratings": [{"score": r[0], "comment": r[1] or "", "when": relative_time(r[2]),
                     "when_title": full_time(r[2]), "item_id": r[3], "title": r[4]}
                    for r in ratings],
    }
