"""Connector actions in recipes: every action of every connector, registered as kind "connector".

Each takes a ``connection`` (name or id) besides its own inputs. Running one loads the
connection, decrypts its credentials, and calls the connector through an HTTP client that
carries the connection's rate budget and this delivery's journal (idempotency keys persisted
before each call that must happen once, and the answers). A 429 pauses the whole connection.

A :class:`Binding` adapts a connector action to Relaydesk's data: its own form, ``prepare``
(read the database, give the connector its inputs) and ``apply`` (keep what the answer says:
external links, invoiced hours). Actions without a binding take the connector's inputs as they
are, from templates.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import JSON, Action, Connector, Credentials, Http
from connectors.errors import Permanent, RateLimited
from connectors.registry import CONNECTORS
from connectors.ssrf import UrlGuard
from hub.actions.registry import REGISTRY, ActionContext, ActionSpec
from hub.budget import Budget, budget_for
from webapp.models import Connection, ConnectorCall, ExternalLink, utcnow
from webapp.models.connections import CredentialsError, connection_cipher

log = logging.getLogger(__name__)

CONNECTION_FIELD = "connection"


def _connection_field() -> fields.String:
    return fields.String(required=True, metadata={
        "label": "Connection (name or id)",
        "help": "a connection of this connector (Automation → Connections)"})


def with_connection(schema: type[Schema], name: str) -> type[Schema]:
    """``schema`` plus the ``connection`` input, listed first."""
    form: type[Schema] = type(name, (schema,), {CONNECTION_FIELD: _connection_field()})
    declared = form._declared_fields
    form._declared_fields = {CONNECTION_FIELD: declared[CONNECTION_FIELD],
                             **{k: v for k, v in declared.items() if k != CONNECTION_FIELD}}
    return form


# ---------------------------------------------------------------- the journal


class DeliveryJournal:
    """Idempotency keys and answers of one delivery's calls, in ``connector_call``.

    Each write commits at once, in the delivery's own session: a key must be stored before
    its request leaves, and an answer must survive the attempt failing later. (Nothing else
    is pending in the session at those points: connector actions write their own changes
    after the calls.)"""

    def __init__(self, session: Session, delivery_id: int, connection_id: int) -> None:
        self.session = session
        self.delivery_id = delivery_id
        self.connection_id = connection_id

    def _row(self, step: str) -> ConnectorCall | None:
        return self.session.scalars(
            select(ConnectorCall).where(ConnectorCall.delivery_id == self.delivery_id,
                                        ConnectorCall.step == step)
            .execution_options(populate_existing=True)).first()

    def recorded(self, step: str) -> JSON | None:
        row = self._row(step)
        return row.response if row is not None and row.answered_at is not None else None

    def key(self, step: str) -> str:
        row = self._row(step)
        if row is not None:
            return row.idempotency_key
        key = f"relaydesk-{self.delivery_id}-{step}-{secrets.token_hex(6)}"
        self.session.add(ConnectorCall(delivery_id=self.delivery_id, step=step,
                                       connection_id=self.connection_id, idempotency_key=key))
        try:
            self.session.commit()
        except IntegrityError:  # another worker took this delivery over and got there first
            self.session.rollback()
            row = self._row(step)
            if row is None:
                raise
            return row.idempotency_key
        return key

    def record(self, step: str, result: JSON) -> None:
        row = self._row(step)
        if row is None:
            return
        row.response = result
        row.answered_at = utcnow()
        self.session.commit()

    def forget_unanswered(self) -> None:
        """Drop keys whose calls got no answer worth keeping (before planning anew)."""
        for row in self.session.scalars(select(ConnectorCall).where(
                ConnectorCall.delivery_id == self.delivery_id,
                ConnectorCall.answered_at.is_(None))):
            self.session.delete(row)


# ---------------------------------------------------------------- what an action runs with


@dataclass
class ConnectorContext:
    ctx: ActionContext
    connection: Connection
    connector: Connector
    credentials: Credentials
    http: Http
    journal: DeliveryJournal
    budget: Budget

    @property
    def session(self) -> Session:
        return self.ctx.session

    def link(self, local_type: str, local_id: int, remote_type: str) -> str | None:
        """The vendor id we keep for one of our rows, if any."""
        return self.session.scalar(select(ExternalLink.remote_id).where(
            ExternalLink.connection_id == self.connection.id,
            ExternalLink.local_type == local_type, ExternalLink.local_id == local_id,
            ExternalLink.remote_type == remote_type))

    def keep_link(self, local_type: str, local_id: int, remote_type: str,
                  remote_id: Any) -> None:
        if remote_id is None:
            return
        row = self.session.scalars(select(ExternalLink).where(
            ExternalLink.connection_id == self.connection.id,
            ExternalLink.local_type == local_type, ExternalLink.local_id == local_id,
            ExternalLink.remote_type == remote_type)).first()
        if row is None:
            self.session.add(ExternalLink(connection_id=self.connection.id,
                                          local_type=local_type, local_id=local_id,
                                          remote_type=remote_type, remote_id=str(remote_id)))
        elif row.remote_id != str(remote_id):
            row.remote_id = str(remote_id)


@dataclass(frozen=True)
class Done:
    """``prepare`` found nothing to do: the delivery succeeds with ``result``, no call made."""

    result: dict[str, Any]


Prepare = Callable[[ConnectorContext, dict[str, Any]], "dict[str, Any] | Done"]
Apply = Callable[[ConnectorContext, dict[str, Any], JSON], dict[str, Any]]
OnPermanent = Callable[[ConnectorContext, Permanent], None]


def _pass_inputs(cc: ConnectorContext, params: dict[str, Any]) -> dict[str, Any]:
    return params


def _vendor_object(cc: ConnectorContext, inputs: dict[str, Any], result: JSON) -> dict[str, Any]:
    return result if isinstance(result, dict) else {"result": result}


@dataclass(frozen=True)
class Binding:
    name: str
    label: str
    connector: str
    action: str
    form: type[Schema]
    prepare: Prepare = _pass_inputs
    apply: Apply = _vendor_object
    on_permanent: OnPermanent | None = None
    needs_item: bool = False
    generic: bool = False
    """Registered for every connector action; a binding of the same name replaces it."""


# ---------------------------------------------------------------- running


def find_connection(session: Session, ref: Any, connector: str) -> Connection:
    text = str(ref).strip()
    row = session.get(Connection, int(text)) if text.isdigit() else None
    if row is None:
        row = session.scalars(select(Connection).where(
            func.lower(Connection.name) == text.lower())).first()
    if row is None:
        raise Permanent(f"no connection {text!r}")
    if row.connector != connector:
        raise Permanent(f"connection {row.name!r} is a {row.connector} connection, not "
                        f"{connector}")
    if not row.enabled:
        raise Permanent(f"connection {row.name!r} is disabled")
    return row


def _timeout(settings: dict[str, Any]) -> tuple[float, float]:
    read = float(settings.get("CONNECTOR_TIMEOUT_SECONDS") or 30.0)
    return (min(10.0, read), read)


def connector_context(ctx: ActionContext, connector: Connector, ref: Any) -> ConnectorContext:
    session, settings = ctx.session, ctx.settings
    connection = find_connection(session, ref, connector.name)
    try:
        cipher = connection_cipher(settings.get("CONNECTION_KEY"),
                                   str(settings.get("DATA_DIR") or "var"))
        credentials = connection.credentials(cipher)
    except CredentialsError as exc:
        raise Permanent(str(exc)) from exc
    missing = connector.credential_errors(credentials)
    if missing:
        raise Permanent(f"connection {connection.name!r} lacks credentials: {missing}")
    journal = DeliveryJournal(session, ctx.delivery.id, connection.id)
    budget = budget_for(session, connection.id, settings.get("REDIS_URL") or None)
    guard = (UrlGuard.from_config(settings.get("WEBHOOK_ALLOWED_NETWORKS") or "")
             if connector.user_urls else None)
    http = connector.http(credentials, base_url=connection.base_url or None, journal=journal,
                          gate=budget, timeout=_timeout(settings), guard=guard)
    return ConnectorContext(ctx, connection, connector, credentials, http, journal, budget)


def run_bound(binding: Binding, ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    connector = CONNECTORS[binding.connector]
    action: Action = connector.action(binding.action)
    inputs = {k: v for k, v in params.items() if k != CONNECTION_FIELD}
    cc = connector_context(ctx, connector, params[CONNECTION_FIELD])
    prepared = binding.prepare(cc, inputs)
    if isinstance(prepared, Done):
        return prepared.result
    try:
        result = action.run(prepared, cc.credentials, cc.http)
    except RateLimited as exc:
        if exc.from_vendor:
            cc.budget.pause(exc.after or connector.default_retry_after)
            log.info("connection paused by the vendor", extra={
                "connection_id": cc.connection.id, "seconds": exc.after})
        raise
    except Permanent as exc:
        if binding.on_permanent is not None:
            binding.on_permanent(cc, exc)
        raise
    return binding.apply(cc, prepared, result)


BINDINGS: dict[str, Binding] = {}


def bind(binding: Binding) -> Binding:
    """Register a binding (and its action for recipes)."""
    existing = BINDINGS.get(binding.name)
    if existing is not None and existing.generic and not binding.generic:
        del BINDINGS[binding.name], REGISTRY[binding.name]
    if binding.name in BINDINGS or binding.name in REGISTRY:
        raise ValueError(f"action {binding.name!r} is registered twice")
    BINDINGS[binding.name] = binding
    REGISTRY[binding.name] = ActionSpec(
        binding.name, binding.label, with_connection(binding.form, f"{binding.name}:form"),
        lambda ctx, params: run_bound(binding, ctx, params), kind="connector",
        needs_item=binding.needs_item)
    return binding


def register_connector_actions() -> None:
    """Every action of every registered connector, as ``<connector>.<action>`` (idempotent)."""
    for connector in CONNECTORS.values():
        for action in connector.actions:
            name = f"{connector.name}.{action.name}"
            if name in BINDINGS:
                continue
            bind(Binding(name=name, label=f"{connector.label}: {action.label}",
                         connector=connector.name, action=action.name, form=action.schema,
                         generic=True))


def connector_of(spec_name: str) -> str | None:
    """The connector an action belongs to (``stripe`` for ``stripe.bill_hours``)."""
    binding = BINDINGS.get(spec_name)
    return binding.connector if binding is not None else None


register_connector_actions()
