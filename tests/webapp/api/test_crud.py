"""CRUD through every REST resource under /api/v1/, bad input, HTML sanitizing, OpenAPI.

Every resource is driven from one table (``RESOURCES``): how to build a create payload from
the test's rows, what to change on update and how the change shows in GET, which required
field to leave out and which field to send with a wrong type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from tests.clients import Browser
from tests.factories import ApiClient, quick_user
from webapp.models import ItemKind

Payload = Callable[[SimpleNamespace], dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    name: str
    create: Payload
    # Fields of the create payload and how GET /<id> shows them (dotted keys reach into
    # related rows, e.g. "project.id").
    created: Callable[[SimpleNamespace], dict[str, Any]]
    update: Payload
    updated: Callable[[SimpleNamespace], dict[str, Any]]
    missing: str
    """A required field; the create payload without it must be refused."""
    wrong: tuple[str, Any]
    """A field and a value of the wrong type for it."""

    def __str__(self) -> str:
        return self.name


RESOURCES = [
    Resource(
        "ticket",
        create=lambda w: {"title": "Printer jammed", "item_type": w.ticket_type,
                          "project": w.project, "description": "<p>Paper everywhere</p>",
                          "priority": 2, "requester": w.customer},
        created=lambda w: {"title": "Printer jammed", "kind": "ticket", "priority": 2,
                           "item_type.id": w.ticket_type, "project.id": w.project,
                           "description": "<p>Paper everywhere</p>",
                           "requester.id": w.customer, "status.id": w.ticket_first_status,
                           "created_by.id": w.admin},
        update=lambda w: {"title": "Printer repaired", "priority": 4},
        updated=lambda w: {"title": "Printer repaired", "priority": 4},
        missing="title",
        wrong=("priority", "high"),
    ),
    Resource(
        "task",
        create=lambda w: {"title": "Install switch", "item_type": w.task_type,
                          "project": w.project, "planned_start": "2024-03-01",
                          "planned_finish": "2024-03-05", "points": 3},
        created=lambda w: {"title": "Install switch", "kind": "task",
                           "planned_start": "2024-03-01", "planned_finish": "2024-03-05",
                           "points": 3, "item_type.id": w.task_type, "project.id": w.project,
                           "status.id": w.task_first_status},
        update=lambda w: {"title": "Install two switches", "percent_complete": 50,
                          "planned_finish": "2024-03-08"},
        updated=lambda w: {"title": "Install two switches", "percent_complete": 50,
                                 "planned_finish": "2024-03-08"},
        missing="title",
        wrong=("percent_complete", "half"),
    ),
    Resource(
        "project",
        create=lambda w: {"name": "Office move", "description": "Move to 5th floor",
                          "teams": [w.team], "organization": w.organization},
        created=lambda w: {"name": "Office move", "description": "Move to 5th floor",
                           "is_template": False, "organization.id": w.organization,
                           "teams.id": [w.team]},
        update=lambda w: {"name": "Office move (phase 2)", "is_template": True},
        updated=lambda w: {"name": "Office move (phase 2)", "is_template": True},
        missing="name",
        wrong=("is_template", "maybe"),
    ),
    Resource(
        "portfolio",
        create=lambda w: {"name": "Infrastructure", "description": "Servers and network"},
        created=lambda w: {"name": "Infrastructure",
                                 "description": "Servers and network"},
        update=lambda w: {"name": "Infrastructure 2025", "description": "Renewed"},
        updated=lambda w: {"name": "Infrastructure 2025", "description": "Renewed"},
        missing="name",
        wrong=("name", 42),
    ),
    Resource(
        "folder",
        create=lambda w: {"name": "Phase 1", "project": w.project},
        created=lambda w: {"name": "Phase 1", "project.id": w.project, "parent.id": None},
        update=lambda w: {"name": "Phase one"},
        updated=lambda w: {"name": "Phase one"},
        missing="name",
        wrong=("name", ["Phase", "1"]),
    ),
    Resource(
        "project_grant",
        create=lambda w: {"project": w.project, "user": w.other_user},
        created=lambda w: {"project.id": w.project, "user.id": w.other_user},
        update=lambda w: {"user": w.third_user},
        updated=lambda w: {"user.id": w.third_user, "project.id": w.project},
        missing="user",
        wrong=("user", "somebody"),
    ),
    Resource(
        "item_type",
        create=lambda w: {"kind": "task", "name": "Spike", "is_default": False},
        created=lambda w: {"kind": "task", "name": "Spike", "is_default": False},
        update=lambda w: {"name": "Research spike"},
        updated=lambda w: {"name": "Research spike", "kind": "task"},
        missing="name",
        wrong=("is_default", "sometimes"),
    ),
    Resource(
        "status",
        create=lambda w: {"item_type": w.ticket_type, "name": "Escalated", "colour": "#aa0000",
                          "category": "in_progress", "position": 9},
        created=lambda w: {"item_type.id": w.ticket_type, "name": "Escalated",
                           "colour": "#aa0000", "category": "in_progress", "position": 9},
        update=lambda w: {"name": "Escalated to L2", "colour": "#bb1111", "position": 10},
        updated=lambda w: {"name": "Escalated to L2", "colour": "#bb1111",
                                 "position": 10},
        missing="name",
        wrong=("position", "tenth"),
    ),
    Resource(
        "custom_field",
        create=lambda w: {"item_type": w.ticket_type, "key": "asset_tag", "label": "Asset tag",
                          "field_type": "text", "help_text": "On the sticker"},
        created=lambda w: {"item_type.id": w.ticket_type, "key": "asset_tag",
                           "label": "Asset tag", "field_type": "text", "required": False,
                           "help_text": "On the sticker", "choices": None},
        update=lambda w: {"label": "Asset tag number", "required": True},
        updated=lambda w: {"label": "Asset tag number", "required": True},
        missing="label",
        wrong=("position", "first"),
    ),
    Resource(
        "customer",
        create=lambda w: {"email": "Jane.Doe@Client.Example", "name": "Jane",
                          "organization": w.organization},
        # E-mail addresses are stored lower-cased.
        created=lambda w: {"email": "jane.doe@client.example", "name": "Jane",
                           "organization.id": w.organization},
        update=lambda w: {"name": "Jane Doe", "phone": "+1 555 0100"},
        updated=lambda w: {"name": "Jane Doe", "phone": "+1 555 0100"},
        missing="email",
        wrong=("name", 123),
    ),
    Resource(
        "organization",
        create=lambda w: {"name": "Acme", "notes": "Key account"},
        created=lambda w: {"name": "Acme", "notes": "Key account"},
        update=lambda w: {"name": "Acme Corporation", "notes": "Renewed in May"},
        updated=lambda w: {"name": "Acme Corporation", "notes": "Renewed in May"},
        missing="name",
        wrong=("name", 7),
    ),
    Resource(
        "organization_domain",
        create=lambda w: {"organization": w.organization, "domain": "  ACME.Example "},
        # Domains are stored trimmed and lower-cased.
        created=lambda w: {"domain": "acme.example", "organization.id": w.organization},
        update=lambda w: {"domain": "acme.test"},
        updated=lambda w: {"domain": "acme.test"},
        missing="domain",
        wrong=("organization", "acme"),
    ),
    Resource(
        "team",
        create=lambda w: {"name": "Second line", "description": "Escalations",
                          "members": [w.other_user]},
        created=lambda w: {"name": "Second line", "description": "Escalations",
                           "members.id": [w.other_user]},
        update=lambda w: {"name": "Second line support", "description": "Hard cases"},
        updated=lambda w: {"name": "Second line support", "description": "Hard cases"},
        missing="name",
        wrong=("members", "everybody"),
    ),
    Resource(
        "message",
        create=lambda w: {"item": w.ticket, "body_html": "<p>We are on it.</p>",
                          "is_public": False},
        created=lambda w: {"item.id": w.ticket, "body_html": "<p>We are on it.</p>",
                           "is_public": False, "author_user.id": w.admin,
                           "author_customer.id": None},
        update=lambda w: {"body_html": "<p>Fixed, please check.</p>", "is_public": True},
        updated=lambda w: {"body_html": "<p>Fixed, please check.</p>",
                                 "is_public": True},
        missing="body_html",
        wrong=("is_public", "sometimes"),
    ),
    Resource(
        "timesheet",
        create=lambda w: {"item": w.ticket, "work_date": "2024-05-06", "hours": 1.5,
                          "note": "Triage"},
        created=lambda w: {"item.id": w.ticket, "work_date": "2024-05-06", "hours": "1.50",
                           "note": "Triage", "billable": True, "user.id": w.admin},
        update=lambda w: {"hours": 3, "note": "Triage and fix", "billable": False},
        updated=lambda w: {"hours": "3.00", "note": "Triage and fix", "billable": False},
        missing="work_date",
        wrong=("hours", "lots"),
    ),
]
RESOURCE_NAMES = [r.name for r in RESOURCES]


def pluck(result: dict[str, Any], dotted: str) -> Any:
    """``result["a"]["b"]`` for "a.b"; over a list of related rows, the list of values."""
    value: Any = result
    for part in dotted.split("."):
        if isinstance(value, list):
            value = [v[part] for v in value]
        elif value is None:
            return None
        else:
            value = value[part]
    return value


def assert_shows(result: dict[str, Any], expected: dict[str, Any]) -> None:
    shown = {key: pluck(result, key) for key in expected}
    assert shown == expected


@pytest.fixture
def world(client, make) -> SimpleNamespace:
    """Rows every resource's payload may refer to, and an Admin API client."""
    team = make.team()
    admin = quick_user(make, "Admin")
    other = quick_user(make, "Agent", teams=[team])
    third = quick_user(make, "Agent")
    project = make.project(teams=[team])
    ticket_type = make.item_type(ItemKind.TICKET, "Ticket")
    task_type = make.item_type(ItemKind.TASK, "Task")
    organization = make.organization()
    customer = make.customer()
    ticket = make.item(project)
    return SimpleNamespace(
        api=ApiClient(client, admin.username),
        admin=admin.id, other_user=other.id, third_user=third.id, team=team.id,
        project=project.id, ticket_type=ticket_type.id, task_type=task_type.id,
        ticket_first_status=ticket_type.statuses[0].id,
        task_first_status=task_type.statuses[0].id,
        organization=organization.id, customer=customer.id, ticket=ticket.id,
    )


