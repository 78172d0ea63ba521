"""What a Zapier-style integration uses: API keys made by admins (X-API-Key or Bearer) beside
JWT, /api/v1/me, REST hook subscriptions (subscribe, receive signed events the caller may see,
unsubscribe, 410 unsubscribes), and polling triggers (newest first, stable ids, scoped)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from standardwebhooks import Webhook

from tests.factories import ApiClient, Factory
from tests.hub.connector_world import run_hub
from tests.receiver import Receiver, running
from webapp.models import Delivery, DeliveryStatus, Event, ItemKind, WebhookEndpoint


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


class KeyClient:
    """Calls the API with an API key in a header, as Zapier would."""

    def __init__(self, client: Any, key: str, header: str = "X-API-Key") -> None:
        self.client = client
        self.headers = {header: key} if header == "X-API-Key" else {
            "Authorization": f"Bearer {key}"}

    def _call(self, method: str, url: str, **kw: Any) -> Any:
        with self.client.application.app_context():
            return getattr(self.client, method)(url, headers=self.headers, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self._call("get", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self._call("post", url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self._call("delete", url, **kw)


def _key_for(admin: ApiClient, username: str) -> str:
    made = admin.post("/api/v1/api_key/", json={"name": "Zapier", "username": username})
    assert made.status_code == 201, made.get_json()
    key = made.get_json()["result"]["key"]
    assert key.startswith("rdk_")
    return key


@pytest.fixture
def world(app: Flask, client: Any, make: Factory) -> dict[str, Any]:
    team = make.team()
    agent = make.user("Agent", teams=[team])
    admin = ApiClient(client, make.user("Admin").username)
    return {"admin": admin, "agent": agent, "project": make.project(teams=[team]),
            "hidden": make.project(teams=[make.team()]),
            "zap": KeyClient(client, _key_for(admin, agent.username))}


def test_api_keys_me_and_who_may_make_keys(app: Flask, client: Any, make: Factory,
                                           world: dict[str, Any]) -> None:
    agent = world["agent"]
    me = world["zap"].get("/api/v1/me")
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["result"] | {"id": None} == {
        "id": None, "username": agent.username, "email": agent.email,
        "first_name": agent.first_name, "last_name": agent.last_name, "roles": ["Agent"],
        "auth": "api_key"}
    key = world["zap"].headers["X-API-Key"]
    bearer = KeyClient(client, key, header="Authorization")
    assert bearer.get("/api/v1/me").get_json()["result"]["auth"] == "api_key"
    jwt = ApiClient(client, agent.username)
    assert jwt.get("/api/v1/me").get_json()["result"]["auth"] == "jwt"
    assert KeyClient(client, "rdk_not-a-key").get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401

    # Keys act with their user's rights: an agent's key cannot make keys.
    assert world["zap"].post("/api/v1/api_key/", json={"name": "mine"}).status_code == 403
    listed = world["admin"].get("/api/v1/api_key/").get_json()["result"]
    [row] = [k for k in listed if k["username"] == agent.username]
    assert row["active"] and row["last_used_on"] and "key" not in row
    assert world["admin"].delete(f"/api/v1/api_key/{row['uuid']}").status_code == 200
    assert world["zap"].get("/api/v1/me").status_code == 401
    refused = world["admin"].post("/api/v1/api_key/", json={"name": "", "username": "nobody"})
    assert refused.status_code == 422 and set(refused.get_json()["message"]) == {
        "name", "username"}


def test_rest_hook_subscribe_receive_unsubscribe(app: Flask, make: Factory,
                                                 world: dict[str, Any],
                                                 receiver: Receiver) -> None:
    zap = world["zap"]
    made = zap.post("/api/v1/hooks/", json={"event": "ticket.created",
                                            "target_url": receiver.url("/zap")})
    assert made.status_code == 201, made.get_json()
    hook_id, secret = made.get_json()["id"], made.get_json()["secret"]
    assert zap.get("/api/v1/hooks/").get_json()["result"][0]["id"] == hook_id
    bad = zap.post("/api/v1/hooks/", json={"event": "Ticket Created", "target_url": "x"})
    assert bad.status_code == 422 and set(bad.get_json()["message"]) >= {"event"}

    seen = make.item(world["project"], ItemKind.TICKET, title="Seen by the agent")
    make.item(world["hidden"], ItemKind.TICKET, title="Another team's")
    make.item(world["project"], ItemKind.TASK, title="A task, not subscribed")
    run_hub(app)
    [got] = receiver.requests  # only what the subscriber may see, of the subscribed type
    body = Webhook(secret).verify(got.body, got.headers)
    assert body["type"] == "ticket.created" and body["data"]["subject"]["id"] == seen.id

    # The same event's item in the polling trigger is the webhook's data.
    polled = zap.get("/api/v1/triggers/ticket.created").get_json()["result"]
    assert polled[0] == body["data"]

    # Someone else cannot remove it; its owner can.
    other = ApiClient(app.test_client(), make.user("Agent").username)
    assert other.delete(f"/api/v1/hooks/{hook_id}").status_code == 404
    assert zap.delete(f"/api/v1/hooks/{hook_id}").status_code == 200
    assert zap.delete(f"/api/v1/hooks/{hook_id}").status_code == 404
    make.item(world["project"], ItemKind.TICKET, title="After unsubscribing")
    run_hub(app)
    assert len(receiver.requests) == 1


def test_a_target_answering_410_is_unsubscribed(app: Flask, make: Factory,
                                               world: dict[str, Any],
                                               receiver: Receiver) -> None:
    hook_id = world["zap"].post("/api/v1/hooks/", json={
        "event": "ticket.*", "target_url": receiver.url()}).get_json()["id"]
    receiver.answer(410)
    make.item(world["project"], ItemKind.TICKET, title="Gone")
    run_hub(app)
    run_hub(app)  # the disabled event is matched (no e-mail for an unsubscribed REST hook)
    make.session.expire_all()
    row = make.session.get(WebhookEndpoint, hook_id)
    assert not row.enabled and row.disabled_reason.startswith("unsubscribed")
    [listed] = world["zap"].get("/api/v1/hooks/").get_json()["result"]
    assert listed["enabled"] is False
    event = make.session.scalars(select(Event).where(
        Event.type == "webhook_endpoint.disabled")).one()
    assert make.session.scalars(select(Delivery).where(Delivery.event_id == event.id)).all() \
        == []
    make.item(world["project"], ItemKind.TICKET, title="Not sent")
    run_hub(app)
    assert len(receiver.requests) == 1
    [delivery] = make.session.scalars(select(Delivery).where(
        Delivery.webhook_endpoint_id == hook_id)).all()
    assert delivery.status == DeliveryStatus.DEAD


def test_polling_trigger_is_newest_first_scoped_and_dedups_by_id(
        app: Flask, make: Factory, world: dict[str, Any]) -> None:
    zap = world["zap"]
    first = make.item(world["project"], ItemKind.TICKET, title="First")
    make.item(world["hidden"], ItemKind.TICKET, title="Hidden")
    second = make.item(world["project"], ItemKind.TICKET, title="Second")
    items = zap.get("/api/v1/triggers/ticket.created").get_json()["result"]
    assert [i["object"]["title"] for i in items] == ["Second", "First"]
    assert [i["subject"]["id"] for i in items] == [second.id, first.id]
    again = zap.get("/api/v1/triggers/ticket.created").get_json()["result"]
    assert [i["id"] for i in again] == [i["id"] for i in items]  # stable ids

    make.item(world["project"], ItemKind.TICKET, title="Third")
    seen = {i["id"] for i in items}
    polled = zap.get("/api/v1/triggers/ticket.created").get_json()["result"]
    new = [i for i in polled if i["id"] not in seen]  # what Zapier's dedup keeps
    assert [i["object"]["title"] for i in new] == ["Third"]
    since = zap.get(f"/api/v1/triggers/ticket.created?since_id={max(seen)}").get_json()
    assert [i["object"]["title"] for i in since["result"]] == ["Third"]
    assert [i["object"]["title"] for i in zap.get(
        "/api/v1/triggers/ticket.created?limit=1").get_json()["result"]] == ["Third"]
    wildcard = zap.get("/api/v1/triggers/ticket.*").get_json()["result"]
    assert {i["type"] for i in wildcard} == {"ticket.created"}
    assert zap.get("/api/v1/triggers/not an event").status_code == 422


def test_hooks_and_triggers_refuse_unknown_events_and_bad_arguments(
        app: Flask, make: Factory, world: dict[str, Any], receiver: Receiver) -> None:
    """Issue 17.10: an unknown event or a bad limit is a 422 naming it, not a silent 201/200
    that never fires; wildcards of real families and configured inbound endpoints pass."""
    zap, admin = world["zap"], world["admin"]

    def hook(event: str) -> Any:
        return zap.post("/api/v1/hooks/", json={"event": event, "target_url": receiver.url()})

    for event in ("nope.event", "ticket.nope", "nope.*", "inbound.crm"):
        refused = hook(event)
        assert refused.status_code == 422, (event, refused.get_json())
        message = refused.get_json()["message"]
        assert list(message) == ["event"] and repr(event) in message["event"][0], message
    for event in ("ticket.created", "ticket.*", "sla.*", "security.login_failed",
                  "message.deleted", "inbound.*", "*"):
        assert hook(event).status_code == 201, event
    made = admin.post("/api/v1/inbound_endpoint/", json={"slug": "crm",
                                                         "scheme": "standardwebhooks"})
    assert made.status_code == 201, made.get_json()
    assert hook("inbound.crm").status_code == 201  # configured now
    endpoint = admin.post("/api/v1/webhook_endpoint/", json={
        "name": "ERP", "url": receiver.url(), "event_types": ["ticket.created", "tickets.*"]})
    assert endpoint.status_code == 422
    assert "'tickets.*'" in endpoint.get_json()["message"]["event_types"][0]

    for url in ("/api/v1/triggers/no.such.event", "/api/v1/triggers/inbound.erp",
                "/api/v1/triggers/nope.*"):
        answer = zap.get(url)
        assert answer.status_code == 422 and list(answer.get_json()["message"]) == ["event"]
    for limit in ("abc", "-1", "0", "101", "1e3", str(10**30), ""):
        answer = zap.get(f"/api/v1/triggers/ticket.created?limit={limit}")
        assert answer.status_code == 422, limit
        assert list(answer.get_json()["message"]) == ["limit"], answer.get_json()
    answer = zap.get("/api/v1/triggers/nope.event?limit=abc&since_id=-5")
    assert answer.status_code == 422
    assert set(answer.get_json()["message"]) == {"event", "limit", "since_id"}
    make.item(world["project"], ItemKind.TICKET, title="Polled")
    for url in ("/api/v1/triggers/ticket.created?limit=100&since_id=0",
                "/api/v1/triggers/ticket.*?limit=1", "/api/v1/triggers/inbound.crm",
                "/api/v1/triggers/*?limit=5"):
        assert zap.get(url).status_code == 200, url


def test_payloads_carry_names_next_to_the_ids(app: Flask, make: Factory,
                                              world: dict[str, Any],
                                              receiver: Receiver) -> None:
    """Issue 17.9: a REST hook's signed body and the polling trigger's item give the names a
    Zap shows (status, type, project, organization, requester, assignees) beside the ids, in
    the versioned schema, and keep every v1 key."""
    zap, agent = world["zap"], world["agent"]
    org = make.organization("Acme Clinics")
    project = world["project"]
    project.organization_id = org.id
    make.session.commit()
    maria = make.customer("maria@acme.example", name="Maria Costa", organization_id=org.id)
    hook = zap.post("/api/v1/hooks/", json={"event": "ticket.assigned",
                                            "target_url": receiver.url()}).get_json()
    item = make.item(project, ItemKind.TICKET, title="Printer jam", requester_id=maria.id,
                     priority=3)
    agent.first_name, agent.last_name = "Ana", "Lima"
    item.assignee_users = [agent]
    make.session.commit()
    run_hub(app)
    [got] = receiver.requests
    body = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert body["schema"] == body["data"]["schema"] == "relaydesk.event.v2"
    obj = body["data"]["object"]
    status = item.status
    assert {key: obj[key] for key in (
        "id", "title", "status_id", "item_type_id", "project_id", "requester_id", "priority",
        "assignee_users_ids")} == {  # the v1 keys, unchanged
        "id": item.id, "title": "Printer jam", "status_id": status.id,
        "item_type_id": item.item_type_id, "project_id": project.id,
        "requester_id": maria.id, "priority": 3, "assignee_users_ids": [agent.id]}
    assert {key: obj[key] for key in (
        "status_name", "status_category", "item_type_name", "project_name",
        "organization_id", "organization_name", "requester_name", "requester_email",
        "assignee_names", "assignee_team_names")} == {
        "status_name": status.name, "status_category": status.category.value,
        "item_type_name": item.item_type.name, "project_name": project.name,
        "organization_id": org.id, "organization_name": "Acme Clinics",
        "requester_name": "Maria Costa", "requester_email": "maria@acme.example",
        "assignee_names": ["Ana Lima"], "assignee_team_names": []}
    assert body["data"]["changes"]["assignee_users_ids"] == {"before": [],
                                                             "after": [agent.id]}

    polled = zap.get("/api/v1/triggers/ticket.assigned").get_json()["result"]
    assert polled[0] == body["data"]
