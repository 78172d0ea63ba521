"""Related-row pickers on the generated screens (audit finding 8: dropdowns that list every row).

Forms render only the chosen rows; ``<route_base>/related/<column>`` searches (at most 20 rows,
by text or ``#id``) among the rows the viewer may see, with the view's read right; submitted
ids are loaded under the same rule and checked again by the write check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import PASSWORD, Factory, quick_user
from tests.hub.connector_world import connection
from webapp.models import (
    Customer,
    InboundEndpoint,
    Item,
    ItemKind,
    ItemType,
    Project,
    Status,
    Team,
    User,
    WebhookEndpoint,
)

MANY = 300
BRAVO = "Bravo-secret"


@dataclass
class World:
    team_a: Team
    team_b: Team
    agent: User
    helpers: list[User]
    project: Project
    projects: list[Project]
    bravo_project: Project
    bravo_item: Item
    customers: list[Customer]
    items: list[Item]
    task_type: ItemType
    task_status: Status


def _options(page: str) -> list[str]:
    return re.findall(r"<option\b", page)


@pytest.fixture
def world(make: Factory) -> World:
    """Team A's agent among ~300 projects, customers and items; team B's rows hidden from it."""
    session = make.session
    team_a, team_b = make.team("Alpha team"), make.team("Bravo team")
    agent = quick_user(make, "Agent", teams=[team_a], name="ada")
    agent.first_name, agent.last_name = "Ada", "Lovelace"
    helpers = [quick_user(make, "Agent", teams=[team_a], name=f"helper{n}") for n in range(3)]
    for n, user in enumerate(helpers):
        user.first_name, user.last_name = "Helper", f"Number{n}"
    projects = [Project(name=f"Alpha project {n:03d}", teams=[team_a]) for n in range(MANY)]
    bravo_project = Project(name=f"{BRAVO} project", teams=[team_b])
    customers = [Customer(email=f"client{n:03d}@alpha.example", name=f"Client {n:03d}")
                 for n in range(MANY)]
    session.add_all([*projects, bravo_project, *customers])
    session.commit()
    project = projects[0]
    task_type = make.item_type(ItemKind.TASK)
    items = [Item(kind=ItemKind.TASK, title=f"Alpha task {n:03d}", item_type=task_type,
                  status=task_type.statuses[0], project_id=project.id, custom_values={})
             for n in range(MANY)]
    session.add_all(items)
    session.commit()
    bravo_item = make.item(bravo_project, kind=ItemKind.TASK, title=f"{BRAVO} task")
    return World(team_a, team_b, agent, helpers, project, projects, bravo_project, bravo_item,
                 customers, items, task_type, task_type.statuses[0])


@pytest.fixture
def agent(app: Flask, client: FlaskClient, world: World) -> Browser:
    return Browser(app, client, world.agent.username)


def _search(browser: Browser, url: str, **args: Any) -> Any:
    response = browser.get(url, query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# ---------------------------------------------------------------------------- the forms


def test_add_form_renders_pickers_not_every_row(agent: Browser, world: World) -> None:
    page = agent.page("/tasks/add")
    assert len(_options(page)) < 60, f"{len(_options(page))} options"
    assert "Alpha project 150" not in page and "client150@" not in page
    for column in ("project", "requester", "assignee_users", "predecessors", "item_type"):
        assert re.search(rf'<select[^>]*name="{column}"[^>]*related-picker|'
                         rf'<select[^>]*related-picker[^>]*name="{column}"', page), column
    assert 'data-url="/tasks/related/project"' in page
    assert "__None" not in page, "a required relation offers no empty choice"
    assert "/static/relaydesk/related_picker.js" in page
    # A required relation has no empty option; an optional one can be cleared.
    project = re.search(r'<select[^>]*name="project".*?</select>', page, re.S).group(0)
    assert "<option" not in project and "data-allow-clear" not in project
    folder = re.search(r'<select[^>]*name="folder".*?</select>', page, re.S).group(0)
    assert 'data-allow-clear="1"' in folder
    assignees = re.search(r'<select[^>]*name="assignee_users".*?</select>', page, re.S).group(0)
    assert "multiple" in assignees


def test_edit_form_shows_the_chosen_rows_by_name(agent: Browser, make: Factory,
                                                 world: World) -> None:
    ticket = make.item(world.projects[7], requester_id=world.customers[42].id,
                       title="Printer on fire")
    ticket.assignee_users = [world.helpers[0], world.helpers[2]]
    ticket.follower_customers = [world.customers[5]]
    make.session.commit()
    page = agent.page(f"/tickets/edit/{ticket.id}")
    assert len(_options(page)) < 60, f"{len(_options(page))} options"
    for name in ("Alpha project 007", "Client 042 &lt;client042@alpha.example&gt;",
                 "Helper Number0", "Helper Number2", "Client 005"):
        assert name in page, name
    assert "Helper Number1" not in page and "Alpha project 008" not in page
    chosen = re.search(r'<select[^>]*name="project".*?</select>', page, re.S).group(0)
    assert re.search(rf'<option selected value="{world.projects[7].id}">Alpha project 007<',
                     chosen), chosen
    assert ">None<" not in page


def test_list_filter_shows_only_the_filtered_row(agent: Browser, world: World) -> None:
    page = agent.page(f"/tasks/list/?_flt_0_project={world.projects[3].id}")
    assert "Alpha project 003" in page and "Alpha project 150" not in page
    assert len(_options(page)) < 60
    # Another team's id in a filter does not reveal its name.
    page = agent.page(f"/tasks/list/?_flt_0_project={world.bravo_project.id}")
    assert BRAVO not in page


# ---------------------------------------------------------------------------- the search


def test_search_returns_twenty_at_a_time_by_text_and_id(agent: Browser, world: World) -> None:
    first = _search(agent, "/tasks/related/project")
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    assert first["results"][0] == {"id": world.projects[0].id, "text": "Alpha project 000"}
    second = _search(agent, "/tasks/related/project", page=1)
    assert second["results"][0]["text"] == "Alpha project 020"

    # Every word matches somewhere in the text; "#<n>" is the id.
    found = _search(agent, "/tasks/related/project", q="PROJECT 12")
    expected = sorted(p.name for p in world.projects if "12" in p.name)
    assert [r["text"] for r in found["results"]] == expected[:20]
    assert found["pagination"]["more"] is (len(expected) > 20)

    item = world.items[77]
    by_id = _search(agent, "/tasks/related/predecessors", q=f"#{item.id}")
    assert by_id["results"] == [{"id": item.id, "text": f"#{item.id} Alpha task 077"}]
    by_title = _search(agent, "/tasks/related/predecessors", q="task 077")
    assert [r["id"] for r in by_title["results"]] == [item.id]

    by_email = _search(agent, "/tickets/related/requester", q="client123@")
    assert [r["text"] for r in by_email["results"]] == ["Client 123 <client123@alpha.example>"]
    by_name = _search(agent, "/tasks/related/assignee_users", q="helper number1")
    assert by_name["results"] == [{"id": world.helpers[1].id, "text": "Helper Number1"}]
    # LIKE wildcards are searched for literally.
    assert _search(agent, "/tasks/related/project", q="%")["results"] == []


def test_search_is_scoped_to_what_the_viewer_may_see(app: Flask, agent: Browser,
                                                     make: Factory, world: World) -> None:
    assert _search(agent, "/tasks/related/project", q="Bravo")["results"] == []
    assert _search(agent, "/tasks/related/project",
                   q=f"#{world.bravo_project.id}")["results"] == []
    assert _search(agent, "/tasks/related/predecessors",
                   q=f"#{world.bravo_item.id}")["results"] == []
    admin = Browser(app, app.test_client(), quick_user(make, "Admin").username)
    assert [r["id"] for r in _search(admin, "/tasks/related/project", q="Bravo")["results"]] \
        == [world.bravo_project.id]


def test_every_picker_of_every_screen_hides_another_teams_rows(app: Flask, agent: Browser,
                                                               world: World) -> None:
    """A small sweep: each screen's pickers, searched empty and for team B's name."""
    searched = 0
    for view in app.appbuilder.baseviews:
        columns = getattr(view, "_picker_filters", None)
        if not columns:
            continue
        for column in columns:
            url = f"{view.route_base}/related/{column}"
            for q in ("", "Bravo", f"#{world.bravo_item.id}"):
                response = agent.get(url, query_string={"q": q})
                assert response.status_code in (200, 401, 403), (url, response.status_code)
                assert BRAVO not in response.get_data(as_text=True), url
                searched += 1
    assert searched > 100


def test_search_needs_login_and_the_screens_read_right(app: Flask, make: Factory,
                                                       world: World) -> None:
    anonymous = app.test_client().get("/tasks/related/project")
    assert anonymous.status_code == 401
    # A signed-in user whose role has no read right on the screen.
    sm = app.appbuilder.sm
    role = sm.add_role("Outsider")
    outsider = sm.add_user("outsider", "Out", "Sider", "outsider@staff.example", role,
                           password=PASSWORD)
    browser = Browser(app, app.test_client(), outsider.username)
    response = browser.get("/tasks/related/project")
    assert response.status_code == 403 and b"Alpha project" not in response.data
    reader = Browser(app, app.test_client(), quick_user(make, "Read-only",
                                                        teams=[world.team_a]).username)
    assert reader.get("/tasks/related/project").status_code == 200


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/tasks/related/project?page=-1", 400, "page"),
    ("/tasks/related/project?page=abc", 400, "page"),
    ("/tasks/related/project?page=99999", 400, "page"),
    ("/tasks/related/project?page=%C2%B2", 400, "page"),
    ("/tasks/related/project?q=" + "x" * 101, 400, "q"),
    ("/tasks/related/title", 404, "column"),
    ("/tasks/related/no_such_column", 404, "column"),
])
def test_search_refuses_bad_arguments(agent: Browser, url: str, status: int,
                                      field: str) -> None:
    response = agent.get(url)
    assert response.status_code == status
    assert field in response.get_json()["message"]


# ---------------------------------------------------------------------------- saving


def _task_form(world: World, **extra: Any) -> dict[str, Any]:
    form = {"title": "Wire the new office", "item_type": world.task_type.id,
            "status": world.task_status.id, "priority": "0", "project": world.projects[9].id,
            "folder": "", "requester": world.customers[8].id}
    form.update(extra)
    return form


def test_saving_the_picked_rows(agent: Browser, make: Factory, world: World) -> None:
    before = world.items[3]
    response = agent.post("/tasks/add", data=_task_form(
        world, assignee_users=[world.helpers[0].id, world.helpers[1].id],
        predecessors=[before.id], follower_customers=[world.customers[1].id]))
    assert response.status_code == 302, response.get_data(as_text=True)
    make.session.expire_all()
    task = make.session.scalars(select(Item).where(Item.title == "Wire the new office")).one()
    assert task.kind == ItemKind.TASK and task.project_id == world.projects[9].id
    assert task.requester_id == world.customers[8].id
    assert {u.id for u in task.assignee_users} == {world.helpers[0].id, world.helpers[1].id}
    assert [p.id for p in task.predecessors] == [before.id]
    assert [c.id for c in task.follower_customers] == [world.customers[1].id]

    # Editing: the assignees cleared, another project picked.
    response = agent.post(f"/tasks/edit/{task.id}", data=_task_form(
        world, title="Wire the new office", project=world.projects[10].id))
    assert response.status_code == 302
    make.session.expire_all()
    task = make.session.get(Item, task.id)
    assert task.project_id == world.projects[10].id and task.assignee_users == []


@pytest.mark.parametrize("forged", ["project", "predecessors"])
def test_a_forged_id_of_an_invisible_row_is_refused(agent: Browser, make: Factory,
                                                    world: World, forged: str) -> None:
    value = world.bravo_project.id if forged == "project" else [world.bravo_item.id]
    response = agent.post("/tasks/add", data=_task_form(world, **{forged: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "that you may use" in page and BRAVO not in page
    make.session.expire_all()
    assert make.session.scalars(
        select(Item).where(Item.title == "Wire the new office")).first() is None


def test_ids_that_are_not_numbers_are_refused(agent: Browser, make: Factory,
                                              world: World) -> None:
    for bad in ("1 OR 1=1", "²", "9" * 12):
        response = agent.post("/tasks/add", data=_task_form(world, assignee_users=[bad]))
        assert response.status_code == 200 and "is not an id" in response.get_data(as_text=True)
    # A list filter with such a value is no server error (FAB answers it; we render no option).
    assert agent.get("/tasks/list/?_flt_0_project=%C2%B2").status_code < 500
    response = agent.post("/tasks/add", data=_task_form(world, project=""))
    assert response.status_code == 200
    make.session.expire_all()
    assert make.session.scalars(select(Item).where(Item.title == "Wire the new office")
                                ).first() is None


# ---------------------------------------------------------------------------- recipe editor


def _editor_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="rd-editor-data">(.*?)</script>',
                      page, re.S)
    assert match
    return json.loads(match.group(1))


def test_recipe_editor_searches_what_grows_with_the_data(app: Flask, make: Factory,
                                                         world: World) -> None:
    for n in range(30):
        vendor, secret = ("stripe", "api_key") if n % 2 else ("hubspot", "access_token")
        connection(app, make.session, vendor, "https://x.example", {secret: "k"},
                   name=f"Account {n:02d}")
        make.session.add(InboundEndpoint(slug=f"crm-{n:02d}", name=f"CRM {n:02d}",
                                         scheme="standardwebhooks", secret_encrypted="x"))
        make.session.add(WebhookEndpoint(name=f"Hook {n:02d}", url="https://h.example/in",
                                         secret_encrypted="x"))
    make.session.commit()
    admin = Browser(app, app.test_client(), quick_user(make, "Admin").username)
    page = admin.page("/recipe-editor/")
    assert "Account 07" not in page and "crm-07" not in page and "Hook 07" not in page
    assert "Alpha project 150" not in page and "client150@" not in page
    data = _editor_data(page)["catalogue"]
    fields = {(a["name"], f["name"]): f["lookup"] for a in data["actions"] for f in a["fields"]}
    assert fields[("stripe.bill_hours", "connection")] == "connections"
    assert fields[("webhook", "endpoint")] == "endpoints"
    assert fields[("move_to_project", "project")] == "projects"
    assert fields[("assign", "user")] == "users" and fields[("assign", "team")] == "teams"
    assert fields[("post_message", "body")] is None

    def look(kind: str, **args: Any) -> list[dict[str, str]]:
        return _search(admin, f"/recipe-editor/lookup/{kind}", **args)["results"]

    stripe = look("connections", q="account", connector="stripe")
    assert len(stripe) == 15 and all(r["label"].endswith("(stripe)") for r in stripe)
    assert len(look("connections")) == 20
    assert look("events", q="crm-07") == [{"value": "inbound.crm-07", "label": "CRM 07"}]
    assert look("endpoints", q="hook 13") == [{"value": "Hook 13", "label": "Hook 13"}]
    assert len(look("projects", q="alpha")) == 20
    assert look("customers", q="client123@")[0]["value"] == "client123@alpha.example"
    assert look("users", q="lovelace") == [{"value": "ada", "label": "Ada Lovelace"}]

    assert admin.get("/recipe-editor/lookup/nothing").status_code == 404
    assert admin.get("/recipe-editor/lookup/users?q=" + "x" * 101).status_code == 400
    agent = Browser(app, app.test_client(), world.agent.username)
    assert agent.get("/recipe-editor/lookup/users").status_code == 403
    assert app.test_client().get("/recipe-editor/lookup/users").status_code == 401
