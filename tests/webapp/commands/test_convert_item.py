"""Converting a ticket into a task: POST /api/v1/ticket/<id>/convert-to-task."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import ApiClient, Factory, quick_user
from webapp.models import Item, ItemKind, ItemType, Message, Status


def status_named(item_type: ItemType, name: str) -> Status:
    return next(s for s in item_type.statuses if s.name == name)


@pytest.fixture
def desk(client, make) -> SimpleNamespace:
    team = make.team()
    admin = quick_user(make, "Admin")
    agent = quick_user(make, "Agent", teams=[team])
    colleague = quick_user(make, "Agent", teams=[team])
    outsider = quick_user(make, "Agent", teams=[make.team()])
    viewer = quick_user(make, "Read-only", teams=[team])
    project = make.project(teams=[team])
    customer = make.customer(name="Carla Client")
    return SimpleNamespace(
        make=make, project=project, team=team, customer=customer, agent_user=agent,
        colleague=colleague,
        ticket_type=make.item_type(ItemKind.TICKET, "Ticket"),
        hardware=make.item_type(ItemKind.TICKET, "Hardware request"),
        task_type=make.item_type(ItemKind.TASK, "Task"),
        milestone=make.item_type(ItemKind.TASK, "Milestone"),
        admin=ApiClient(client, admin.username),
        agent=ApiClient(client, agent.username),
        outsider=ApiClient(client, outsider.username),
        viewer=ApiClient(client, viewer.username),
    )


def ticket(desk: SimpleNamespace, status: str = "New", **kw: Any) -> Item:
    item_type = kw.pop("item_type", desk.ticket_type)
    item = desk.make.item(desk.project, ItemKind.TICKET, item_type=item_type, **kw)
    item.status = status_named(item_type, status)
    desk.make.session.commit()
    return item


def convert(api: ApiClient, item_id: int, body: Any = None) -> Any:
    if body is None:
        return api.post(f"/api/v1/ticket/{item_id}/convert-to-task")
    return api.post(f"/api/v1/ticket/{item_id}/convert-to-task", json=body)


def reload(make: Factory, item_id: int) -> Item:
    make.session.expire_all()
    return make.session.get(Item, item_id)


def messages(make: Factory, item_id: int) -> list[Message]:
    make.session.expire_all()
    return list(make.session.scalars(
        select(Message).where(Message.item_id == item_id).order_by(Message.id)))


def test_ticket_becomes_a_task_with_its_conversation(desk: SimpleNamespace) -> None:
    make = desk.make
    item = ticket(desk, "New", title="Set up the new branch", priority=4,
                  requester_id=desk.customer.id, description="<p>Branch in Porto</p>")
    item.follower_users = [desk.colleague]
    item.follower_customers = [desk.customer]
    item.assignee_teams = [desk.team]
    public = Message(item_id=item.id, body_html="<p>Can you help?</p>",
                     author_customer_id=desk.customer.id, is_public=True)
    private = Message(item_id=item.id, body_html="<p>Needs a project</p>",
                      author_user_id=desk.agent_user.id, is_public=False)
    make.session.add_all([public, private])
    make.session.commit()
    item_id, public_id, private_id = item.id, public.id, private.id

    response = convert(desk.agent, item_id)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    not_started = status_named(desk.task_type, "Not started")
    assert result == {"id": item_id, "kind": "task", "item_type_id": desk.task_type.id,
                      "status_id": not_started.id}

    # The same row, now a task: listed and shown as one, no longer as a ticket.
    api = desk.agent
    assert api.get(f"/api/v1/ticket/{item_id}").status_code == 404
    assert item_id not in api.get("/api/v1/ticket/").get_json()["ids"]
    assert item_id in api.get("/api/v1/task/").get_json()["ids"]
    shown = api.get(f"/api/v1/task/{item_id}")
    assert shown.status_code == 200
    task = shown.get_json()["result"]
    assert task["kind"] == "task"
    assert task["title"] == "Set up the new branch"
    assert task["description"] == "<p>Branch in Porto</p>"
    assert task["priority"] == 4
    assert task["requester"]["id"] == desk.customer.id
    assert task["status"]["id"] == not_started.id
    assert task["item_type"]["id"] == desk.task_type.id
    # Followers, users and customers, stay; so do assignees.
    assert [u["id"] for u in task["follower_users"]] == [desk.colleague.id]
    assert [c["id"] for c in task["follower_customers"]] == [desk.customer.id]
    assert [t["id"] for t in task["assignee_teams"]] == [desk.team.id]

    # The conversation stays, with a private note about the conversion after it.
    thread = messages(make, item_id)
    assert [m.id for m in thread[:2]] == [public_id, private_id]
    assert len(thread) == 3
    note = thread[2]
    assert note.is_public is False
    assert note.author_user_id == desk.agent_user.id
    assert "Ticket" in note.body_html and "Not started" in note.body_html
    listed = api.get(
        f"/api/v1/message/?q=(filters:!((col:item,opr:rel_o_m,value:{item_id})))").get_json()
    assert sorted(listed["ids"]) == [m.id for m in thread]

    # A task is not converted again.
    again = convert(desk.agent, item_id)
    assert again.status_code in (404, 422), again.get_json()
    assert reload(make, item_id).kind == ItemKind.TASK
    assert len(messages(make, item_id)) == 3


STATUS_MAP = [
    # (ticket status, task type, expected task status)
    ("New", "Task", "Not started"),
    ("Open", "Task", "In progress"),
    ("Waiting on customer", "Task", "In progress"),
    ("Solved", "Task", "Done"),
    ("Closed", "Task", "Done"),
    # Milestones have no in-progress status: the type's first status then.
    ("Open", "Milestone", "Planned"),
    ("New", "Milestone", "Planned"),
    ("Closed", "Milestone", "Reached"),
]


def test_status_follows_its_category(desk: SimpleNamespace) -> None:
    for ticket_status, type_name, task_status in STATUS_MAP:
        item_id = ticket(desk, ticket_status).id
        task_type = desk.milestone if type_name == "Milestone" else desk.task_type
        # The default task type needs no body; another is chosen by id.
        body = {"item_type_id": task_type.id} if type_name == "Milestone" else None
        response = convert(desk.admin, item_id, body)
        assert response.status_code == 200, response.get_json()
        converted = reload(desk.make, item_id)
        case = (ticket_status, type_name)
        assert converted.item_type_id == task_type.id, case
        assert converted.status.name == task_status, case
        assert converted.status.item_type_id == task_type.id, case
        assert response.get_json()["result"]["status_id"] == converted.status_id, case


def test_custom_values_without_a_task_field_go_to_a_private_note(
    desk: SimpleNamespace,
) -> None:
    make = desk.make
    # The task type has a field "store" too; "device" and "needed_by" it lacks.
    created = desk.admin.post("/api/v1/custom_field/", json={
        "item_type": desk.task_type.id, "key": "store", "label": "Store", "field_type": "text"})
    assert created.status_code == 201, created.get_json()
    item_id = ticket(desk, "Requested", item_type=desk.hardware, custom_values={
        "store": "Porto", "device": "Laptop", "needed_by": "<script>alert(1)</script>"}).id

    response = convert(desk.agent, item_id, {"item_type_id": desk.task_type.id})
    assert response.status_code == 200, response.get_json()
    converted = reload(make, item_id)
    assert converted.custom_values == {"store": "Porto"}
    assert converted.status.name == "Not started"

    (note,) = messages(make, item_id)
    assert note.is_public is False
    body = note.body_html
    assert "Hardware request" in body and "Requested" in body
    assert "device" in body and "Laptop" in body
    assert "needed_by" in body and "alert(1)" in body
    # Kept values are not listed as lost; values are escaped text, not markup.
    assert "store" not in body and "Porto" not in body
    assert "<script" not in body


def test_refusals_leave_the_ticket_alone(desk: SimpleNamespace) -> None:
    make = desk.make
    item_id = ticket(desk, "Open", custom_values={}).id
    other_team_ticket = make.item(make.project(teams=[make.team()]), ItemKind.TICKET).id
    task_id = make.item(desk.project, ItemKind.TASK).id

    for body, field in [({"item_type_id": desk.hardware.id}, "item_type_id"),
                        ({"item_type_id": desk.ticket_type.id}, "item_type_id"),
                        ({"item_type_id": 999999}, "item_type_id"),
                        ({"item_type_id": "1"}, "item_type_id"),
                        ({"item_type_id": True}, "item_type_id"),
                        ({"kind": "task"}, "kind"),
                        (["task"], "_schema")]:
        response = convert(desk.admin, item_id, body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["message"], (body, response.get_json())

    # Rows one may not see, that do not exist, or are tasks already: not found.
    assert convert(desk.agent, other_team_ticket).status_code == 404
    assert convert(desk.outsider, item_id).status_code == 404
    assert convert(desk.admin, 999999).status_code == 404
    assert convert(desk.admin, task_id).status_code in (404, 422)
    # Read-only users may look but not convert.
    assert desk.viewer.get(f"/api/v1/ticket/{item_id}").status_code == 200
    assert convert(desk.viewer, item_id).status_code in (401, 403)

    unchanged = reload(make, item_id)
    assert unchanged.kind == ItemKind.TICKET
    assert unchanged.item_type_id == desk.ticket_type.id
    assert unchanged.status.name == "Open"
    assert messages(make, item_id) == []
    assert reload(make, other_team_ticket).kind == ItemKind.TICKET
