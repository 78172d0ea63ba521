"""Outbound webhooks: which endpoints an event goes to, the envelope, the signed POST, and what
each answer does to the endpoint.

Every event becomes one delivery per enabled endpoint whose event-type filter matches (REST
hook subscriptions only for events their owner may see), in the same ledger as recipe
actions: the same lease, retry schedule, dead state and replay. A delivery's ``webhook-id`` is
derived from the delivery id, so it stays the same across retries and replays.

Answers: 2xx is a success (and ends the endpoint's run of failures); 3xx, 4xx, 5xx and
timeouts are retried on the ledger's schedule, honouring ``Retry-After``; 410 disables the
endpoint (a REST hook is unsubscribed). An endpoint failing without a success for
``WEBHOOK_DISABLE_AFTER`` is disabled too. Disabling writes a ``webhook_endpoint.disabled``
event, which the default recipe e-mails to the admins. Every POST is logged
(``webhook_attempt``) with excerpts of the request and the answer, committed at once so a
failure cannot roll it back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from connectors.errors import Permanent, Retryable
from connectors.retry_after import parse_retry_after
from connectors.ssrf import Blocked, UrlGuard, guarded_session
from hub import signing
from hub.payload import SCHEMA, Companions
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    User,
    WebhookAttempt,
    WebhookEndpoint,
    utcnow,
)
from webapp.models.connections import CredentialsError, connection_cipher

log = logging.getLogger(__name__)

ACTION = "webhook"
DISABLED_EVENT = "webhook_endpoint.disabled"
USER_AGENT = "Relaydesk-Webhooks/0.1"
#: The most of a request or an answer kept in the log (characters).
EXCERPT = 4000
#: The most of an answer that is read (bytes).
MAX_ANSWER = 64 * 1024


# ---------------------------------------------------------------- what is sent


def iso(moment: dt.datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with a ``Z``."""
    return None if moment is None else moment.isoformat() + "Z"


def event_data(event: Event, session: Session | None = None,
               companions: Companions | None = None) -> dict[str, Any]:
    """The ``data`` of an event's envelope (and of a polling trigger's item): the changed
    object as it was at the event with readable companions of its ids (``status_name`` next
    to ``status_id`` …, see hub/payload.py), the change, and who made it. ``id`` is stable.
    Without a session (a detached event) the ids go alone."""
    session = session or object_session(event)
    if companions is None and session is not None:
        companions = Companions(session)
    obj = dict(event.data or {})
    actor: dict[str, Any] = {"user_id": event.actor_user_id,
                             "customer_id": event.actor_customer_id,
                             "recipe_id": event.actor_recipe_id}
    if companions is not None:
        obj.update(companions.of(obj))
        actor.update(companions.actor(event.actor_user_id, event.actor_customer_id))
    return {
        "schema": SCHEMA,
        "id": event.id,
        "type": event.type,
        "occurred_at": iso(event.created_at),
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "object": obj,
        "changes": event.diff or {},
        "actor": actor,
    }


def envelope(event: Event, session: Session | None = None) -> dict[str, Any]:
    return {"schema": SCHEMA, "type": event.type, "timestamp": iso(event.created_at),
            "data": event_data(event, session)}


def body_of(event: Event, session: Session | None = None) -> str:
    return json.dumps(envelope(event, session), separators=(",", ":"), ensure_ascii=False,
                      default=str)


def webhook_id(delivery_id: int) -> str:
    return f"msg_relaydesk_{delivery_id}"


# ---------------------------------------------------------------- matching