def count(api: ApiClient, resource: str) -> int:
    response = api.get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["count"]


def assert_refused(response: Any, field: str) -> None:
    """422 with ``{"message": {field: ["reason", …]}}``."""
    assert response.status_code == 422, (response.status_code, response.get_json())
    body = response.get_json()
    assert isinstance(body["message"], dict), body
    assert field in body["message"], body
    reasons = body["message"][field]
    if isinstance(reasons, dict):  # a list field: reasons per position in the list
        reasons = [r for per_item in reasons.values() for r in per_item]
    assert isinstance(reasons, list) and reasons and all(isinstance(r, str) for r in reasons)


# --- create, list, get, update, delete; bad input on create and update -----------------------
# One test per resource walks the whole life of a row: each step costs little, while every test
# costs a database clean-up, so the steps share one test.


@pytest.mark.parametrize("resource", RESOURCES, ids=RESOURCE_NAMES)
def test_resource_lifecycle(world: SimpleNamespace, resource: Resource) -> None:
    api, base = world.api, f"/api/v1/{resource.name}/"
    before = count(api, resource.name)

    # Bad input: a required field missing, a field of the wrong type; nothing is stored.
    payload = resource.create(world)
    assert resource.missing in payload
    del payload[resource.missing]
    assert_refused(api.post(base, json=payload), resource.missing)
    wrong, value = resource.wrong
    assert_refused(api.post(base, json={**resource.create(world), wrong: value}), wrong)
    assert count(api, resource.name) == before

    # Create, then find it in the list and by id.
    created = api.post(base, json=resource.create(world))
    assert created.status_code == 201, created.get_json()
    new_id = created.get_json()["id"]
    assert isinstance(new_id, int)
    listing = api.get(f"{base}?q=(page_size:100)").get_json()
    assert new_id in listing["ids"]
    assert listing["count"] == before + 1
    shown = api.get(f"{base}{new_id}")
    assert shown.status_code == 200, shown.get_json()
    assert shown.get_json()["id"] == new_id
    assert_shows(shown.get_json()["result"], resource.created(world))

    # A bad update changes nothing, not even the valid fields sent with it.
    refused = api.put(f"{base}{new_id}", json={**resource.update(world), wrong: value})
    assert_refused(refused, wrong)
    assert_shows(api.get(f"{base}{new_id}").get_json()["result"], resource.created(world))

    # A good update is persisted.
    changed = api.put(f"{base}{new_id}", json=resource.update(world))
    assert changed.status_code == 200, changed.get_json()
    assert_shows(api.get(f"{base}{new_id}").get_json()["result"], resource.updated(world))

    # Delete: gone from GET and the list, and neither editable nor deletable again.
    deleted = api.delete(f"{base}{new_id}")
    assert deleted.status_code == 200, deleted.get_json()
    assert api.get(f"{base}{new_id}").status_code == 404
    listing = api.get(f"{base}?q=(page_size:100)").get_json()
    assert new_id not in listing["ids"]
    assert listing["count"] == before
    assert api.put(f"{base}{new_id}", json=resource.update(world)).status_code == 404
    assert api.delete(f"{base}{new_id}").status_code == 404


