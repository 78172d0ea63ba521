"""Inbound webhooks (``POST /hooks/in/<slug>``): Standard Webhooks requests signed by the
``standardwebhooks`` library and Stripe-Signature requests; valid, invalid, stale and duplicate
deliveries; the raw request committed before anything else is done with it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from standardwebhooks import Webhook

from tests.factories import ApiClient, Factory
from webapp.models import Event, InboundRequest, InboundRequestStatus

STRIPE_SECRET = "whsec_test_5f1d9c0a7b3e4d2f8a6c"


def _post(client: Any, slug: str, body: bytes, headers: dict[str, str]) -> Any:
    with client.application.app_context():
        return client.post(f"/hooks/in/{slug}", data=body, headers=headers,
                           content_type="application/json")


def standard_headers(secret: str, msg_id: str, body: bytes,
                     at: dt.datetime | None = None) -> dict[str, str]:
    at = at or dt.datetime.now(dt.UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode())}


def stripe_headers(secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    """What Stripe sends: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body"> (its documented
    scheme; there is no Stripe library here)."""
    stamp = int(at if at is not None else time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={stamp},v1={signature.hexdigest()}"}


@pytest.fixture
def admin(app: Flask, client: Any, make: Factory) -> ApiClient:
    return ApiClient(client, make.user("Admin").username)


@pytest.fixture
def endpoints(admin: ApiClient) -> dict[str, str]:
    made = admin.post("/api/v1/inbound_endpoint/", json={
        "slug": "crm", "name": "CRM relay", "scheme": "standardwebhooks"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["result"]["url"] == "/hooks/in/crm"
    stripe = admin.post("/api/v1/inbound_endpoint/", json={
        "slug": "stripe", "scheme": "stripe", "secret": STRIPE_SECRET, "tolerance_seconds": 300})
    assert stripe.status_code == 201, stripe.get_json()
    assert "secret" not in stripe.get_json()  # the sender's own secret is not echoed
    return {"crm": made.get_json()["secret"]}


def _rows(make: Factory) -> list[InboundRequest]:
    make.session.expire_all()
    return list(make.session.scalars(select(InboundRequest).order_by(InboundRequest.id)))


def _events(make: Factory, kind: str) -> list[Event]:
    make.session.expire_all()
    return list(make.session.scalars(select(Event).where(Event.type == kind)
                                     .order_by(Event.id)))


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """Every statement and commit on the app's engine, in order."""
    from webapp.extensions import db

    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    def on_commit(conn: Any) -> None:
        seen.append("COMMIT")

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", on_execute)
    sa_event.listen(engine, "commit", on_commit)
    yield seen
    sa_event.remove(engine, "before_cursor_execute", on_execute)
    sa_event.remove(engine, "commit", on_commit)


def test_standard_webhooks_valid_invalid_stale_duplicate(
        app: Flask, client: Any, make: Factory, endpoints: dict[str, str],
        statements: list[str]) -> None:
    secret = endpoints["crm"]
    body = json.dumps({"type": "deal.won", "data": {"deal": "D-1"}}).encode()
    statements.clear()
    ok = _post(client, "crm", body, standard_headers(secret, "msg_1", body))
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["status"] == "accepted"
    # The raw request was inserted and committed before anything else was done with it.
    insert = statements.index("INSERT INTO INBOUND_REQUEST")
    assert statements[insert + 1] == "COMMIT"
    assert statements.index("INSERT INTO EVENT") > insert + 1

    [event] = _events(make, "inbound.crm")
    assert event.id == ok.get_json()["event_id"] and event.subject_type == "inbound_request"
    assert event.data["payload"] == {"type": "deal.won", "data": {"deal": "D-1"}}
    assert (event.data["type"], event.data["message_id"]) == ("deal.won", "msg_1")

    again = _post(client, "crm", body, standard_headers(secret, "msg_1", body))
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(_events(make, "inbound.crm")) == 1

    forged = body.replace(b"D-1", b"D-2")
    bad = _post(client, "crm", forged, standard_headers(secret, "msg_2", body))
    assert bad.status_code == 401 and bad.get_json()["message"] == "no signature matches"
    other_secret = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    now = dt.datetime.now(dt.UTC)
    wrong = _post(client, "crm", body, {"webhook-id": "msg_3",
                                        "webhook-timestamp": str(int(now.timestamp())),
                                        "webhook-signature": other_secret.sign("msg_3", now,
                                                                               body.decode())})
    assert wrong.status_code == 401
    stale_at = now - dt.timedelta(minutes=6)
    stale = _post(client, "crm", body, standard_headers(secret, "msg_4", body, stale_at))
    assert stale.status_code == 401 and "stale" in stale.get_json()["message"]
    future = _post(client, "crm", body, standard_headers(
        secret, "msg_5", body, now + dt.timedelta(minutes=6)))
    assert future.status_code == 401 and "future" in future.get_json()["message"]
    missing = _post(client, "crm", body, {"webhook-id": "msg_6"})
    assert missing.status_code == 401 and "missing" in missing.get_json()["message"]

    rows = _rows(make)
    assert [r.status for r in rows] == [
        InboundRequestStatus.ACCEPTED, InboundRequestStatus.DUPLICATE] + \
        [InboundRequestStatus.REJECTED] * 5
    assert rows[2].body == forged  # kept byte for byte, rejected or not
    assert rows[2].headers["Webhook-Id"] == "msg_2" and rows[2].reason == "no signature matches"
    assert len(_events(make, "inbound.crm")) == 1


