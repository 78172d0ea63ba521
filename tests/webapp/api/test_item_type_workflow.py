"""A new item type starts with the default workflow of its kind, and no refusal shows the
database's text (issue 17, point 2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.clients import Browser
from tests.factories import ApiClient, Factory
from webapp.models import ItemType, Status
from webapp.seed import DEFAULT_WORKFLOWS, default_statuses

DATABASE_WORDS = ("null value", "violates", "constraint", "column", "relation", "DETAIL",
                  "INSERT", "UPDATE", "status_id", "item_type_id")


def _shows_no_database_text(body: Any) -> None:
    text = str(body)
    for word in DATABASE_WORDS:
        assert word not in text, f"{word!r} in {text}"


def _statuses(make: Factory, type_id: int) -> list[tuple[str, str, str]]:
    make.session.expire_all()
    return [(s.name, s.category.value, s.colour) for s in make.session.scalars(
        select(Status).where(Status.item_type_id == type_id).order_by(Status.position))]


def _expected(kind: str, name: str) -> list[tuple[str, str, str]]:
    from webapp.models import ItemKind

    return [(s.name, s.category.value, s.colour)
            for s in default_statuses(ItemKind(kind), name)]


def test_a_new_ticket_type_starts_with_the_default_workflow_and_takes_tickets(
        app: Any, make: Factory) -> None:
    api = ApiClient(app.test_client(), make.user("Admin").username)
    project = make.project(teams=[make.team()])
    customer = make.customer()

    response = api.post("/api/v1/item_type/", json={"kind": "ticket", "name": "Hardware"})
    assert response.status_code == 201, response.get_json()
    hardware = response.get_json()["id"]
    assert _statuses(make, hardware) == _expected("ticket", "Ticket")
    assert [name for name, *_ in _statuses(make, hardware)] == [
        "New", "Open", "Waiting on customer", "Solved", "Closed"]

    created = api.post("/api/v1/ticket/", json={
        "title": "Broken keyboard", "item_type": hardware, "project": project.id,
        "requester": customer.id})
    assert created.status_code == 201, created.get_json()
    shown = api.get(f"/api/v1/ticket/{created.get_json()['id']}").get_json()["result"]
    assert shown["status"]["name"] == "New"

    # The copy is the type's own: editable without touching the shipped "Ticket" type.
    first = make.session.scalars(select(Status).where(
        Status.item_type_id == hardware, Status.name == "New")).one()
    renamed = api.put(f"/api/v1/status/{first.id}", json={"name": "Logged"})
    assert renamed.status_code == 200, renamed.get_json()
    assert _statuses(make, hardware)[0][0] == "Logged"
    ticket = make.session.scalars(select(ItemType).where(ItemType.name == "Ticket")).one()
    assert _statuses(make, ticket.id)[0][0] == "New"


def test_a_new_task_type_starts_with_the_task_workflow(app: Any, make: Factory) -> None:
    api = ApiClient(app.test_client(), make.user("Admin").username)
    response = api.post("/api/v1/item_type/", json={"kind": "task", "name": "Install"})
    assert response.status_code == 201, response.get_json()
    assert _statuses(make, response.get_json()["id"]) == _expected("task", "Task")
    assert ("Not started", "new", "#adb5bd") in _statuses(make, response.get_json()["id"])
    # The definitions are the seed's, not a copy of them.
    assert any(name == "Task" for _, name in DEFAULT_WORKFLOWS)


def test_the_item_type_screen_creates_a_type_with_its_workflow(app: Any, make: Factory) -> None:
    browser = Browser(app, app.test_client(), make.user("Admin").username)
    # (The screen's form requires "is default" ticked today: FAB makes a non-null Boolean's
    # checkbox required.)
    response = browser.post("/item-types/add", data={"name": "Network", "kind": "ticket",
                                                     "is_default": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    make.session.expire_all()
    network = make.session.scalars(select(ItemType).where(ItemType.name == "Network")).one()
    assert _statuses(make, network.id) == _expected("ticket", "Ticket")
    page = browser.page(f"/item-types/show/{network.id}")
    assert "Waiting on customer" in page


def test_a_type_without_statuses_is_refused_in_words(app: Any, make: Factory) -> None:
    api = ApiClient(app.test_client(), make.user("Admin").username)
    project = make.project(teams=[make.team()])
    created = api.post("/api/v1/item_type/", json={"kind": "ticket", "name": "Empty"})
    empty = created.get_json()["id"]
    for status in make.session.scalars(select(Status).where(Status.item_type_id == empty)):
        make.session.delete(status)
    make.session.commit()

    response = api.post("/api/v1/ticket/", json={
        "title": "Nowhere to go", "item_type": empty, "project": project.id})
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == {
        "status": ["type 'Empty' has no statuses; add one to its workflow first"]}, body
    _shows_no_database_text(body)


def test_a_duplicate_type_name_names_the_field_not_the_database(
        app: Any, make: Factory) -> None:
    api = ApiClient(app.test_client(), make.user("Admin").username)
    assert api.post("/api/v1/item_type/", json={"kind": "ticket", "name": "Dup"}).status_code \
        == 201
    again = api.post("/api/v1/item_type/", json={"kind": "ticket", "name": "Dup"})
    assert again.status_code == 422
    body = again.get_json()
    assert body["message"] == {"name": ["another item type already has this kind and name"]}
    _shows_no_database_text(body)
    # The same name for the other kind is another type.
    assert api.post("/api/v1/item_type/", json={"kind": "task", "name": "Dup"}).status_code \
        == 201
