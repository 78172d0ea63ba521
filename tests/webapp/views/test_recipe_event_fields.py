"""The recipe editor's trigger picker: the event types that exist (imported from
``KNOWN_EVENTS``), ``inbound.<slug>`` of configured endpoints, and the fields each event
carries, checked against the contexts of real events."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from hub.context import build_context
from tests.clients import Browser
from tests.factories import Factory
from webapp.commands.webhooks import KNOWN_EVENTS
from webapp.models import Event, InboundEndpoint, ItemKind, Message
from webapp.views.recipe_events import GROUPS, event_fields


def _catalogue(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="rd-editor-data">(.*?)</script>',
                      page, re.S)
    assert match
    return json.loads(match.group(1))["catalogue"]


def test_the_picker_offers_every_known_event_by_family(app: Flask, client: Any,
                                                       make: Factory) -> None:
    page = Browser(app, client, make.user("Admin").username).page("/recipe-editor/")
    families = _catalogue(page)["families"]
    offered = [name for family in families for name in family["events"]]
    assert sorted(offered) == sorted(KNOWN_EVENTS)  # the list itself, not a drifting copy
    assert all(name.startswith(f["family"] + ".") for f in families for name in f["events"])
    # The trigger is a picker with a visible label; no input is left without one.
    assert '<select id="rd-trigger"' in page and '<label for="rd-trigger">' in page
    for control in ("rd-name", "rd-position", "rd-inbound", "rd-filter-field",
                    "rd-filter-from", "rd-filter-to", "rd-match"):
        assert f'<label for="{control}">' in page, control


def test_fields_of_an_event(app: Flask, client: Any, make: Factory) -> None:
    make.session.add(InboundEndpoint(slug="crm", name="CRM", scheme="standardwebhooks",
                                     secret_encrypted="x"))
    make.session.commit()
    admin = Browser(app, client, make.user("Admin").username)

    def fields(event: str) -> Any:
        return admin.get("/recipe-editor/fields", query_string={"event": event})

    changed = fields("ticket.status_changed").get_json()["fields"]
    assert "item.status" in changed["item"] and "requester.email" in changed["requester"]
    assert "event.diff.status.after" in changed["event.diff"]
    assert "event.data.status_id" in changed["event.data"]
    message = fields("message.created").get_json()["fields"]
    assert "message.body" in message["message"] and "item.title" in message["item"]
    inbound = fields("inbound.crm").get_json()["fields"]
    assert inbound["event.data"] == ["event.data.type", "event.data.payload",
                                     "event.data.message_id", "event.data.request_id",
                                     "event.data.endpoint"]
    assert "item" not in inbound
    mail = fields("mail.received").get_json()["fields"]
    assert "event.data.support_address" in mail["event.data"]
    assert set(fields("ticket.*").get_json()["fields"]) >= {"item", "event.diff"}
    assert set(fields("*").get_json()["fields"]) == {"event"}

    for bad in ("ticket.nope", "inbound.unknown", "Not an event"):
        refused = fields(bad)
        assert refused.status_code == 422 and "event" in refused.get_json()["message"]
    agent = Browser(app, app.test_client(), make.user("Agent").username)
    assert agent.get("/recipe-editor/fields?event=ticket.created").status_code in (401, 403)


def _paths(value: dict[str, Any], prefix: str) -> set[str]:
    return {f"{prefix}.{key}" for key in value}


def test_the_listed_fields_are_the_real_contexts(app: Flask, make: Factory) -> None:
    """What the picker lists is what conditions and templates actually get."""
    project = make.project(teams=[make.team()])
    org = make.organization("Acme")
    customer = make.customer("ana@acme.example", name="Ana", organization_id=org.id)
    ticket = make.item(project, ItemKind.TICKET, requester_id=customer.id)
    make.session.add(Message(item_id=ticket.id, body_html="<p>hi</p>", is_public=True,
                             author_customer_id=customer.id))
    make.session.commit()
    events = {e.type: e for e in make.session.scalars(select(Event).order_by(Event.id))}
    ticket_context = build_context(make.session, events["ticket.created"])
    for group in ("item", "requester", "organization"):
        assert set(GROUPS[group]) == _paths(ticket_context[group], group), group
    assert set(GROUPS["event"]) == _paths(ticket_context["event"], "event")
    message_context = build_context(make.session, events["message.created"])
    assert set(GROUPS["message"]) == _paths(message_context["message"], "message")
    customer_context = build_context(make.session, events["customer.created"])
    assert set(GROUPS["customer"]) == _paths(customer_context["customer"], "customer")
    # event.data of a change: the row's columns.
    listed = set(event_fields("ticket.created")["event.data"])
    assert _paths(events["ticket.created"].data, "event.data") <= listed
