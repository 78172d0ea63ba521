"""New ticket: type's statuses only, priority 3 by default, the project remembered per agent,
the requester found or created inline, bad input a 422 naming the field, the page opens."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import Factory
from webapp.models import Customer, Event, Item, ItemKind, ItemType, StaffProfile


@pytest.fixture
def desk(app: Flask, client: FlaskClient, make: Factory) -> dict[str, Any]:
    team = make.team()
    agent = make.user("Agent", teams=[team])
    first = make.project(teams=[team], name="Alpha desk")
    second = make.project(teams=[team], name="Beta desk")
    hidden = make.project(teams=[make.team()], name="Hidden desk")
    customer = make.customer(name="Cleo Customer", email="cleo@client.example")
    return {"agent": agent, "first": first, "second": second, "hidden": hidden,
            "customer": customer, "browser": Browser(app, client, agent.username)}


def ticket_type(make: Factory) -> ItemType:
    return make.item_type(ItemKind.TICKET)


def test_form_offers_types_statuses_and_priority_3(desk: dict[str, Any], make: Factory) -> None:
    page = desk["browser"].page("/workspace/ticket/new")
    assert 'value="3" checked' in page
    assert "Alpha desk" in page and "Beta desk" in page and "Hidden desk" not in page
    task_types = make.session.scalars(select(ItemType).where(
        ItemType.kind == ItemKind.TASK)).all()
    for task_type in task_types:
        for status in task_type.statuses:
            assert f'value="{status.id}" data-type' not in page
    assert "None" not in page and "__None" not in page


def test_create_opens_the_ticket_and_remembers_the_project(desk: dict[str, Any],
                                                           make: Factory) -> None:
    kind = ticket_type(make)
    answer = desk["browser"].post("/workspace/ticket/new", data={
        "title": "Card reader broken", "item_type": str(kind.id),
        "project": str(desk["second"].id), "requester": str(desk["customer"].id),
        "description": "It beeps twice."})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    item = make.session.scalars(select(Item).where(Item.title == "Card reader broken")).one()
    assert answer.headers["Location"].endswith(f"/workspace/ticket/{item.id}")
    assert item.priority == 3 and item.status_id == kind.statuses[0].id
    assert item.requester_id == desk["customer"].id and item.kind == ItemKind.TICKET
    assert make.session.scalar(select(func.count(Event.id)).where(
        Event.subject_id == item.id, Event.type == "ticket.created")) == 1
    assert make.session.get(StaffProfile, desk["agent"].id).last_project_id == desk["second"].id
    page = desk["browser"].page("/workspace/ticket/new")
    assert f'<option value="{desk["second"].id}" selected>' in page


def test_requester_search_and_inline_create(desk: dict[str, Any], make: Factory) -> None:
    found = desk["browser"].get("/workspace/ticket/requesters?q=cleo").get_json()["result"]
    assert [(r["name"], r["email"]) for r in found] == [("Cleo Customer", "cleo@client.example")]
    assert desk["browser"].get("/workspace/ticket/requesters?q=" + "x" * 201).status_code == 422
    kind = ticket_type(make)
    answer = desk["browser"].post("/workspace/ticket/new", data={
        "title": "New customer asks", "item_type": str(kind.id), "priority": "5",
        "project": str(desk["first"].id), "requester_email": "Dora@New.example",
        "requester_name": "Dora New"})
    assert answer.status_code == 302
    customer = make.session.scalars(select(Customer).where(
        Customer.email == "dora@new.example")).one()
    item = make.session.scalars(select(Item).where(Item.title == "New customer asks")).one()
    assert customer.name == "Dora New" and item.requester_id == customer.id
    assert item.priority == 5


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"priority": "0"}, "priority"),
    ({"status": "wrong"}, "status"),
    ({"project": "hidden"}, "project"),
    ({"requester_email": "not-an-address"}, "requester_email"),
])
def test_bad_input_is_422_and_creates_nothing(desk: dict[str, Any], make: Factory,
                                              change: dict[str, str], field: str) -> None:
    kind = ticket_type(make)
    other = next(t for t in make.session.scalars(select(ItemType).where(
        ItemType.kind == ItemKind.TASK)))
    data = {"title": "Refused", "item_type": str(kind.id), "project": str(desk["first"].id)}
    data.update(change)
    if change.get("status") == "wrong":
        data["status"] = str(other.statuses[0].id)
    if change.get("project") == "hidden":
        data["project"] = str(desk["hidden"].id)
    answer = desk["browser"].post("/workspace/ticket/new", data=data)
    assert answer.status_code == 422
    assert "The ticket was not created" in answer.get_data(as_text=True)
    assert make.session.scalar(select(func.count(Item.id)).where(Item.title == "Refused")) == 0
    assert make.session.scalar(select(func.count(Customer.id)).where(
        Customer.email == "not-an-address")) == 0