# --- rules that name the field ---------------------------------------------------------------

# (resource, payload builder, the field the 422 must name)
RULE_CASES: list[tuple[str, Payload, str]] = [
    ("ticket", lambda w: {"title": "Wrong kind", "item_type": w.task_type,
                          "project": w.project}, "item_type"),
    ("ticket", lambda w: {"title": "Odd status", "item_type": w.ticket_type,
                          "project": w.project, "status": w.task_first_status}, "status"),
    ("ticket", lambda w: {"title": "Too urgent", "item_type": w.ticket_type,
                          "project": w.project, "priority": 6}, "priority"),
    ("ticket", lambda w: {"title": "Negative", "item_type": w.ticket_type,
                          "project": w.project, "priority": -1}, "priority"),
    ("task", lambda w: {"title": "Overdone", "item_type": w.task_type, "project": w.project,
                        "percent_complete": 101}, "percent_complete"),
    ("task", lambda w: {"title": "Backwards", "item_type": w.task_type, "project": w.project,
                        "planned_start": "2024-03-05", "planned_finish": "2024-03-01"},
     "planned_finish"),
    ("status", lambda w: {"item_type": w.ticket_type, "name": "Pink", "colour": "pink",
                          "category": "new"}, "colour"),
    ("timesheet", lambda w: {"item": w.ticket, "work_date": "2024-05-06", "hours": 0}, "hours"),
    ("timesheet", lambda w: {"item": w.ticket, "work_date": "2024-05-06", "hours": -1}, "hours"),
    ("timesheet", lambda w: {"item": w.ticket, "work_date": "2024-05-06", "hours": 24.5},
     "hours"),
    # Unknown ids are field errors, and no related row is made up for them.
    ("ticket", lambda w: {"title": "Nowhere", "item_type": w.ticket_type,
                          "project": 999999}, "project"),
    ("ticket", lambda w: {"title": "Ghosts", "item_type": w.ticket_type, "project": w.project,
                          "assignee_teams": [w.team, 999999]}, "assignee_teams"),
    ("ticket", lambda w: {"title": "Ghosts", "item_type": w.ticket_type, "project": w.project,
                          "follower_customers": [888888]}, "follower_customers"),
    ("ticket", lambda w: {"title": "Ghosts", "item_type": w.ticket_type, "project": w.project,
                          "requester": 777777}, "requester"),
    # References of the wrong type.
    *[("folder", lambda w, v=v: {"name": "Odd", "project": v}, "project")
      for v in ("1", 1.5, True, {"name": "x"}, 2**40)],
]


