"""Writing webhook endpoints (admin-made ones and REST hook subscriptions) and inbound
endpoints: validated, target URLs checked by the SSRF guard, secrets made here and encrypted.

A new endpoint's secret (``whsec_…``) is returned once, by the call that makes it (or rotates
it); afterwards only admins can read it again. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cryptography.fernet import MultiFernet
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from connectors.ssrf import Blocked, UrlGuard
from hub import signing
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid, NotFound
from webapp.commands.write_check import check_write
from webapp.config import duration_seconds
from webapp.models import INBOUND_SCHEMES, InboundEndpoint, WebhookEndpoint, utcnow

EVENT_PATTERN = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z0-9_.-]+))$")
SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")

#: Event types the product writes (REST hooks, polling triggers and the editor offer them;
#: ``inbound.<slug>`` of each configured inbound endpoint comes on top, see
#: ``known_event_types``). tests/hub/test_known_events.py reads the code's writers to keep this
#: list complete.
KNOWN_EVENTS = (
    "ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned",
    "ticket.converted", "ticket.deleted", "ticket.idle", "ticket.rated", "ticket.merged",
    "ticket.merged_into", "ticket.split", "task.created",
    "task.updated", "task.status_changed", "task.assigned", "task.deleted", "task.idle",
    "message.created", "message.updated", "message.deleted", "project.created",
    "project.updated", "project.deleted", "customer.created", "customer.updated",
    "customer.deleted", "organization.created", "organization.updated",
    "organization.deleted", "timesheet.created", "timesheet.updated", "timesheet.deleted",
    "sla.warning", "sla.breached", "mail.received", "mail.rejected",
    "webhook_endpoint.disabled", "security.login_failed",
)
#: Families whose members are configured at run time (``inbound.<slug>``): ``inbound.*`` is
#: a valid subscription before the first endpoint exists.
DYNAMIC_FAMILIES = ("inbound",)
EVENT_EXAMPLES = "e.g. ticket.created, ticket.* or *"


def url_guard(app: Flask) -> UrlGuard:
    return UrlGuard.from_config(app.config.get("WEBHOOK_ALLOWED_NETWORKS") or "")


def _check_url(guard: UrlGuard, url: str, field: str) -> dict[str, list[str]]:
    try:
        guard.check_url(url)
    except Blocked as exc:
        return {field: [str(exc)]}
    return {}


def known_event_types(session: Session) -> list[str]:
    """Every event type that can occur here: the product's and each inbound endpoint's."""
    with session.no_autoflush:  # a screen's form may have changed a row whose history counts
        slugs = list(session.scalars(select(InboundEndpoint.slug)
                                     .order_by(InboundEndpoint.slug)))
    return [*KNOWN_EVENTS, *(f"inbound.{slug}" for slug in slugs)]


def event_problem(session: Session, value: Any) -> str | None:
    """Why ``value`` is not an event type or a pattern matching one (None when it is)."""
    if not isinstance(value, str) or not EVENT_PATTERN.match(value):
        return f"{value!r} is not an event type; {EVENT_EXAMPLES}"
    if value == "*":
        return None
    family, _, name = value.partition(".")
    known = known_event_types(session)
    if name == "*":
        families = sorted({*DYNAMIC_FAMILIES, *(k.split(".", 1)[0] for k in known)})
        if family in families:
            return None
        return f"no event type matches {value!r}; families: {', '.join(families)}"
    if value in known:
        return None
    near = [k for k in known if k.startswith(f"{family}.")] or known
    return f"unknown event type {value!r}; known: {', '.join(near)}"


def _event_types(session: Session, value: Any,
                 field: str) -> tuple[list[str], dict[str, list[str]]]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    if not isinstance(value, list) or not value:
        return [], {field: [f"name at least one event type, {EVENT_EXAMPLES}"]}
    problems = [p for p in (event_problem(session, v) for v in value) if p]
    if problems:
        return [], {field: problems}
    return list(dict.fromkeys(value)), {}


class EndpointInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    event_types = fields.Raw(required=True)
    enabled = fields.Boolean(load_default=True)
    description = fields.String(load_default=None, allow_none=True)


def _load(schema: Schema, data: Any, partial: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid({"_schema": ["expected a JSON object"]})
    try:
        values: dict[str, Any] = schema.load(data, partial=partial)
    except ValidationError as exc:
        raise Invalid(exc.messages) from exc  # type: ignore[arg-type]
    if partial:
        values = {key: value for key, value in values.items() if key in data}
    return values


def save_endpoint(session: Session, cipher: MultiFernet, guard: UrlGuard, viewer: Viewer,
                  data: Any, endpoint: WebhookEndpoint | None = None, *,
                  owner_user_id: int | None = None,
                  new_row: WebhookEndpoint | None = None) -> tuple[WebhookEndpoint, str | None]:
    """Create (``endpoint`` None) or update an endpoint; returns it and, when new, its secret.
    Enabling a disabled endpoint again clears its failure state."""
    is_new = endpoint is None
    values = _load(EndpointInput(), data, partial=not is_new)
    errors: dict[str, Any] = {}
    if "url" in values:
        errors.update(_check_url(guard, values["url"], "url"))
    if "event_types" in values:
        values["event_types"], problems = _event_types(session, values["event_types"],
                                                       "event_types")
        errors.update(problems)
    if errors:
        raise Invalid(errors)
    row = endpoint or new_row or WebhookEndpoint()
    was_enabled = True
    if not is_new:  # a screen's form may have set the new value on the row already
        history = sa_inspect(row).attrs.enabled.history
        was_enabled = bool(history.deleted[0] if history.deleted else row.enabled)
    for key, value in values.items():
        setattr(row, key, value)
    secret = None
    if is_new:
        secret = signing.new_secret()
        row.set_secret(secret, cipher)
        row.owner_user_id = owner_user_id
    if row.enabled and not was_enabled:
        row.failing_since = None
        row.disabled_at = None
        row.disabled_reason = None
    check_write(session, row, viewer, is_new=is_new)
    return row, secret


def rotate_secret(session: Session, cipher: MultiFernet, endpoint: WebhookEndpoint,
                  grace_text: str) -> str:
    """A new secret for ``endpoint``; the current one keeps signing for the grace period."""
    try:
        grace = dt.timedelta(seconds=duration_seconds(grace_text))
    except ValueError as exc:
        raise Invalid({"grace": [str(exc)]}) from exc
    secret = signing.new_secret()
    endpoint.rotate_secret(secret, cipher, grace)
    session.flush()
    return secret


class SubscriptionInput(Schema):
    event = fields.String(required=True)
    target_url = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def subscribe(session: Session, cipher: MultiFernet, guard: UrlGuard, viewer: Viewer,
              data: Any) -> tuple[WebhookEndpoint, str]:
    """A REST hook: an endpoint bound to the caller, for one event type."""
    if viewer.user_id is None:
        raise Invalid({"_schema": ["only a signed-in user can subscribe"]})
    values = _load(SubscriptionInput(), data, partial=False)
    errors = _check_url(guard, values["target_url"], "target_url")
    problem = event_problem(session, values["event"])
    if problem:
        errors["event"] = [problem]
    if errors:
        raise Invalid(errors)
    row, secret = save_endpoint(session, cipher, guard, viewer, {
        "name": f"REST hook: {values['event']} → {values['target_url']}"[:200],
        "url": values["target_url"], "event_types": [values["event"]]},
        owner_user_id=viewer.user_id)
    assert secret is not None
    return row, secret


def own_subscription(session: Session, viewer: Viewer, pk: int) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, pk)
    if row is None or row.owner_user_id is None or (
            row.owner_user_id != viewer.user_id and not viewer.is_admin):
        raise NotFound({"id": [f"no subscription {pk} of yours"]})
    return row


class InboundInput(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(
        SLUG, error="lowercase letters, digits, - and _, starting with a letter"))
    name = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=200))
    scheme = fields.String(required=True, validate=validate.OneOf(
        INBOUND_SCHEMES, error="one of: {choices}"))
    secret = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=8, max=500))
    tolerance_seconds = fields.Integer(load_default=300, validate=validate.Range(min=1,
                                                                                 max=86400))
    enabled = fields.Boolean(load_default=True)
    description = fields.String(load_default=None, allow_none=True)


def save_inbound_endpoint(session: Session, cipher: MultiFernet, viewer: Viewer, data: Any,
                          endpoint: InboundEndpoint | None = None, *,
                          new_row: InboundEndpoint | None = None
                          ) -> tuple[InboundEndpoint, str | None]:
    """Create or update an inbound endpoint. The secret is the sender's (Stripe's ``whsec_…``
    signing secret) or, left out on create, one made here: only a made one is returned."""
    is_new = endpoint is None
    values = _load(InboundInput(), data, partial=not is_new)
    errors: dict[str, list[str]] = {}
    if "slug" in values:
        slug = values["slug"]
        query = select(InboundEndpoint.id).where(func.lower(InboundEndpoint.slug) == slug)
        if endpoint is not None:
            query = query.where(InboundEndpoint.id != endpoint.id)
        if session.scalar(query) is not None:
            errors["slug"] = ["an inbound endpoint with this slug exists"]
    secret = values.pop("secret", None)
    scheme = values.get("scheme") or (endpoint.scheme if endpoint is not None else None)
    if secret and scheme == "standardwebhooks":
        try:
            signing.secret_key(secret)
        except signing.SecretError as exc:
            errors["secret"] = [str(exc)]
    if errors:
        raise Invalid(errors)
    row = endpoint or new_row or InboundEndpoint()
    for key, value in values.items():
        setattr(row, key, value)
    if not row.name:
        row.name = row.slug
    made = signing.new_secret() if is_new and not secret else None
    if secret or made:
        row.set_secret(secret or made or "", cipher)
    check_write(session, row, viewer, is_new=is_new)
    return row, made


def reenable(endpoint: WebhookEndpoint) -> None:
    endpoint.enabled = True
    endpoint.failing_since = None
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.updated_at = utcnow()