class WebhookMatcher:
    """The enabled endpoints (loaded once per matching batch) and the deliveries an event
    makes for them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.endpoints = list(session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.id)))
        self._viewers: dict[int, Any] = {}

    def _owner_sees(self, endpoint: WebhookEndpoint, event: Event) -> bool:
        from webapp.access.scope import Viewer, visibility_clause

        owner_id = endpoint.owner_user_id
        assert owner_id is not None
        if owner_id not in self._viewers:
            user = self.session.get(User, owner_id, options=[selectinload(User.roles)])
            self._viewers[owner_id] = (Viewer.for_user(user)
                                       if user is not None and user.active else None)
        viewer = self._viewers[owner_id]
        if viewer is None:
            return False
        if viewer.is_admin:
            return True
        return self.session.scalar(select(Event.id).where(
            Event.id == event.id, visibility_clause(Event, viewer))) is not None

    def deliveries(self, event: Event, already: set[int], now: dt.datetime) -> list[Delivery]:
        created = []
        for endpoint in self.endpoints:
            if endpoint.id in already or not endpoint.matches(event.type):
                continue
            if endpoint.owner_user_id is not None and not self._owner_sees(endpoint, event):
                continue
            delivery = Delivery(event_id=event.id, webhook_endpoint_id=endpoint.id,
                                action_type=ACTION, next_attempt_at=now,
                                status=DeliveryStatus.PENDING)
            self.session.add(delivery)
            created.append(delivery)
        return created


# ---------------------------------------------------------------- the POST


@dataclass(frozen=True)
class WebhookSettings:
    guard: UrlGuard
    timeout: float
    disable_after: dt.timedelta
    cipher_key: str | None
    data_dir: str

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> WebhookSettings:
        return cls(guard=UrlGuard.from_config(extra.get("WEBHOOK_ALLOWED_NETWORKS") or ""),
                   timeout=float(extra.get("WEBHOOK_TIMEOUT_SECONDS") or 10.0),
                   disable_after=dt.timedelta(
                       seconds=float(extra.get("WEBHOOK_DISABLE_AFTER_SECONDS") or 5 * 86400)),
                   cipher_key=extra.get("CONNECTION_KEY") or None,
                   data_dir=str(extra.get("DATA_DIR") or "var"))

    def cipher(self) -> MultiFernet:
        return connection_cipher(self.cipher_key, self.data_dir)


@dataclass
class Answer:
    status: int | None = None
    headers: dict[str, str] | None = None
    body: str | None = None
    error: str | None = None
    timed_out: bool = False
    refused: bool = False
    duration_ms: int = 0


def _excerpt(text: str | None, limit: int = EXCERPT) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit] + "…"


def post(url: str, body: str, headers: Mapping[str, str], settings: WebhookSettings) -> Answer:
    """One POST (no redirects followed, the guard checked before and on connect)."""
    started = time.perf_counter()
    answer = Answer()
    try:
        settings.guard.check_url(url)
        with guarded_session(settings.guard) as session:
            response = session.post(url, data=body.encode(), headers=dict(headers),
                                    timeout=(min(5.0, settings.timeout), settings.timeout),
                                    allow_redirects=False, stream=True)
            raw = b""
            for chunk in response.iter_content(16 * 1024):
                raw += chunk
                if len(raw) >= MAX_ANSWER:
                    break
            response.close()
        answer.status = response.status_code
        answer.headers = dict(response.headers)
        answer.body = raw.decode("utf-8", errors="replace")
    except Blocked as exc:
        answer.error, answer.refused = str(exc), True
    except requests.Timeout:
        answer.error, answer.timed_out = f"no answer within {settings.timeout:g}s", True
    except requests.RequestException as exc:
        answer.error = f"could not reach the receiver: {exc}"
    answer.duration_ms = int((time.perf_counter() - started) * 1000)
    return answer


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def find_endpoint(session: Session, ref: Any) -> WebhookEndpoint | None:
    text = str(ref or "").strip()
    if not text:
        return None
    row = session.get(WebhookEndpoint, int(text)) if text.isdigit() else None
    if row is None:
        row = session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.name == text).order_by(WebhookEndpoint.id)).first()
    return row


def disable(session: Session, endpoint: WebhookEndpoint, reason: str, cause: str) -> None:
    """Disable ``endpoint`` and write the event that tells the admins (caller commits)."""
    from triggers.outbox import emit

    now = utcnow()
    endpoint.enabled = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    emit(session, DISABLED_EVENT, "webhook_endpoint", endpoint.id, data={
        "id": endpoint.id, "name": endpoint.name, "url": endpoint.url, "reason": reason,
        "cause": cause, "subscription": endpoint.is_subscription,
        "owner_user_id": endpoint.owner_user_id,
        "failing_since": iso(endpoint.failing_since), "disabled_at": iso(now)})
    log.warning("webhook endpoint disabled", extra={"endpoint_id": endpoint.id,
                                                    "reason": reason})


def deliver(session: Session, delivery: Delivery, endpoint: WebhookEndpoint, event: Event,
            settings: WebhookSettings) -> dict[str, Any]:
    """POST ``event`` to ``endpoint`` as ``delivery``; the log and the endpoint's state are
    committed here. Returns the result, or raises ``Retryable``/``Permanent``."""
    if not endpoint.enabled:
        raise Permanent(f"endpoint {endpoint.name!r} is disabled"
                        + (f": {endpoint.disabled_reason}" if endpoint.disabled_reason else ""))
    msg_id = webhook_id(delivery.id)
    body = body_of(event, session)
    try:
        secrets_ = endpoint.signing_secrets(settings.cipher())
    except CredentialsError as exc:
        raise Permanent(str(exc)) from exc
    sent_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                    **signing.headers(secrets_, msg_id, int(time.time()), body)}
    answer = post(endpoint.url, body, sent_headers, settings)
    status = answer.status
    ok = status is not None and 200 <= status < 300
    attempt = WebhookAttempt(
        endpoint_id=endpoint.id, delivery_id=delivery.id, attempt=delivery.attempts or 1,
        webhook_id=msg_id, url=endpoint.url, request_headers=sent_headers,
        request_body=_excerpt(body), response_status=status,
        response_headers=answer.headers, response_body=_excerpt(answer.body),
        error=answer.error, duration_ms=answer.duration_ms,
        outcome="succeeded" if ok else "refused" if answer.refused else "failed")
    session.add(attempt)
    now = utcnow()
    if ok:
        endpoint.failing_since = None
        endpoint.last_success_at = now
        session.commit()
        return {"status": status, "webhook_id": msg_id, "endpoint": endpoint.name,
                "attempt_id": attempt.id}
    if answer.refused:
        session.commit()
        raise Permanent(answer.error or "refused")
    what = answer.error or f"the receiver answered {status}: {_excerpt(answer.body, 300)}"
    if status == 410:
        reason = ("unsubscribed: the target answered 410 Gone" if endpoint.is_subscription
                  else "the receiver answered 410 Gone")
        disable(session, endpoint, reason, "gone")
        session.commit()
        raise Permanent(f"{what} (endpoint disabled)")
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    elif now - endpoint.failing_since >= settings.disable_after:
        disable(session, endpoint, f"failing since {iso(endpoint.failing_since)} without a "
                f"success (last: {what})", "failing")
        session.commit()
        raise Permanent(f"{what} (endpoint disabled: failing for too long)")
    session.commit()
    if status is not None and 300 <= status < 400:
        location = _header(answer.headers, "Location")
        what = f"the receiver answered {status} (redirect to {location!r} not followed)"
    retry_after = parse_retry_after(_header(answer.headers, "Retry-After"))
    raise Retryable(what, after=retry_after)
