"""What the recipe editor's trigger picker offers: the event types that exist (the product's
``KNOWN_EVENTS``, imported so the list is kept in one place; ``inbound.<slug>`` endpoints are
searched while typing) and, for each, the fields a condition or template can read.

The context groups mirror ``hub.context.build_context``;
tests/webapp/views/test_recipe_event_fields.py compares them with real events' contexts.
``event.data`` of a model change is the row's columns, read from the model's mapper.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from webapp.commands.webhooks import KNOWN_EVENTS
from webapp.models import (
    Customer,
    InboundEndpoint,
    Item,
    Message,
    Organization,
    Project,
    Timesheet,
)

EVENT = ("event.id", "event.type", "event.subject_type", "event.subject_id", "event.diff",
         "event.data", "event.created_at", "event.actor_user_id", "event.actor_customer_id")
PERSON = ("id", "email", "name", "phone", "organization", "organization_id")
GROUPS: dict[str, tuple[str, ...]] = {
    "event": EVENT,
    "item": tuple(f"item.{name}" for name in (
        "id", "kind", "title", "description", "priority", "status", "status_id",
        "status_category", "type", "item_type_id", "project", "project_id", "organization",
        "folder", "due_at", "created_at", "updated_at", "custom", "assignee_ids", "assignees",
        "team_ids", "teams", "follower_emails", "requester_id", "percent_complete")),
    "requester": tuple(f"requester.{name}" for name in PERSON),
    "organization": ("organization.id", "organization.name", "organization.domains"),
    "message": tuple(f"message.{name}" for name in
                     ("id", "public", "body", "author", "by_customer")),
    "customer": tuple(f"customer.{name}" for name in PERSON),
}
# Families whose events are changes of a row (event.data = its columns).
FAMILY_MODELS: dict[str, type] = {
    "ticket": Item, "task": Item, "message": Message, "project": Project,
    "customer": Customer, "organization": Organization, "timesheet": Timesheet,
}
# Families whose events concern an item (the item, its requester and organization).
ITEM_FAMILIES = ("ticket", "task", "message", "timesheet", "sla", "mail")
# event.data of events that are not (only) a row's columns.
EXTRA_DATA: dict[str, tuple[str, ...]] = {
    "sla.warning": ("item_id", "target", "due_at", "policy"),
    "sla.breached": ("item_id", "target", "due_at", "policy"),
    "ticket.idle": ("rule", "hours", "status", "since"),
    "task.idle": ("rule", "hours", "status", "since"),
    "ticket.rated": ("item_id", "rating_id", "score", "previous_score", "comment",
                     "customer_id"),
    "mail.received": ("inbound_mail_id", "item_id", "message_id", "new_item", "sender",
                      "subject", "support_address", "acknowledge"),
    "mail.rejected": ("inbound_mail_id", "reason", "sender", "subject"),
    "webhook_endpoint.disabled": ("id", "name", "url", "reason", "cause", "subscription",
                                  "owner_user_id", "failing_since", "disabled_at"),
    "security.login_failed": ("username", "address", "locked", "failures", "retry_after"),
    "inbound": ("type", "payload", "message_id", "request_id", "endpoint"),
}
CHANGE_VERBS = ("updated", "status_changed", "assigned", "converted")


def _columns(model: type) -> list[str]:
    """What the outbox snapshots of a row: its columns and ``<collection>_ids``."""
    mapper: Any = inspect(model)
    return [attr.key for attr in mapper.column_attrs] + \
        [f"{rel.key}_ids" for rel in mapper.relationships if rel.secondary is not None]


def trigger_problem(session: Session, value: str) -> str | None:
    """Why ``value`` is not an event type that exists here, nor ``family.*`` / ``*`` (None
    when it is)."""
    families = {name.split(".", 1)[0] for name in KNOWN_EVENTS} | {"inbound"}
    family, _, name = value.partition(".")
    if value == "*" or value in KNOWN_EVENTS or (name == "*" and family in families):
        return None
    if family == "inbound" and session.scalar(
            select(InboundEndpoint.id).where(InboundEndpoint.slug == name)) is not None:
        return None
    return (f"{value!r} is not an event type here; pick one of the list (e.g. "
            "ticket.created, ticket.*, *) or a configured inbound.<slug>")


def event_fields(event_type: str) -> dict[str, list[str]]:
    """``{group: [path, …]}`` a recipe on ``event_type`` (or ``family.*``) can read."""
    family, _, verb = event_type.partition(".")
    fields: dict[str, list[str]] = {}
    if family in ITEM_FAMILIES:
        fields["item"] = list(GROUPS["item"])
        fields["requester"] = list(GROUPS["requester"])
        fields["organization"] = list(GROUPS["organization"])
    if family == "message":
        fields["message"] = list(GROUPS["message"])
    if family == "customer":
        fields["customer"] = list(GROUPS["customer"])
        fields["organization"] = list(GROUPS["organization"])
    if family == "organization":
        fields["organization"] = list(GROUPS["organization"])
    fields["event"] = list(EVENT)
    data: list[str] = []
    extra = EXTRA_DATA.get(event_type) or EXTRA_DATA.get(family)
    if extra:
        data += extra
    if family in FAMILY_MODELS and verb not in ("idle", "rated"):
        data += _columns(FAMILY_MODELS[family])
    if data:
        fields["event.data"] = [f"event.data.{name}" for name in dict.fromkeys(data)]
    if family in FAMILY_MODELS and verb in (*CHANGE_VERBS, "*"):
        changed = _columns(FAMILY_MODELS[family])
        if FAMILY_MODELS[family] is Item:
            changed += ["status", "item_type"]  # names beside the ids (the outbox adds them)
        fields["event.diff"] = [f"event.diff.{name}.{side}" for name in changed
                                for side in ("before", "after")]
    return fields


def trigger_families() -> list[dict[str, Any]]:
    """The picker's groups: each family with its event types, in ``KNOWN_EVENTS`` order
    (the fields of one are asked for when it is picked: ``event_fields``)."""
    families: dict[str, list[str]] = {}
    for name in KNOWN_EVENTS:
        families.setdefault(name.split(".", 1)[0], []).append(name)
    return [{"family": family, "events": events} for family, events in families.items()]
