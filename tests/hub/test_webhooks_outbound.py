"""Outbound webhooks through the ledger (the hub in-process, on PostgreSQL and SQLite), to a
real receiver on 127.0.0.1: signatures verified by the ``standardwebhooks`` library, also
across a secret rotation; the envelope; retries on 5xx with Retry-After and a stable
webhook-id; 410 disabling the endpoint; timeouts; redirects not followed; the SSRF guard; the
delivery log and replay through the API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from tests.factories import ApiClient, Factory
from tests.hub.connector_world import run_hub
from tests.hub.helpers import recipe, title_has
from tests.receiver import Receiver, running
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    ItemKind,
    WebhookAttempt,
    WebhookEndpoint,
    utcnow,
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


@pytest.fixture
def admin_api(app: Flask, client, make: Factory) -> ApiClient:
    return ApiClient(client, make.user("Admin").username)


def _endpoint(api: ApiClient, url: str, events: list[str] | None = None,
              name: str = "receiver") -> tuple[int, str]:
    answer = api.post("/api/v1/webhook_endpoint/", json={
        "name": name, "url": url, "event_types": events or ["ticket.*"]})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["secret"].startswith("whsec_") and "secret" not in body["result"]
    return body["id"], body["secret"]


def _ticket(make: Factory, title: str = "Printer jam") -> int:
    return make.item(make.project(teams=[make.team()]), ItemKind.TICKET, title=title).id


def _deliveries(make: Factory, endpoint_id: int) -> list[Delivery]:
    make.session.expire_all()
    return list(make.session.scalars(select(Delivery).where(
        Delivery.webhook_endpoint_id == endpoint_id).order_by(Delivery.id)))


def _due_now(make: Factory, delivery_id: int) -> None:
    make.session.get(Delivery, delivery_id).next_attempt_at = utcnow()
    make.session.commit()


def test_signed_envelope_verified_by_the_library_and_logged(
        app: Flask, make: Factory, admin_api: ApiClient, receiver: Receiver) -> None:
    endpoint_id, secret = _endpoint(admin_api, receiver.url(), ["ticket.created"])
    tasks_only, _ = _endpoint(admin_api, receiver.url("/tasks"), ["task.*"], name="tasks")
    item_id = _ticket(make)
    run_hub(app)

    [delivery] = _deliveries(make, endpoint_id)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    assert _deliveries(make, tasks_only) == []  # its filter does not match
    [got] = receiver.requests
    assert got.method == "POST" and got.header("Content-Type") == "application/json"
    assert got.header("webhook-id") == f"msg_relaydesk_{delivery.id}"
    payload = Webhook(secret).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(_endpoint(admin_api, receiver.url(), name="other")[1]).verify(
            got.body, got.headers)
    event = make.session.get(Event, delivery.event_id)
    assert payload["type"] == "ticket.created" == event.type
    assert payload["timestamp"] == event.created_at.isoformat() + "Z"
    data = payload["data"]
    assert data["id"] == event.id and data["subject"] == {"type": "item", "id": item_id}
    assert data["object"]["title"] == "Printer jam" and data["object"]["kind"] == "ticket"

    log = admin_api.get(f"/api/v1/webhook_endpoint/{endpoint_id}/log").get_json()["result"]
    [entry] = log
    assert (entry["outcome"], entry["response_status"], entry["delivery_status"]) == (
        "succeeded", 200, "succeeded")
    assert entry["webhook_id"] == got.header("webhook-id")
    assert json.loads(entry["request_body"]) == payload and entry["response_body"] == "ok"
    assert entry["request_headers"]["webhook-signature"] == got.header("webhook-signature")
    shown = admin_api.get(f"/api/v1/webhook_endpoint/{endpoint_id}").get_json()["result"]
    assert "secret" not in json.dumps(shown) or shown.get("secret") is None
    assert shown["last_success_at"] and shown["failing_since"] is None


def test_rotation_signs_with_both_secrets_until_the_grace_ends(
        app: Flask, make: Factory, admin_api: ApiClient, receiver: Receiver) -> None:
    endpoint_id, old = _endpoint(admin_api, receiver.url())
    rotated = admin_api.post(f"/api/v1/webhook_endpoint/{endpoint_id}/rotate_secret",
                             json={"grace": "1h"})
    assert rotated.status_code == 200, rotated.get_json()
    new = rotated.get_json()["secret"]
    assert new != old and rotated.get_json()["previous_secret_expires_at"]
    assert admin_api.get(f"/api/v1/webhook_endpoint/{endpoint_id}/secret").get_json()[
        "secret"] == new
    _ticket(make)
    run_hub(app)
    got = receiver.requests[-1]
    assert len(got.header("webhook-signature").split(" ")) == 2
    assert Webhook(new).verify(got.body, got.headers)["type"] == "ticket.created"
    assert Webhook(old).verify(got.body, got.headers)["type"] == "ticket.created"

    row = make.session.get(WebhookEndpoint, endpoint_id)
    row.previous_secret_expires_at = utcnow() - dt.timedelta(seconds=1)
    make.session.commit()
    _ticket(make, "After the grace")
    run_hub(app)
    got = receiver.requests[-1]
    assert Webhook(new).verify(got.body, got.headers)["data"]["object"]["title"] == \
        "After the grace"
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)
    # A recipe's webhook step names the endpoint: signed the same way, its own webhook-id.
    recipe(make.session, "forward", "ticket.created", [("webhook", {"endpoint": "receiver"})],
           conditions=title_has("[forward]"))
    _ticket(make, "[forward] me")
    run_hub(app)
    step = make.session.scalars(select(Delivery).where(Delivery.action_type == "webhook",
                                                       Delivery.recipe_id.is_not(None))).one()
    assert step.status == DeliveryStatus.SUCCEEDED, step.last_error
    via_recipe = next(r for r in receiver.requests
                      if r.header("webhook-id") == f"msg_relaydesk_{step.id}")
    assert Webhook(new).verify(via_recipe.body, via_recipe.headers)["data"]["object"][
        "title"] == "[forward] me"
    bad = admin_api.post(f"/api/v1/webhook_endpoint/{endpoint_id}/rotate_secret",
                         json={"grace": "soon"})
    assert bad.status_code == 422 and "grace" in bad.get_json()["message"]


def test_500_with_retry_after_is_retried_later_with_the_same_webhook_id(
        app: Flask, make: Factory, admin_api: ApiClient, receiver: Receiver) -> None:
    endpoint_id, secret = _endpoint(admin_api, receiver.url())
    receiver.answer(500, {"Retry-After": "120"}, b"busy")
    _ticket(make)
    before = utcnow()
    run_hub(app)
    [delivery] = _deliveries(make, endpoint_id)
    assert delivery.status == DeliveryStatus.FAILED and "500" in delivery.last_error
    # The schedule's second delay is 5 s; the receiver asked for 120 s.
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=119)
    endpoint = make.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.failing_since is not None and endpoint.enabled
    run_hub(app)
    assert len(receiver.requests) == 1  # not due yet

    _due_now(make, delivery.id)
    run_hub(app)
    [delivery] = _deliveries(make, endpoint_id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    first, second = receiver.requests
    assert first.header("webhook-id") == second.header("webhook-id") == \
        f"msg_relaydesk_{delivery.id}"
    assert first.body == second.body
    Webhook(secret).verify(second.body, second.headers)
    make.session.expire_all()
    assert make.session.get(WebhookEndpoint, endpoint_id).failing_since is None
    outcomes = [(a.attempt, a.outcome, a.response_status) for a in make.session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
        .order_by(WebhookAttempt.id))]
    assert outcomes == [(1, "failed", 500), (2, "succeeded", 200)]


def test_410_disables_the_endpoint_and_redirects_and_timeouts_are_retried(
        app: Flask, make: Factory, admin_api: ApiClient, receiver: Receiver) -> None:
    from webapp.automation import app_runtime

    endpoint_id, _ = _endpoint(admin_api, receiver.url())
    receiver.answer(302, {"Location": receiver.url("/elsewhere")})
    _ticket(make, "redirected")
    run_hub(app)
    [redirected] = _deliveries(make, endpoint_id)
    assert redirected.status == DeliveryStatus.FAILED and "not followed" in \
        redirected.last_error
    assert [r.path for r in receiver.requests] == ["/hook"]

    extra = app_runtime(app).settings.extra
    extra["WEBHOOK_TIMEOUT_SECONDS"] = 0.5
    try:
        receiver.answer(200, delay=2.0)
        _due_now(make, redirected.id)
        run_hub(app)
    finally:
        extra["WEBHOOK_TIMEOUT_SECONDS"] = app.config["WEBHOOK_TIMEOUT_SECONDS"]
    [timed_out] = _deliveries(make, endpoint_id)
    assert timed_out.status == DeliveryStatus.FAILED and "no answer within 0.5s" in \
        timed_out.last_error

    receiver.answer(410, body=b"gone")
    _due_now(make, timed_out.id)
    run_hub(app)
    [gone] = _deliveries(make, endpoint_id)
    assert gone.status == DeliveryStatus.DEAD and "410" in gone.last_error
    endpoint = make.session.get(WebhookEndpoint, endpoint_id)
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    disabled = make.session.scalars(select(Event).where(
        Event.type == "webhook_endpoint.disabled")).one()
    assert disabled.subject_id == endpoint_id and disabled.data["cause"] == "gone"
    # The default recipe e-mails the admins about it.
    run_hub(app)
    assert make.session.scalars(select(Delivery).where(
        Delivery.event_id == disabled.id, Delivery.action_type == "email_admins")).first()

    requests_before = len(receiver.requests)
    _ticket(make, "after the 410")
    run_hub(app)
    assert len(_deliveries(make, endpoint_id)) == 1 and \
        len(receiver.requests) == requests_before

    # Enabled again, its dead delivery replays from the endpoint's log.
    assert admin_api.put(f"/api/v1/webhook_endpoint/{endpoint_id}",
                         json={"enabled": True}).status_code == 200
    make.session.expire_all()
    assert make.session.get(WebhookEndpoint, endpoint_id).disabled_reason is None
    replayed = admin_api.post(f"/api/v1/webhook_endpoint/{endpoint_id}/replay", json={})
    assert replayed.get_json()["result"]["replayed"] == [gone.id]
    run_hub(app)
    assert _deliveries(make, endpoint_id)[0].status == DeliveryStatus.SUCCEEDED
    log = admin_api.get(f"/api/v1/webhook_endpoint/{endpoint_id}/log").get_json()["result"]
    assert [e["response_status"] for e in log] == [200, 410, None, 302]
    assert log[2]["outcome"] == "failed" and "no answer" in log[2]["error"]


def test_ssrf_guard_refuses_private_targets(app: Flask, make: Factory,
                                            admin_api: ApiClient) -> None:
    for url in ("http://10.1.2.3/hook", "http://169.254.169.254/", "http://127.0.0.2:8080/"):
        refused = admin_api.post("/api/v1/webhook_endpoint/", json={
            "name": "internal", "url": url, "event_types": ["*"]})
        assert refused.status_code == 422, url
        assert "refused" in refused.get_json()["message"]["url"][0]
    subscription = admin_api.post("/api/v1/hooks/", json={
        "event": "ticket.created", "target_url": "http://192.168.0.5/zap"})
    assert subscription.status_code == 422 and "target_url" in subscription.get_json()["message"]

    # An endpoint that got past the check (made before the allow-list changed, say): a real
    # server listens on 127.0.0.2, which is loopback but not allow-listed.
    for trap in running("127.0.0.2"):
        from webapp.commands.connections import app_cipher

        row = WebhookEndpoint(name="trap", url=trap.url(), event_types=["ticket.created"])
        row.set_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", app_cipher(app))
        make.session.add(row)
        make.session.commit()
        _ticket(make)
        run_hub(app)
        [delivery] = _deliveries(make, row.id)
        assert delivery.status == DeliveryStatus.DEAD and "127.0.0.2 is a loopback" in \
            delivery.last_error
        assert trap.requests == []
        attempt = make.session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.endpoint_id == row.id)).one()
        assert attempt.outcome == "refused" and attempt.response_status is None


def test_failing_past_the_limit_disables_and_tells_the_admins(
        app: Flask, make: Factory, admin_api: ApiClient, receiver: Receiver) -> None:
    endpoint_id, _ = _endpoint(admin_api, receiver.url())
    row = make.session.get(WebhookEndpoint, endpoint_id)
    row.failing_since = utcnow() - dt.timedelta(days=5, minutes=1)  # WEBHOOK_DISABLE_AFTER 5d
    make.session.commit()
    receiver.answer(503)
    _ticket(make)
    run_hub(app)
    [delivery] = _deliveries(make, endpoint_id)
    assert delivery.status == DeliveryStatus.DEAD and "failing for too long" in \
        delivery.last_error
    make.session.expire_all()
    endpoint = make.session.get(WebhookEndpoint, endpoint_id)
    assert not endpoint.enabled and endpoint.disabled_reason.startswith("failing since")
    event = make.session.scalars(select(Event).where(
        Event.type == "webhook_endpoint.disabled")).one()
    assert event.data["cause"] == "failing" and event.data["url"] == receiver.url()
    run_hub(app)
    notify = make.session.scalars(select(Delivery).where(Delivery.event_id == event.id)).one()
    assert notify.action_type == "email_admins"
