"""Inbound webhooks: a signed request to ``/hooks/in/<slug>`` becomes an ``inbound.<slug>``
event that recipes act on.

The raw request (headers and body bytes) is stored and committed before anything else is
done with it, so nothing that arrived is ever lost, whatever happens next. Then its signature
is verified with the endpoint's secret under the endpoint's scheme:

- ``standardwebhooks``: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
  (``v1,<base64 HMAC-SHA256 of id.timestamp.body>``, several separated by spaces); the
  message id is ``webhook-id``.
- ``stripe``: ``Stripe-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of t.body>`` (several
  ``v1`` allowed); the message id is the event's ``id`` in the body.

A bad, missing or stale signature (timestamp further than the endpoint's tolerance from now)
is rejected (401) and kept with the reason. A message id accepted before is acknowledged
(200) and not processed again, even when two copies arrive at the same moment (a unique
constraint on accepted ids decides). An accepted request writes its event in the same
transaction that marks it accepted.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triggers.outbox import emit
from webapp.models import (
    InboundEndpoint,
    InboundRequest,
    InboundRequestStatus,
    utcnow,
)

log = logging.getLogger(__name__)
SECRET_PREFIX = "whsec_"


class Rejected(Exception):
    """The request's signature does not hold; ``str()`` says why."""


# ---------------------------------------------------------------- verification


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _fresh(timestamp_text: str | None, tolerance: int, now: dt.datetime) -> int:
    try:
        timestamp = int(str(timestamp_text).strip())
    except (TypeError, ValueError) as exc:
        raise Rejected(f"the signed timestamp {timestamp_text!r} is not a number") from exc
    age = now.replace(tzinfo=dt.UTC).timestamp() - timestamp
    if age > tolerance:
        raise Rejected(f"the signature is stale: signed {int(age)} s ago (tolerance "
                       f"{tolerance} s)")
    if age < -tolerance:
        raise Rejected(f"the signature is from the future: {int(-age)} s ahead (tolerance "
                       f"{tolerance} s)")
    return timestamp


def standard_key(secret: str) -> bytes:
    text = secret.strip()
    if text.startswith(SECRET_PREFIX):
        text = text[len(SECRET_PREFIX):]
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected("the endpoint's secret is not a Standard Webhooks secret") from exc


def verify_standard(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int,
                    now: dt.datetime) -> str:
    """The message id of a valid Standard Webhooks request; ``Rejected`` otherwise."""
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signature = _header(headers, "webhook-signature")
    if not (msg_id and timestamp and signature):
        raise Rejected("missing webhook-id, webhook-timestamp or webhook-signature header")
    _fresh(timestamp, tolerance, now)
    expected = hmac.new(standard_key(secret), f"{msg_id}.{timestamp.strip()}.".encode() + body,
                        hashlib.sha256).digest()
    for part in signature.split():
        version, _, value = part.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise Rejected("no signature matches")


def verify_stripe(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int,
                  now: dt.datetime) -> str:
    """The event id of a valid Stripe request; ``Rejected`` otherwise."""
    header = _header(headers, "Stripe-Signature")
    if not header:
        raise Rejected("missing Stripe-Signature header")
    timestamp: str | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise Rejected("the Stripe-Signature header has no t= or no v1= signature")
    _fresh(timestamp, tolerance, now)
    expected = hmac.new(secret.strip().encode(), timestamp.encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise Rejected("no signature matches")
    try:
        event_id = json.loads(body).get("id")
    except (ValueError, AttributeError) as exc:
        raise Rejected("the body is not a JSON object") from exc
    if not event_id:
        raise Rejected("the event has no id")
    return str(event_id)


VERIFIERS = {"standardwebhooks": verify_standard, "stripe": verify_stripe}


# ---------------------------------------------------------------- storing and processing


@dataclass(frozen=True)
class Outcome:
    status: int  # the HTTP status to answer
    row_id: int
    state: str
    reason: str | None = None
    event_id: int | None = None


def store(session: Session, endpoint: InboundEndpoint, *, method: str,
          headers: Mapping[str, str], body: bytes, remote_addr: str | None) -> InboundRequest:
    """Keep the raw request; committed before this returns."""
    row = InboundRequest(endpoint_id=endpoint.id, slug=endpoint.slug, method=method,
                         headers=dict(headers), body=body, remote_addr=remote_addr,
                         status=InboundRequestStatus.RECEIVED, received_at=utcnow())
    session.add(row)
    session.commit()
    return row


def _payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Rejected(f"the body is not JSON: {exc}") from exc


def _reject(session: Session, row: InboundRequest, reason: str) -> Outcome:
    row.status = InboundRequestStatus.REJECTED
    row.reason = reason
    row.processed_at = utcnow()
    session.commit()
    log.info("inbound webhook rejected", extra={"request_id": row.id, "slug": row.slug,
                                                 "reason": reason})
    return Outcome(401, row.id, row.status.value, reason)


def _duplicate(session: Session, row: InboundRequest, first: int | None) -> Outcome:
    row.status = InboundRequestStatus.DUPLICATE
    row.reason = f"message {row.message_id!r} was accepted before" + (
        f" (request {first})" if first else "")
    row.processed_at = utcnow()
    session.commit()
    return Outcome(200, row.id, row.status.value, row.reason)


def _first_accepted(session: Session, endpoint_id: int, message_id: str) -> int | None:
    return session.scalar(select(InboundRequest.id).where(
        InboundRequest.endpoint_id == endpoint_id,
        InboundRequest.accepted_message_id == message_id))


def process(session: Session, row: InboundRequest, endpoint: InboundEndpoint, secret: str,
            now: dt.datetime | None = None) -> Outcome:
    """Verify a stored request, and turn it into its event once per message id."""
    now = now or utcnow()
    verify = VERIFIERS.get(endpoint.scheme)
    if verify is None:
        return _reject(session, row, f"unknown verification scheme {endpoint.scheme!r}")
    try:
        message_id = verify(secret, row.headers, row.body, endpoint.tolerance_seconds, now)
        payload = _payload(row.body)
    except Rejected as exc:
        return _reject(session, row, str(exc))
    message_id = message_id[:255]
    row.message_id = message_id
    first = _first_accepted(session, endpoint.id, message_id)
    if first is not None:
        return _duplicate(session, row, first)
    kind = payload.get("type") if isinstance(payload, dict) else None
    event = emit(session, endpoint.event_type, "inbound_request", row.id, data={
        "endpoint": endpoint.slug, "request_id": row.id, "message_id": row.message_id,
        "type": kind, "payload": payload, "received_at": row.received_at.isoformat() + "Z"})
    row.status = InboundRequestStatus.ACCEPTED
    row.accepted_message_id = row.message_id
    row.event_id = event.id
    row.processed_at = utcnow()
    try:
        session.commit()
    except IntegrityError:  # the same message accepted by a concurrent request just now
        session.rollback()
        row.message_id = message_id
        return _duplicate(session, row, _first_accepted(session, endpoint.id, message_id))
    return Outcome(200, row.id, row.status.value, None, event.id)
