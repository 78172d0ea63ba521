"""The flat list: its data endpoint (columns, sort, keyset pages, errors), its groups
endpoint (SQL GROUP BY counts per field), its page, and what each viewer may see."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.clients import Browser
from tests.webapp.work_views.test_filters import build_world
from webapp.models import Item


@pytest.fixture
def world(make):
    return build_world(make)


def browser(app, user) -> Browser:
    return Browser(app, app.test_client(), user.username)


def all_rows(app, user, query: str = "", size: int = 2) -> list[dict[str, Any]]:
    """Every row of the list, following next_cursor."""
    session = browser(app, user)
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"/views/list/items?page_size={size}&{query}" + (f"&cursor={cursor}" if cursor
                                                                 else "")
        response = session.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        rows += body["rows"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_rows_carry_the_chosen_columns(app, world):
    printer = world.items["printer"]
    rows = all_rows(app, world.agent, "columns=id,title,kind,type,status,priority,assignee,"
                    "team,requester,organization,project,due_at,sla,percent_complete,"
                    "updated_at,cf.size,cf.tags")
    by_id = {r["id"]: r for r in rows}
    row = by_id[printer.id]
    assert row["title"] == printer.title and row["kind"] == "ticket"
    assert row["type"] == world.ticket_type.name
    assert row["status"] == world.ticket_type.statuses[0].name
    assert row["priority"] == 1 and row["sla"] == "breached"
    assert world.agent.username in row["assignee"] or world.agent.first_name in row["assignee"]
    assert row["requester"].startswith("Olga")
    assert row["organization"] == world.other_org.name  # the requester's organization
    assert row["project"] == world.project.name
    assert row["due_at"] == "2030-01-10T09:00:00"
    assert row["cf.size"] == "L" and row["cf.tags"] == "hw, vip"
    assert row["url"].endswith(f"/workspace/ticket/{printer.id}")
    mail = by_id[world.items["mail"].id]
    assert mail["team"] == world.team.name and mail["organization"] == world.org.name
    assert mail["sla"] == "warning" and mail["cf.size"] == "S"
    assert set(row) == {"id", "title", "kind", "type", "status", "priority", "assignee",
                        "team", "requester", "organization", "project", "due_at", "sla",
                        "percent_complete", "updated_at", "cf.size", "cf.tags", "url"}


def test_default_columns(app, world):
    row = all_rows(app, world.admin)[0]
    assert set(row) == {"id", "title", "status", "priority", "assignee", "due_at",
                        "updated_at", "url"}


@pytest.mark.parametrize("sort", ["-id", "title", "-priority", "due_at", "-due_at",
                                  "updated_at", "percent_complete"])
def test_sorted_pages_list_every_visible_item_once(app, world, sort):
    make = world.make
    for n in range(5):  # more rows in ties
        make.item(world.project, title=f"extra {n % 2}", priority=n % 2)
    rows = all_rows(app, world.agent, f"sort={sort}&columns=id,{sort.lstrip('-')}")
    ids = [r["id"] for r in rows]
    visible = [i.id for i in make.session.query(Item).filter(Item.project_id ==
                                                              world.project.id)]
    assert len(ids) == len(set(ids)) and set(ids) == set(visible)
    name = sort.lstrip("-")
    values = [r[name] for r in rows]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))  # NULLs last
    assert present == sorted(present, reverse=sort.startswith("-"))


def test_filters_apply_to_rows(app, world):
    rows = all_rows(app, world.admin, "priority=1&columns=id,title")
    assert {r["id"] for r in rows} == {world.items["printer"].id, world.items["foreign"].id}
    rows = all_rows(app, world.agent, "priority=1")
    assert {r["id"] for r in rows} == {world.items["printer"].id}


@pytest.mark.parametrize("query, bad", [
    ("sort=colour", "sort"), ("columns=id,colour", "columns"), ("columns=cf.nope", "columns"),
    ("page_size=0", "page_size"), ("cursor=zzz", "cursor"), ("priority=8", "priority"),
    ("frobnicate=1", "frobnicate"), ("cf.nope=1", "cf.nope"),
])
def test_bad_arguments_answer_422_naming_them(app, world, query, bad):
    response = browser(app, world.agent).get(f"/views/list/items?{query}")
    assert response.status_code == 422
    assert bad in response.get_json()["errors"]


def groups(app, user, query: str) -> dict[str, Any]:
    response = browser(app, user).get(f"/views/list/groups?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def counts(body: dict[str, Any]) -> dict[str | None, int]:
    return {g["label"]: g["count"] for g in body["groups"]}


def test_groups_count_per_field(app, world):
    w = world
    assert counts(groups(app, w.admin, "group_by=priority")) == {"★": 2, "★★★": 1,
                                                                  "★★★★★": 1}
    assert counts(groups(app, w.admin, "group_by=project")) == {w.project.name: 3,
                                                                 w.other.name: 1}
    assert counts(groups(app, w.admin, "group_by=status")) == {
        w.ticket_type.statuses[0].name: 3, w.task_type.statuses[-1].name: 1}
    assert counts(groups(app, w.admin, "group_by=type")) == {w.ticket_type.name: 3,
                                                              w.task_type.name: 1}
    assert counts(groups(app, w.admin, "group_by=team")) == {w.team.name: 1, "(none)": 3}
    agent_name = f"{w.agent.first_name} {w.agent.last_name}".strip()
    collaborator_name = f"{w.collaborator.first_name} {w.collaborator.last_name}".strip()
    assert counts(groups(app, w.admin, "group_by=assignee")) == {
        agent_name: 2, collaborator_name: 1, "(none)": 2}
    # the printer's requester is of the other organization, its project of ours: in both
    assert counts(groups(app, w.admin, "group_by=organization")) == {
        w.other_org.name: 2, w.org.name: 3}
    by_size = groups(app, w.admin, "group_by=cf.size")
    assert counts(by_size) == {"L": 2, "S": 1, "(none)": 1}
    assert by_size["label"] == "Size"  # the group-by header: the field's label
    requester = groups(app, w.admin, "group_by=requester")
    assert sorted(g["count"] for g in requester["groups"]) == [1, 1, 2]
    assert requester["total"] == 4


def test_groups_respect_filters_and_visibility(app, world):
    w = world
    body = groups(app, w.agent, "group_by=project")
    assert counts(body) == {w.project.name: 3} and body["total"] == 3
    assert counts(groups(app, w.agent, "group_by=priority&kind=ticket")) == {"★": 1, "★★★": 1}
    assert groups(app, w.loner, "group_by=status") == {"group_by": "status", "label": "Status",
                                                        "total": 0, "groups": []}


def test_group_values_filter_the_rows_of_the_group(app, world):
    """Each group's value is the filter argument of the same name (the page relies on it)."""
    for group_by in ("status", "priority", "project", "organization", "assignee", "cf.size"):
        for group in groups(app, world.admin, f"group_by={group_by}")["groups"]:
            if group["value"] is None:
                continue
            rows = all_rows(app, world.admin, urlencode({group_by: group["value"]}), size=50)
            assert len(rows) == group["count"], (group_by, group)


@pytest.mark.parametrize("query", ["group_by=colour", "group_by=cf.nope", "group_by=",
                                   "group_by=status&kind=bug"])
def test_bad_grouping_answers_422(app, world, query):
    response = browser(app, world.agent).get(f"/views/list/groups?{query}")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) & {"group_by", "kind"}


def test_the_page_renders_with_settings_and_refuses_bad_arguments(app, world):
    session = browser(app, world.agent)
    html = session.page("/views/list/?group_by=status&columns=id,title,cf.size&sort=-priority")
    assert 'id="rd-list"' in html and "work_list.js" in html
    assert 'value="cf.size" checked' in html and 'value="status" selected' in html
    # the grouping choice reads the custom field's label, not its key
    assert '<option value="cf.size" >Size</option>' in html
    assert ">cf.size<" not in html
    assert "/views/export/csv?" in html and "rd-saved" in html
    response = session.get("/views/list/?sort=colour")
    assert response.status_code == 302


def test_anonymous_is_refused(app, world):
    client = app.test_client()
    assert client.get("/views/list/items").status_code in (401, 403)
    assert client.get("/views/list/").status_code == 302
