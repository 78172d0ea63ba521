"""What the recipe editor's name fields (connection, endpoint, project, user …) suggest while
the admin types: at most ``PAGE_SIZE`` rows the viewer may see, searched in the database,
instead of every row embedded in the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from webapp.access.interface import request_viewer
from webapp.access.scope import visibility_clause
from webapp.extensions import db
from webapp.models import (
    Connection,
    Customer,
    InboundEndpoint,
    ItemType,
    Organization,
    Project,
    SlaPolicy,
    Status,
    Team,
    User,
    WebhookEndpoint,
)
from webapp.views.related_picker import PAGE_SIZE, text_clauses


@dataclass(frozen=True)
class Lookup:
    model: type
    columns: tuple[str, ...]
    value: Callable[[Any], str]
    label: Callable[[Any], str]
    where: Callable[[dict[str, str]], list[Any]] = field(default=lambda args: [])


def _connector(args: dict[str, str]) -> list[Any]:
    return [Connection.connector == args["connector"]] if args.get("connector") else []


LOOKUPS: dict[str, Lookup] = {
    "events": Lookup(InboundEndpoint, ("slug", "name"), lambda r: f"inbound.{r.slug}",
                     lambda r: r.name),
    "connections": Lookup(Connection, ("name", "connector"), lambda r: r.name,
                          lambda r: f"{r.name} ({r.connector})", _connector),
    "endpoints": Lookup(WebhookEndpoint, ("name",), lambda r: r.name, lambda r: r.name,
                        lambda args: [WebhookEndpoint.owner_user_id.is_(None)]),
    "projects": Lookup(Project, ("name",), lambda r: r.name, lambda r: f"{r.name} (#{r.id})",
                       lambda args: [Project.is_template.is_(False)]),
    "templates": Lookup(Project, ("name",), lambda r: r.name, lambda r: f"{r.name} (#{r.id})",
                        lambda args: [Project.is_template.is_(True)]),
    "organizations": Lookup(Organization, ("name",), lambda r: r.name, lambda r: r.name),
    "customers": Lookup(Customer, ("email", "name"), lambda r: r.email, str),
    "users": Lookup(User, ("username", "first_name", "last_name", "email"),
                    lambda r: r.username, lambda r: f"{r.first_name} {r.last_name}".strip()),
    "teams": Lookup(Team, ("name",), lambda r: r.name, lambda r: r.name),
    "statuses": Lookup(Status, ("name",), lambda r: r.name,
                       lambda r: f"{r.name} ({r.item_type.name})"),
    "item_types": Lookup(ItemType, ("name",), lambda r: r.name,
                         lambda r: f"{r.name} ({r.kind.value})"),
    "sla_policies": Lookup(SlaPolicy, ("name",), lambda r: r.name, lambda r: r.name),
}

# Action input fields that name a row, and what they suggest.
FIELD_LOOKUPS = {
    "connection": "connections", "endpoint": "endpoints", "project": "projects",
    "template": "templates", "organization": "organizations", "requester": "customers",
    "customer": "customers", "customer_email": "customers", "user": "users", "team": "teams",
    "status": "statuses", "item_type": "item_types", "policy": "sla_policies",
}


def suggestions(kind: str, text: str, args: dict[str, str]) -> list[dict[str, str]]:
    """Up to ``PAGE_SIZE`` suggestions ``{"value", "label"}`` of ``kind`` matching ``text``."""
    spec = LOOKUPS[kind]
    model = spec.model
    columns = [getattr(model, name) for name in spec.columns]
    rows = db.session.scalars(
        select(model)
        .where(visibility_clause(model, request_viewer()), *spec.where(args),
               *text_clauses(text, columns, model.id))
        .order_by(columns[0], model.id).limit(PAGE_SIZE))
    return [{"value": spec.value(row), "label": spec.label(row)} for row in rows]
