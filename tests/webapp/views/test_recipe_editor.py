"""The recipe editor (forms from each action's schema, saving through the recipe write rules,
"test with the last matching event") and the webhook screens (secret shown once, rotation,
delivery log with replay, inbound endpoints and requests, API keys)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import Factory
from tests.hub.connector_world import connection
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    InboundEndpoint,
    Item,
    ItemKind,
    Recipe,
    WebhookAttempt,
    WebhookEndpoint,
)


def _catalogue(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="rd-editor-data">(.*?)</script>',
                      page, re.S)
    assert match, "the editor's data is missing"
    return json.loads(match.group(1))


def _json(browser: Browser, url: str, body: Any) -> Any:
    return browser.post(url, data=json.dumps(body), content_type="application/json")


def test_editor_page_builds_forms_from_the_action_schemas(app: Flask, client: Any,
                                                         make: Factory) -> None:
    connection(app, make.session, "stripe", "https://api.stripe.com", {"api_key": "sk_x"},
               name="Stripe live")
    make.session.add(InboundEndpoint(slug="crm", name="CRM", scheme="standardwebhooks",
                                     secret_encrypted="x"))
    make.session.commit()
    browser = Browser(app, client, make.user("Admin").username)
    page = browser.page("/recipe-editor/")
    assert 'src="/static/relaydesk/recipe_editor.js"' in page
    data = _catalogue(page)["catalogue"]
    actions = {a["name"]: a for a in data["actions"]}
    assert {actions["webhook"]["kind"], actions["set_status"]["kind"],
            actions["stripe.bill_hours"]["kind"]} == {"webhook", "internal", "connector"}
    bill = {f["name"]: f for f in actions["stripe.bill_hours"]["fields"]}
    assert bill["connection"]["required"] is True and bill["connection"]["type"] == "String"
    http = {f["name"]: f for f in actions["http.request"]["fields"]}
    assert http["method"]["choices"] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert http["url"]["label"] == "URL"
    # Connections and inbound events grow with the data: searched while typing
    # (tests/webapp/views/test_related_pickers.py), not embedded.
    assert bill["connection"]["lookup"] == "connections" and "connections" not in data
    assert "ticket.created" in data["events"] and "inbound.crm" not in data["events"]
    script = client.get("/static/relaydesk/recipe_editor.js")
    assert script.status_code == 200 and b"rd-editor-data" in script.data

    agent = Browser(app, app.test_client(), make.user("Agent").username)
    assert agent.get("/recipe-editor/").status_code in (302, 403)
    assert _json(agent, "/recipe-editor/save", {"name": "x"}).status_code in (401, 403)


def test_editor_saves_through_the_write_rules_and_previews_rendered_inputs(
        app: Flask, client: Any, make: Factory) -> None:
    browser = Browser(app, client, make.user("Admin").username)
    bad = _json(browser, "/recipe-editor/save", {
        "name": "", "trigger_event": "Ticket created!",
        "conditions": {"match": "all", "rules": [{"field": "item.priority", "op": "bigger",
                                                  "value": 3}]},
        "actions": [{"action_type": "set_status", "params": {}},
                    {"action_type": "no_such_action", "params": {}},
                    {"action_type": "post_message", "params": {"body": "{{ item.title"}}]})
    assert bad.status_code == 422
    message = bad.get_json()["message"]
    assert set(message) >= {"name", "actions"}
    assert set(message["actions"]) == {"0", "1", "2"}
    assert "status" in message["actions"]["0"]["params"]
    assert "action_type" in message["actions"]["1"]
    assert make.session.scalar(select(func.count()).select_from(Recipe).where(
        Recipe.name == "")) == 0

    body = {"name": "VIP to urgent", "enabled": True, "trigger_event": "ticket.created",
            "conditions": {"match": "all", "rules": [
                {"field": "item.priority", "op": "gte", "value": 4}]},
            "actions": [{"action_type": "post_message",
                         "params": {"body": "Hello {{ requester.name }}, about {{ item.title }}",
                                    "public": False}},
                        {"action_type": "set_field", "params": {"field": "priority",
                                                                "value": "5"}}]}
    saved = _json(browser, "/recipe-editor/save", body)
    assert saved.status_code == 201, saved.get_json()
    recipe_id = saved.get_json()["id"]
    make.session.expire_all()
    recipe = make.session.get(Recipe, recipe_id)
    assert [(a.position, a.action_type) for a in recipe.actions] == [
        (0, "post_message"), (1, "set_field")]
    page = browser.page(f"/recipe-editor/{recipe_id}")
    assert _catalogue(page)["recipe"]["actions"][1]["params"] == {"field": "priority",
                                                                  "value": "5"}

    # Edit: one action less, the first one changed in place.
    edit = dict(body, id=recipe_id, trigger_event="inbound.stripe-eu2", conditions=None,
                actions=[{"action_type": "set_status",
                                              "params": {"status": "Done"}}])
    assert _json(browser, "/recipe-editor/save", edit).status_code == 200
    make.session.expire_all()
    edited = make.session.get(Recipe, recipe_id)
    assert edited.trigger_event == "inbound.stripe-eu2"
    assert [(a.action_type, a.params) for a in edited.actions] == [
        ("set_status", {"status": "Done"})]

    # Test with the last matching event: the rendered inputs, and nothing written.
    preview_body = dict(body, id=recipe_id)
    nothing = _json(browser, "/recipe-editor/test", preview_body).get_json()["result"]
    assert nothing["event"] is None
    project = make.project(teams=[make.team()])
    requester = make.customer("ana@client.example", name="Ana")
    make.item(project, ItemKind.TICKET, title="Low", priority=1)
    vip = make.item(project, ItemKind.TICKET, title="Server down", priority=5,
                    requester_id=requester.id)
    make.item(project, ItemKind.TICKET, title="Also low", priority=0)
    counts = (make.session.scalar(select(func.count()).select_from(Event)),
              make.session.scalar(select(func.count()).select_from(Delivery)))
    result = _json(browser, "/recipe-editor/test", preview_body).get_json()["result"]
    assert result["event"]["subject"] == f"item {vip.id}" and result["conditions_hold"]
    first, second = result["actions"]
    assert first["inputs"] == {"body": "Hello Ana, about Server down", "public": False}
    assert "errors" not in first and second["inputs"] == {"field": "priority", "value": "5"}
    broken = _json(browser, "/recipe-editor/test", dict(body, actions=[
        {"action_type": "post_message", "params": {"body": "{{ item.nope }}"}}]))
    assert "has no attribute 'nope'" in broken.get_json()["result"]["actions"][0]["errors"]["body"][0]
    make.session.expire_all()
    assert (make.session.scalar(select(func.count()).select_from(Event)),
            make.session.scalar(select(func.count()).select_from(Delivery))) == counts
    assert make.session.get(Item, vip.id).priority == 5


def _token_free_form(browser: Browser, url: str, data: dict[str, Any]) -> Any:
    return browser.post(url, data=data, follow_redirects=True)


def test_webhook_screens_secret_rotation_log_and_replay(app: Flask, client: Any,
                                                       make: Factory) -> None:
    browser = Browser(app, client, make.user("Admin").username)
    refused = _token_free_form(browser, "/webhook-endpoints/add", {
        "name": "Intranet", "url": "http://10.0.0.5/hook", "event_types": "ticket.*",
        "enabled": "y"})
    assert "refused" in refused.get_data(as_text=True)
    added = _token_free_form(browser, "/webhook-endpoints/add", {
        "name": "Partner", "url": "http://127.0.0.1:9/hook",
        "event_types": "ticket.created, task.*", "enabled": "y"})
    page = added.get_data(as_text=True)
    shown = re.search(r"(whsec_[A-Za-z0-9+/=]+)", page)
    assert shown, "the new secret is shown once"
    make.session.expire_all()
    endpoint = make.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.name == "Partner")).one()
    assert endpoint.event_types == ["ticket.created", "task.*"]
    from webapp.commands.connections import app_cipher

    assert endpoint.secret(app_cipher(app)) == shown.group(1)
    assert shown.group(1) not in endpoint.secret_encrypted

    show = browser.page(f"/webhook-endpoints/show/{endpoint.id}")
    assert "Rotate secret" in show and shown.group(1) not in show
    rotated = _token_free_form(browser, f"/webhook-endpoints/rotate/{endpoint.id}",
                               {"grace": "2h"})
    new = re.search(r"New signing secret[^:]*: (whsec_[A-Za-z0-9+/=]+)",
                    rotated.get_data(as_text=True))
    assert new and new.group(1) != shown.group(1)
    make.session.expire_all()
    assert make.session.get(WebhookEndpoint, endpoint.id).previous_secret_expires_at

    # Disabled (410, say), then enabled again on the edit form: its failure state is cleared.
    row = make.session.get(WebhookEndpoint, endpoint.id)
    row.enabled, row.disabled_reason = False, "the receiver answered 410 Gone"
    row.failing_since = row.disabled_at = row.created_at
    make.session.commit()
    _token_free_form(browser, f"/webhook-endpoints/edit/{endpoint.id}", {
        "name": "Partner", "url": "http://127.0.0.1:9/hook", "event_types": "ticket.created",
        "enabled": "y"})
    make.session.expire_all()
    row = make.session.get(WebhookEndpoint, endpoint.id)
    assert row.enabled and row.event_types == ["ticket.created"]
    assert (row.disabled_reason, row.failing_since, row.disabled_at) == (None, None, None)

    # A dead delivery in its log replays from the log screen.
    item = make.item(make.project(teams=[make.team()]), ItemKind.TICKET)
    event = make.session.scalars(select(Event).where(Event.subject_id == item.id)).first()
    delivery = Delivery(event_id=event.id, webhook_endpoint_id=endpoint.id,
                        action_type="webhook", status=DeliveryStatus.DEAD, attempts=3,
                        last_error="the receiver answered 500")
    make.session.add(delivery)
    make.session.flush()
    attempt = WebhookAttempt(endpoint_id=endpoint.id, delivery_id=delivery.id, attempt=3,
                             webhook_id=f"msg_relaydesk_{delivery.id}", url=endpoint.url,
                             request_headers={"webhook-id": "x"}, request_body='{"type": 1}',
                             response_status=500, response_body="upstream exploded",
                             outcome="failed")
    make.session.add(attempt)
    make.session.commit()
    log = browser.page("/webhook-attempts/list/")
    assert f"msg_relaydesk_{delivery.id}" in log
    assert "upstream exploded" in browser.page(f"/webhook-attempts/show/{attempt.id}")
    browser.post("/webhook-attempts/action_post", data={"action": "replay",
                                                        "rowid": [str(attempt.id)]})
    make.session.expire_all()
    assert make.session.get(Delivery, delivery.id).status == DeliveryStatus.PENDING


def test_inbound_and_api_key_screens(app: Flask, client: Any, make: Factory) -> None:
    admin = make.user("Admin")
    browser = Browser(app, client, admin.username)
    added = _token_free_form(browser, "/inbound-endpoints/add", {
        "slug": "stripe", "name": "Stripe", "scheme": "stripe", "new_secret": "whsec_abcdefgh12",
        "tolerance_seconds": "300", "enabled": "y"})
    text = added.get_data(as_text=True)
    assert "/hooks/in/stripe" in text and "whsec_abcdefgh12" not in text
    make.session.expire_all()
    row = make.session.scalars(select(InboundEndpoint)).one()
    from webapp.commands.connections import app_cipher

    assert row.secret(app_cipher(app)) == "whsec_abcdefgh12"
    client.post("/hooks/in/stripe", data=b'{"id": "evt_x"}', content_type="application/json")
    listing = browser.page("/inbound-requests/list/")
    assert "missing Stripe-Signature header" in listing

    keys = browser.page("/api-keys/")
    assert "Make a key" in keys
    made = _token_free_form(browser, "/api-keys/make", {"name": "Zapier",
                                                        "user_id": str(admin.id)})
    key = re.search(r"(rdk_[A-Za-z0-9_-]+)", made.get_data(as_text=True))
    assert key
    with app.app_context():
        me = app.test_client().get("/api/v1/me", headers={"X-API-Key": key.group(1)})
    assert me.status_code == 200 and me.get_json()["result"]["username"] == admin.username
    agent = Browser(app, app.test_client(), make.user("Agent").username)
    assert agent.get("/api-keys/").status_code in (302, 403)