def test_stripe_signature_valid_bad_stale_duplicate(
        app: Flask, client: Any, make: Factory, endpoints: dict[str, str]) -> None:
    body = json.dumps({"id": "evt_1", "type": "invoice.payment_failed",
                       "data": {"object": {"id": "in_1", "customer": "cus_1"}}}).encode()
    ok = _post(client, "stripe", body, stripe_headers(STRIPE_SECRET, body))
    assert ok.status_code == 200 and ok.get_json()["status"] == "accepted", ok.get_json()
    [event] = _events(make, "inbound.stripe")
    assert event.data["type"] == "invoice.payment_failed" and event.data["message_id"] == "evt_1"

    duplicate = _post(client, "stripe", body, stripe_headers(STRIPE_SECRET, body))
    assert duplicate.status_code == 200 and duplicate.get_json()["status"] == "duplicate"
    bad = _post(client, "stripe", body, stripe_headers("whsec_other", body))
    assert bad.status_code == 401
    stale = _post(client, "stripe", body, stripe_headers(STRIPE_SECRET, body,
                                                        time.time() - 301))
    assert stale.status_code == 401 and "stale" in stale.get_json()["message"]
    # A second v1 (a rolled secret at Stripe) is accepted when one of them matches.
    second = json.dumps({"id": "evt_2", "type": "invoice.paid"}).encode()
    headers = stripe_headers(STRIPE_SECRET, second)
    stamp = headers["Stripe-Signature"].split(",")[0]
    mixed = f"{stamp},v1={'0' * 64},{headers['Stripe-Signature'].split(',')[1]}"
    assert _post(client, "stripe", second, {"Stripe-Signature": mixed}).status_code == 200
    no_header = _post(client, "stripe", second, {})
    assert no_header.status_code == 401

    assert [e.data["message_id"] for e in _events(make, "inbound.stripe")] == ["evt_1", "evt_2"]
    assert [r.status.value for r in _rows(make)] == [
        "accepted", "duplicate", "rejected", "rejected", "accepted", "rejected"]


def test_unknown_disabled_and_oversized(app: Flask, client: Any, make: Factory,
                                        admin: ApiClient, endpoints: dict[str, str]) -> None:
    body = b'{"type": "x"}'
    assert _post(client, "nope", body, {}).status_code == 404
    crm = admin.get("/api/v1/inbound_endpoint/").get_json()["result"]
    crm_id = next(e["id"] for e in crm if e["slug"] == "crm")
    assert admin.put(f"/api/v1/inbound_endpoint/{crm_id}", json={"enabled": False}
                     ).status_code == 200
    assert _post(client, "crm", body, standard_headers(endpoints["crm"], "m", body)
                 ).status_code == 404
    assert _rows(make) == []
    big = b'{"pad": "' + b"x" * (app.config["INBOUND_WEBHOOK_MAX_BYTES"] + 1) + b'"}'
    assert _post(client, "stripe", big, stripe_headers(STRIPE_SECRET, big)).status_code == 413

    taken = admin.post("/api/v1/inbound_endpoint/", json={"slug": "stripe", "scheme": "stripe"})
    assert taken.status_code == 422 and "slug" in taken.get_json()["message"]
    bad = admin.post("/api/v1/inbound_endpoint/", json={"slug": "9x", "scheme": "paypal"})
    assert bad.status_code == 422 and set(bad.get_json()["message"]) == {"slug", "scheme"}
    # What was received is listed, and its body downloadable, byte for byte.
    _post(client, "stripe", body, {})
    [row] = admin.get("/api/v1/inbound_request/").get_json()["result"]
    assert row["status"] == "rejected" and row["slug"] == "stripe"
    raw = admin.get(f"/api/v1/inbound_request/{row['id']}/raw")
    assert raw.status_code == 200 and raw.get_data() == body
    assert make.session.scalar(select(func.count()).select_from(InboundRequest)) == 1