def test_rules_name_the_field(world: SimpleNamespace) -> None:
    api = world.api
    watched = ["ticket", "task", "status", "timesheet", "folder", "project", "team", "customer"]
    before = {name: count(api, name) for name in watched}
    for resource, payload, field in RULE_CASES:
        response = api.post(f"/api/v1/{resource}/", json=payload(world))
        try:
            assert_refused(response, field)
        except AssertionError as exc:
            raise AssertionError(f"{resource} {payload(world)}: {exc}") from exc
    assert {name: count(api, name) for name in watched} == before

    # A unique name taken already: a 422 with a message, not a 500.
    assert api.post("/api/v1/organization/", json={"name": "Globex"}).status_code == 201
    organizations = count(api, "organization")
    refused = api.post("/api/v1/organization/", json={"name": "Globex"})
    assert refused.status_code == 422, refused.get_json()
    assert isinstance(refused.get_json()["message"], dict)
    assert count(api, "organization") == organizations


# --- HTML sanitizing ----------------------------------------------------------------------------

DIRTY = ('<p onclick="steal()">Hello <b>there</b></p><script>alert("x")</script>'
         '<a href="javascript:alert(1)" onmouseover="steal()">link</a>'
         '<img src="https://example.com/a.png" onerror="steal()">')


def assert_clean(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "onclick", "onmouseover", "onerror", "javascript:", "alert(",
                "steal("):
        assert bad not in lowered, html
    # The harmless formatting and text survive.
    assert "<b>there</b>" in html and "Hello" in html and "link" in html
    assert 'src="https://example.com/a.png"' in html


