"""The new-ticket screen: type first (then only that type's statuses), the requester found as
one types or created inline, the project remembered per agent, priority 3 by default.

The ticket is created through the same write check as ``POST /api/v1/ticket/``
(``ScopedInterface``), with the new requester (if any) in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from webapp.access.interface import ScopedInterface
from webapp.access.scope import Viewer, visibility_clause
from webapp.commands.errors import Invalid
from webapp.content.html import plain_text_html
from webapp.models import (
    Customer,
    Item,
    ItemKind,
    ItemType,
    Project,
    StaffProfile,
)
from webapp.workspace.present import customer_name

DEFAULT_PRIORITY = 3
SEARCH_LIMIT = 10


def form_options(session: Session, viewer: Viewer) -> dict[str, Any]:
    """Ticket types with their statuses, the projects the viewer may file into, and the
    project this agent used last."""
    types = session.scalars(select(ItemType).where(ItemType.kind == ItemKind.TICKET)
                            .order_by(ItemType.is_default.desc(), ItemType.name)).all()
    projects = session.scalars(select(Project).where(visibility_clause(Project, viewer))
                               .order_by(Project.name)).all()
    profile = session.get(StaffProfile, viewer.user_id) if viewer.user_id else None
    last = profile.last_project_id if profile is not None else None
    return {
        "types": [{"id": t.id, "name": t.name,
                   "statuses": [{"id": s.id, "name": s.name} for s in t.statuses]}
                  for t in types],
        "projects": [{"id": p.id, "name": p.name} for p in projects],
        # The one this agent used last; with a single project to choose from, that one.
        "last_project_id": last if any(p.id == last for p in projects)
        else projects[0].id if len(projects) == 1 else None,
    }


def search_requesters(session: Session, viewer: Viewer, query: str) -> list[dict[str, Any]]:
    """Customers whose name or e-mail contains ``query`` (case-insensitive)."""
    text = query.strip().lower()
    if not text:
        return []
    pattern = f"%{text.replace('%', '').replace('_', '')}%"
    rows = session.scalars(
        select(Customer).where(visibility_clause(Customer, viewer),
                               or_(func.lower(Customer.email).like(pattern),
                                   func.lower(Customer.name).like(pattern)))
        .order_by(Customer.name, Customer.email).limit(SEARCH_LIMIT)).all()
    return [{"id": c.id, "name": customer_name(c), "email": c.email,
             "organization": c.organization.name if c.organization else ""} for c in rows]


def _int(form: MultiDict[str, str], name: str, errors: dict[str, list[str]],
         required: bool = True) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = [str(lazy_gettext("is required"))]
        return None
    try:
        return int(raw)
    except ValueError:
        errors[name] = [str(lazy_gettext("is not a number"))]
        return None


def _requester(session: Session, form: MultiDict[str, str],
               errors: dict[str, list[str]]) -> Customer | None:
    requester_id = _int(form, "requester", errors, required=False)
    if requester_id is not None:
        customer = session.get(Customer, requester_id)
        if customer is None:
            errors["requester"] = [str(lazy_gettext("no such requester"))]
        return customer
    email = (form.get("requester_email") or "").strip().lower()
    if not email:
        return None
    if "@" not in email or len(email) > 254:
        errors["requester_email"] = [str(lazy_gettext("is not an e-mail address"))]
        return None
    existing = session.scalar(select(Customer).where(Customer.email == email))
    if existing is not None:
        return existing
    customer = Customer(email=email, name=(form.get("requester_name") or "").strip() or None)
    ScopedInterface(Customer).add(customer, commit=False)
    return customer


def create_ticket(session: Session, viewer: Viewer, form: MultiDict[str, str]) -> Item:
    """The new ticket (committed), or ``Invalid`` naming every bad field."""
    errors: dict[str, list[str]] = {}
    title = (form.get("title") or "").strip()
    if not title:
        errors["title"] = [str(lazy_gettext("is required"))]
    type_id = _int(form, "item_type", errors)
    status_id = _int(form, "status", errors, required=False)
    project_id = _int(form, "project", errors)
    priority = _int(form, "priority", errors, required=False)
    if priority is None and "priority" not in errors:
        priority = DEFAULT_PRIORITY
    elif priority is not None and not 1 <= priority <= 5:
        errors["priority"] = [str(lazy_gettext("must be from 1 to 5 stars"))]
    item_type = session.get(ItemType, type_id) if type_id is not None else None
    if type_id is not None and (item_type is None or item_type.kind != ItemKind.TICKET):
        errors["item_type"] = [str(lazy_gettext("is not a ticket type"))]
    elif item_type is not None:
        ids = [s.id for s in item_type.statuses]
        if status_id is None and ids:
            status_id = ids[0]
        elif status_id not in ids:
            errors["status"] = [str(lazy_gettext("is not a status of this type"))]
    if errors:
        raise Invalid(errors)
    try:
        requester = _requester(session, form, errors)
        if errors:
            raise Invalid(errors)
        description = (form.get("description") or "").strip()
        item = Item(kind=ItemKind.TICKET, title=title, item_type_id=type_id,
                    status_id=status_id, project_id=project_id, priority=priority,
                    requester=requester, created_by_id=viewer.user_id,
                    description=plain_text_html(description) if description else None,
                    custom_values={})
        ScopedInterface(Item).add(item, commit=False)
        _remember_project(session, viewer, project_id)
        ScopedInterface(Item).commit()
    except Exception:
        session.rollback()
        raise
    return item


def _remember_project(session: Session, viewer: Viewer, project_id: int | None) -> None:
    if viewer.user_id is None:
        return
    profile = session.get(StaffProfile, viewer.user_id)
    if profile is None:
        session.add(StaffProfile(user_id=viewer.user_id, last_project_id=project_id))
    else:
        profile.last_project_id = project_id
