"""The transactional outbox: an event row per change, in the change's own transaction.

Changes go through the REST API as a signed-in user (the actor) or through the models;
the events are read back from the database and through ``/api/v1/event/``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import ApiClient, Factory
from webapp.automation import DISPATCHER_KEY
from webapp.models import Event, Item, ItemKind, ItemType, Status


class Recorder:
    """Stands in for the dispatcher: what would have been handed to the workers."""

    def __init__(self) -> None:
        self.committed: list[list[int]] = []

    def events_committed(self, event_ids: list[int]) -> None:
        self.committed.append(list(event_ids))

    def deliveries_due(self) -> None:
        return None


@pytest.fixture
def recorder(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setitem(app.extensions, DISPATCHER_KEY, rec)
    return rec


def events(make: Factory, **where: Any) -> list[Event]:
    make.session.expire_all()
    query = select(Event).order_by(Event.id)
    for key, value in where.items():
        query = query.where(getattr(Event, key) == value)
    return list(make.session.scalars(query))


def types_of(make: Factory, **where: Any) -> list[str]:
    return [e.type for e in events(make, **where)]


def status(make: Factory, type_name: str, name: str) -> Status:
    return make.session.scalars(select(Status).join(ItemType).where(
        ItemType.name == type_name, Status.name == name)).one()


def test_events_commit_with_the_change_or_not_at_all(make: Factory,
                                                     recorder: Recorder) -> None:
    project = make.project()
    assert len(recorder.committed) == 1  # project.created
    recorder.committed.clear()
    before = len(events(make))
    ticket_type = make.item_type()
    item = Item(kind=ItemKind.TICKET, title="Rolled back", item_type=ticket_type,
                status=ticket_type.statuses[0], project_id=project.id)
    make.session.add(item)
    make.session.flush()
    # Written by the flush, in the same transaction as the item ...
    assert [e.type for e in make.session.scalars(select(Event).where(
        Event.subject_id == item.id, Event.subject_type == "item"))] == ["ticket.created"]
    make.session.rollback()
    # ... and gone with it; nobody was told about it.
    assert len(events(make)) == before
    assert make.session.scalar(select(Item.id).where(Item.title == "Rolled back")) is None
    assert recorder.committed == []

    kept = make.item(project, title="Committed")
    [created] = events(make, subject_type="item", subject_id=kept.id)
    assert created.type == "ticket.created"
    assert recorder.committed == [[created.id]]
    assert created.processed_at is None and created.depth == 0
    assert created.data["title"] == "Committed" and created.data["id"] == kept.id


def test_event_types_diffs_and_actor_through_the_api(app: Flask, make: Factory,
                                                     client: FlaskClient) -> None:
    admin = make.user("Admin")
    agent = make.user("Agent")
    api = ApiClient(client, admin.username)
    team = make.team()
    project_id = _post(api, "project", name="Clinic 48", teams=[team.id])
    org_id = _post(api, "organization", name="Northside Clinic")
    customer_id = _post(api, "customer", email="dr.lee@northside.example", name="Dr. Lee",
                        organization=org_id)
    ticket_type, task_type = make.item_type(), make.item_type(ItemKind.TASK)
    ticket = _post(api, "ticket", title="Printer jammed", item_type=ticket_type.id,
                   project=project_id, requester=customer_id, priority=2)
    new, open_ = status(make, "Ticket", "New"), status(make, "Ticket", "Open")

    _put(api, "ticket", ticket, status=open_.id, priority=4)
    _put(api, "ticket", ticket, assignee_users=[agent.id])
    _put(api, "ticket", ticket, title="Printer jammed", priority=4)  # no change at all
    message = _post(api, "message", item=ticket, is_public=True, body_html="<p>On it</p>")
    timesheet = _post(api, "timesheet", user=admin.id, item=ticket, work_date="2026-11-20",
                      hours=1.5)
    task = _post(api, "task", title="Replace drum", item_type=task_type.id,
                 project=project_id)
    _put(api, "task", task, status=status(make, "Task", "In progress").id)
    assert api.delete(f"/api/v1/ticket/{ticket}").status_code == 200

    assert types_of(make, subject_type="project") == ["project.created"]
    assert types_of(make, subject_type="organization") == ["organization.created"]
    assert types_of(make, subject_type="customer") == ["customer.created"]
    assert types_of(make, subject_type="message") == ["message.created"]
    assert types_of(make, subject_type="timesheet") == ["timesheet.created"]
    assert types_of(make, subject_type="item", subject_id=ticket) == [
        "ticket.created", "ticket.updated", "ticket.status_changed",
        "ticket.updated", "ticket.assigned", "ticket.deleted"]
    assert types_of(make, subject_type="item", subject_id=task) == [
        "task.created", "task.updated", "task.status_changed"]
    every = events(make)
    assert {e.actor_user_id for e in every} == {admin.id}
    assert {e.actor_recipe_id for e in every} == {None}

    [_, changed, status_changed, _, assigned, deleted] = events(
        make, subject_type="item", subject_id=ticket)
    assert changed.diff == status_changed.diff == {
        "status_id": {"before": new.id, "after": open_.id},
        "status": {"before": "New", "after": "Open"},
        "priority": {"before": 2, "after": 4},
    }
    assert assigned.diff == {"assignee_users_ids": {"before": [], "after": [agent.id]}}
    assert assigned.data["assignee_users_ids"] == [agent.id]
    assert deleted.diff == {} and deleted.data["title"] == "Printer jammed"
    [msg_event] = events(make, subject_type="message")
    assert msg_event.subject_id == message and msg_event.data["item_id"] == ticket
    [ts_event] = events(make, subject_type="timesheet")
    assert ts_event.subject_id == timesheet and ts_event.data["hours"] == 1.5
    [customer_event] = events(make, subject_type="customer")
    assert customer_event.data["organization_id"] == org_id


def test_event_api_filters_and_hides_what_the_viewer_may_not_see(
        app: Flask, make: Factory, client: FlaskClient) -> None:
    ours, theirs = make.team(), make.team()
    agent = make.user("Agent", teams=[ours])
    admin = make.user("Admin")
    visible = make.item(make.project(teams=[ours]), title="Ours")
    hidden = make.item(make.project(teams=[theirs]), title="Theirs")
    visible.priority = 3
    make.session.commit()
    make.customer("someone@example.com")

    as_admin = ApiClient(client, admin.username)
    as_agent = ApiClient(client, agent.username)

    def listed(api: ApiClient, *filters: tuple[str, Any]) -> list[tuple[str, Any]]:
        rison = ",".join(f"(col:{col},opr:eq,value:{value})" for col, value in filters)
        response = api.get(f"/api/v1/event/?q={quote(f'(filters:!({rison}),page_size:100)')}")
        assert response.status_code == 200, response.get_json()
        return [(row["type"], row["subject_id"]) for row in response.get_json()["result"]]

    assert sorted(listed(as_admin, ("type", "ticket.created"))) == [
        ("ticket.created", visible.id), ("ticket.created", hidden.id)]
    assert listed(as_agent, ("type", "ticket.created")) == [("ticket.created", visible.id)]
    assert listed(as_admin, ("subject_type", "item"), ("subject_id", hidden.id)) == [
        ("ticket.created", hidden.id)]
    assert listed(as_agent, ("subject_type", "item"), ("subject_id", hidden.id)) == []
    assert listed(as_agent, ("subject_type", "item"), ("subject_id", visible.id)) == [
        ("ticket.updated", visible.id), ("ticket.created", visible.id)]
    assert [t for t, _ in listed(as_agent, ("type", "customer.created"))] == [
        "customer.created"]

    hidden_event = events(make, subject_type="item", subject_id=hidden.id)[0]
    assert as_agent.get(f"/api/v1/event/{hidden_event.id}").status_code == 404
    shown = as_admin.get(f"/api/v1/event/{hidden_event.id}")
    assert shown.status_code == 200
    assert shown.get_json()["result"]["data"]["title"] == "Theirs"
    # Events are history: the API neither writes nor deletes them.
    assert as_admin.post("/api/v1/event/", json={"type": "x.y"}).status_code in (404, 405)
    assert as_admin.delete(f"/api/v1/event/{hidden_event.id}").status_code in (404, 405)


def _post(api: ApiClient, resource: str, **fields: Any) -> int:
    response = api.post(f"/api/v1/{resource}/", json=fields)
    assert response.status_code == 201, (resource, response.get_json())
    return response.get_json()["id"]


def _put(api: ApiClient, resource: str, pk: int, **fields: Any) -> None:
    response = api.put(f"/api/v1/{resource}/{pk}", json=fields)
    assert response.status_code == 200, (resource, response.get_json())
