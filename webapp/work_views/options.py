"""The choices the filter bar offers, limited to what the viewer may see."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, visibility_clause
from webapp.models import (
    CustomField,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
    User,
)
from webapp.views.display import person_name


def filter_options(session: Session, viewer: Viewer) -> dict[str, list[dict[str, Any]]]:
    """``{argument: [{"value", "label"}]}`` for each choice filter of the bar."""
    projects = list(session.scalars(select(Project).where(
        visibility_clause(Project, viewer), Project.is_template.is_(False))
        .order_by(Project.name)))
    portfolio_ids = {p.portfolio_id for p in projects if p.portfolio_id}
    types = list(session.scalars(select(ItemType).order_by(ItemType.kind, ItemType.name)))
    statuses = list(session.scalars(select(Status).order_by(Status.item_type_id,
                                                            Status.position)))
    type_names = {t.id: t.name for t in types}

    def choices(rows: list[Any], label: Any = str) -> list[dict[str, Any]]:
        return [{"value": str(r.id), "label": label(r)} for r in rows]

    return {
        "kind": [{"value": "ticket", "label": gettext("Tickets")},
                 {"value": "task", "label": gettext("Tasks")}],
        "type": choices(types, lambda t: f"{t.name} ({t.kind.value})"),
        "status": choices(statuses, lambda s: f"{type_names.get(s.item_type_id, '')}: {s.name}"),
        "category": [{"value": c, "label": label} for c, label in
                     (("new", gettext("New")), ("in_progress", gettext("In progress")),
                      ("done", gettext("Done")))],
        "priority": [{"value": str(p), "label": "★" * p or gettext("none")} for p in range(6)],
        "assignee": [{"value": "me", "label": gettext("Me")}] + choices(
            list(session.scalars(select(User).where(User.active.is_(True))
                                 .order_by(User.first_name, User.last_name))),
            person_name),
        "team": choices(list(session.scalars(select(Team).order_by(Team.name)))),
        "project": choices(projects, lambda p: p.name),
        "portfolio": choices(list(session.scalars(select(Portfolio).where(
            Portfolio.id.in_(portfolio_ids)).order_by(Portfolio.name))) if portfolio_ids
            else [], lambda p: p.name),
        "organization": choices(list(session.scalars(select(Organization)
                                                     .order_by(Organization.name)))),
        "sla": [{"value": s, "label": label} for s, label in
                (("ok", gettext("On track")), ("warning", gettext("Warning")),
                 ("breached", gettext("Breached")), ("none", gettext("No SLA")))],
    }


def custom_field_keys(session: Session) -> list[dict[str, Any]]:
    """Custom fields one can filter by (``cf.<key>``), one entry per key."""
    seen: dict[str, dict[str, Any]] = {}
    for cf in session.scalars(select(CustomField).order_by(CustomField.label)):
        seen.setdefault(cf.key, {"key": cf.key, "label": cf.label,
                                 "type": cf.field_type.value, "choices": cf.choices or []})
    return list(seen.values())
