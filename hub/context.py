"""The plain data recipes see: the event, its item, requester, organization and message.

Conditions and templates work on these dicts, never on ORM objects, so a template cannot
reach the database and the same data can be shown as a "test with the last event" preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.content.html import html_to_text
from webapp.models import Customer, Event, Item, Message, Organization, Project


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def organization_data(org: Organization | None) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "domains": [d.domain for d in org.domains]}


def customer_data(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.id, "email": customer.email, "name": customer.name or customer.email,
        "phone": customer.phone, "organization": customer.organization.name
        if customer.organization else None, "organization_id": customer.organization_id,
    }


def item_data(item: Item) -> dict[str, Any]:
    project: Project = item.project
    return {
        "id": item.id, "kind": item.kind.value, "title": item.title,
        "description": html_to_text(item.description), "priority": item.priority,
        "status": item.status.name, "status_id": item.status_id,
        "status_category": item.status.category.value, "type": item.item_type.name,
        "item_type_id": item.item_type_id, "project": project.name, "project_id": project.id,
        "organization": project.organization.name if project.organization else None,
        "folder": item.folder.name if item.folder else None,
        "due_at": _iso(item.due_at), "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at), "custom": dict(item.custom_values or {}),
        "assignee_ids": [u.id for u in item.assignee_users],
        "assignees": [u.username for u in item.assignee_users],
        "team_ids": [t.id for t in item.assignee_teams],
        "teams": [t.name for t in item.assignee_teams],
        "follower_emails": [u.email for u in item.follower_users]
        + [c.email for c in item.follower_customers],
        "requester_id": item.requester_id, "percent_complete": item.percent_complete,
    }


_ITEM_GRAPH = (
    joinedload(Item.project).joinedload(Project.organization),
    joinedload(Item.status), joinedload(Item.item_type), joinedload(Item.folder),
    joinedload(Item.requester).joinedload(Customer.organization),
    selectinload(Item.assignee_users), selectinload(Item.assignee_teams),
    selectinload(Item.follower_users), selectinload(Item.follower_customers),
)


def subject_item(session: Session, event: Event) -> Item | None:
    """The item an event is about (directly, or through its message or timesheet), with
    what the recipe context reads loaded in a few queries rather than one per relation."""
    item_id = event.subject_id if event.subject_type == "item" else \
        (event.data or {}).get("item_id")
    if not item_id:
        return None
    return session.get(Item, item_id, options=_ITEM_GRAPH)


class LazyContext(Mapping[str, Any]):
    """The recipe context, built on first use (many actions render no template)."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._data: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._build()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


_NOT_LOADED: Any = object()


def build_context(session: Session, event: Event, item: Item | None = _NOT_LOADED
                  ) -> dict[str, Any]:
    """The context of ``event``; pass ``item`` when it is loaded already."""
    if item is _NOT_LOADED:
        item = subject_item(session, event)
    requester = item.requester if item is not None else None
    context: dict[str, Any] = {
        "event": {
            "id": event.id, "type": event.type, "subject_type": event.subject_type,
            "subject_id": event.subject_id, "diff": event.diff or {}, "data": event.data or {},
            "created_at": _iso(event.created_at), "actor_user_id": event.actor_user_id,
            "actor_customer_id": event.actor_customer_id,
        },
        "item": item_data(item) if item is not None else None,
        "requester": customer_data(requester),
        "organization": organization_data(requester.organization if requester else None),
    }
    if event.subject_type == "message":
        message = session.get(Message, event.subject_id)
        if message is not None:
            author = message.author_user or message.author_customer
            context["message"] = {
                "id": message.id, "public": message.is_public,
                "body": html_to_text(message.body_html),
                "author": getattr(author, "email", None),
                "by_customer": message.author_customer_id is not None,
            }
    if event.subject_type == "customer":
        customer = session.get(Customer, event.subject_id)
        context["customer"] = customer_data(customer)
        if customer is not None:
            context["organization"] = organization_data(customer.organization)
    if event.subject_type == "organization":
        context["organization"] = organization_data(session.get(Organization, event.subject_id))
    return context