def test_html_is_sanitized(world: SimpleNamespace) -> None:
    api = world.api
    # Ticket description, on create and on update.
    created = api.post("/api/v1/ticket/", json={
        "title": "XSS", "item_type": world.ticket_type, "project": world.project,
        "description": DIRTY})
    assert created.status_code == 201, created.get_json()
    ticket_id = created.get_json()["id"]
    assert_clean(api.get(f"/api/v1/ticket/{ticket_id}").get_json()["result"]["description"])
    changed = api.put(f"/api/v1/ticket/{ticket_id}",
                      json={"description": DIRTY.replace("Hello", "Hello again")})
    assert changed.status_code == 200, changed.get_json()
    stored = api.get(f"/api/v1/ticket/{ticket_id}").get_json()["result"]["description"]
    assert_clean(stored)
    assert "Hello again" in stored

    # Task description.
    created = api.post("/api/v1/task/", json={
        "title": "XSS", "item_type": world.task_type, "project": world.project,
        "description": DIRTY})
    assert created.status_code == 201, created.get_json()
    shown = api.get(f"/api/v1/task/{created.get_json()['id']}").get_json()
    assert_clean(shown["result"]["description"])

    # Message body, on create and on update.
    created = api.post("/api/v1/message/", json={"item": world.ticket, "body_html": DIRTY})
    assert created.status_code == 201, created.get_json()
    message_id = created.get_json()["id"]
    assert_clean(api.get(f"/api/v1/message/{message_id}").get_json()["result"]["body_html"])
    changed = api.put(f"/api/v1/message/{message_id}",
                      json={"body_html": DIRTY + "<p>Edited</p>"})
    assert changed.status_code == 200, changed.get_json()
    stored = api.get(f"/api/v1/message/{message_id}").get_json()["result"]["body_html"]
    assert_clean(stored)
    assert "Edited" in stored

    # A message of nothing but unsafe HTML is empty once cleaned: refused, not stored.
    messages = count(api, "message")
    refused = api.post("/api/v1/message/", json={
        "item": world.ticket, "body_html": "<script>alert(1)</script>"})
    assert_refused(refused, "body_html")
    refused = api.put(f"/api/v1/message/{message_id}",
                      json={"body_html": "<p onclick='x()'></p><script>x()</script>"})
    assert_refused(refused, "body_html")
    assert count(api, "message") == messages
    assert "Edited" in api.get(f"/api/v1/message/{message_id}").get_json()["result"]["body_html"]


# --- OpenAPI and Swagger UI -------------------------------------------------------------------

ALL_RESOURCES = RESOURCE_NAMES + ["attachment"]


def test_openapi_lists_every_resource(world: SimpleNamespace) -> None:
    response = world.api.get("/api/v1/_openapi")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for name in ALL_RESOURCES:
        assert f"/api/v1/{name}/" in paths, name
        assert f"/api/v1/{name}/{{pk}}" in paths, name
    for name in RESOURCE_NAMES:
        assert {"get", "post"} <= set(paths[f"/api/v1/{name}/"]), name
        assert {"get", "put", "delete"} <= set(paths[f"/api/v1/{name}/{{pk}}"]), name
    assert "post" in paths["/api/v1/ticket/{pk}/convert-to-task"]
    assert "post" in paths["/api/v1/project/{pk}/duplicate"]
    assert "get" in paths["/api/v1/attachment/{pk}/download"]

    # Without a token (or a browser session) there is no document.
    with world.api.client.application.app_context():
        assert world.api.client.get("/api/v1/_openapi").status_code == 401


def test_swagger_ui_and_api_answer_a_logged_in_browser(app, client, make) -> None:
    admin = quick_user(make, "Admin")
    ticket = make.item(make.project(), title="Seen through the session")
    with app.app_context():
        assert client.get("/swagger/v1").status_code != 200
    with app.app_context():
        assert client.get(f"/api/v1/ticket/{ticket.id}").status_code == 401

    browser = Browser(app, app.test_client(), admin.username)
    page = browser.get("/swagger/v1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "swagger" in html.lower()
    assert "/api/v1/_openapi" in html
    # The Swagger UI's own calls use the session cookie, not a JWT (allow_browser_login).
    shown = browser.get(f"/api/v1/ticket/{ticket.id}")
    assert shown.status_code == 200
    assert shown.get_json()["result"]["title"] == "Seen through the session"
