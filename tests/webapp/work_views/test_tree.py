"""The tree: both groupings, roll-ups equal to sums the test makes from its own items,
filters, visibility, lazily paged folder items, the default grouping (admins), bad input."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import folder, quick_user, timesheet
from webapp.models import Item, ItemKind, Portfolio, StatusCategory


@pytest.fixture
def desk(app, client, make) -> SimpleNamespace:
    """Portfolio "Ops" holds project A (organization Acme) and C (no organization); project B
    has no portfolio (organization Beta). A has folders F1 ⊃ F2 and an empty F3."""
    team = make.team()
    agent = quick_user(make, "Agent", teams=[team])
    ops = Portfolio(name="Ops")
    make.session.add(ops)
    make.session.commit()
    acme, beta = make.organization("Acme"), make.organization("Beta")
    a = make.project(teams=[team], name="A", portfolio_id=ops.id, organization_id=acme.id)
    b = make.project(teams=[team], name="B", organization_id=beta.id)
    c = make.project(teams=[team], name="C", portfolio_id=ops.id)
    f1 = folder(make, a, "F1")
    f2 = folder(make, a, "F2")
    f2.parent_id = f1.id
    f3 = folder(make, a, "F3")
    make.session.commit()
    hidden = make.project(teams=[make.team()], name="Hidden")
    make.item(hidden, ItemKind.TASK, title="secret", percent_complete=50)

    records: list[dict[str, Any]] = []

    def add(project: Any, folder_row: Any, kind: ItemKind, done: bool, percent: int | None,
            hours: list[str], priority: int = 0) -> None:
        item = make.item(project, kind, folder_id=folder_row.id if folder_row else None,
                         percent_complete=percent, priority=priority)
        if done:
            item.status = next(s for s in item.item_type.statuses
                               if s.category == StatusCategory.DONE)
            make.session.commit()
        for h in hours:
            timesheet(make, item, agent, hours=h)
        records.append({"id": item.id, "project": project.id,
                        "folder": folder_row.id if folder_row else None, "done": done,
                        "percent": percent, "hours": sum(map(Decimal, hours), Decimal(0)),
                        "priority": priority})

    add(a, f1, ItemKind.TASK, False, 20, ["1.5", "2"], priority=3)
    add(a, f1, ItemKind.TASK, True, 100, ["4"])
    add(a, f2, ItemKind.TASK, False, None, ["0.25"], priority=3)
    add(a, f2, ItemKind.TICKET, False, 10, [])
    add(a, None, ItemKind.TICKET, True, None, ["3"])
    add(b, None, ItemKind.TASK, False, 70, ["1"], priority=3)
    add(c, None, ItemKind.TICKET, False, None, [])
    return SimpleNamespace(make=make, agent=agent, team=team, ops=ops, acme=acme, beta=beta,
                           a=a, b=b, c=c, f1=f1, f2=f2, f3=f3, hidden=hidden, records=records)


def expected(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The roll-up the tree must show for these items."""
    percents = [r["percent"] for r in records if r["percent"] is not None]
    return {"items": len(records), "open": sum(not r["done"] for r in records),
            "percent_complete": round(sum(percents) / len(percents), 1) if percents else None,
            "hours": float(sum((r["hours"] for r in records), Decimal(0)))}


def nodes_by_key(nodes: list[dict[str, Any]]) -> dict[tuple[str, Any], dict[str, Any]]:
    found: dict[tuple[str, Any], dict[str, Any]] = {}
    for node in nodes:
        found[(node["kind"], node["id"])] = node
        for key, value in nodes_by_key(node["children"]).items():
            found.setdefault(key, value)
    return found


def tree(app, client, user, query: str = "") -> Any:
    response = Browser(app, app.test_client(), user.username).get(f"/views/tree/data?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_by_portfolio_rollups_equal_the_items_sums(app, client, desk):
    body = tree(app, client, desk.agent, "grouping=portfolio")
    assert body["grouping"] == "portfolio"
    assert [(n["kind"], n["label"]) for n in body["nodes"]] == [
        ("portfolio", "Ops"), ("portfolio", "No portfolio")]
    nodes = nodes_by_key(body["nodes"])
    rec = desk.records
    assert nodes[("portfolio", desk.ops.id)]["totals"] == expected(
        [r for r in rec if r["project"] in (desk.a.id, desk.c.id)])
    assert nodes[("portfolio", None)]["totals"] == expected(
        [r for r in rec if r["project"] == desk.b.id])
    for project in (desk.a, desk.b, desk.c):
        assert nodes[("project", project.id)]["totals"] == expected(
            [r for r in rec if r["project"] == project.id])
    # F1 includes its subfolder F2; the empty F3 is shown with nothing in it
    assert nodes[("folder", desk.f1.id)]["totals"] == expected(
        [r for r in rec if r["folder"] in (desk.f1.id, desk.f2.id)])
    assert nodes[("folder", desk.f2.id)]["totals"] == expected(
        [r for r in rec if r["folder"] == desk.f2.id])
    assert [c["id"] for c in nodes[("folder", desk.f1.id)]["children"]] == [desk.f2.id]
    assert nodes[("folder", desk.f3.id)]["totals"]["items"] == 0
    project_a = nodes[("project", desk.a.id)]
    loose = [c for c in project_a["children"] if c["id"] is None]
    assert loose[0]["totals"] == expected(
        [r for r in rec if r["project"] == desk.a.id and r["folder"] is None])
    assert ("project", desk.hidden.id) not in nodes


def test_by_organization_has_a_no_organization_bucket(app, client, desk):
    body = tree(app, client, desk.agent, "grouping=organization")
    top = [(n["label"], [p["label"] for p in n["children"]]) for n in body["nodes"]]
    assert top == [("Acme", ["A"]), ("Beta", ["B"]), ("No organization", ["C"])]
    nodes = nodes_by_key(body["nodes"])
    assert nodes[("organization", desk.acme.id)]["totals"] == expected(
        [r for r in desk.records if r["project"] == desk.a.id])


def test_filters_apply_to_the_counted_items(app, client, desk):
    body = tree(app, client, desk.agent, "grouping=portfolio&priority=3")
    nodes = nodes_by_key(body["nodes"])
    chosen = [r for r in desk.records if r["priority"] == 3]
    total = expected(chosen)
    shown = [n["totals"] for n in body["nodes"]]
    assert sum(t["items"] for t in shown) == total["items"]
    assert sum(t["hours"] for t in shown) == total["hours"]
    assert ("project", desk.c.id) not in nodes  # nothing of C matches
    assert ("folder", desk.f3.id) not in nodes  # empty folders hide while filtering
    assert nodes[("project", desk.a.id)]["totals"] == expected(
        [r for r in chosen if r["project"] == desk.a.id])


def test_viewers_see_only_their_projects(app, client, desk):
    teamless = quick_user(desk.make, "Agent")
    assert tree(app, client, teamless)["nodes"] == []
    outsider = quick_user(desk.make, "Agent", teams=[desk.hidden.teams[0]])
    nodes = nodes_by_key(tree(app, client, outsider)["nodes"])
    assert {k[1] for k in nodes if k[0] == "project"} == {desk.hidden.id}
    items = Browser(app, app.test_client(), outsider.username).get(
        f"/views/tree/items?in_project={desk.a.id}&in_folder={desk.f1.id}").get_json()
    assert items["items"] == []


def folder_items(app, client, user, query: str, size: int) -> list[int]:
    browser = Browser(app, app.test_client(), user.username)
    ids: list[int] = []
    cursor = ""
    while True:
        response = browser.get(f"/views/tree/items?{query}&page_size={size}"
                               + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= size
        ids += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


def test_folder_items_load_a_keyset_page_at_a_time(app, client, desk):
    for _ in range(4):
        desk.make.item(desk.a, ItemKind.TASK, folder_id=desk.f2.id)
    in_f2 = desk.make.session.scalars(select(Item.id).where(Item.folder_id == desk.f2.id)).all()
    assert folder_items(app, client, desk.agent,
                        f"in_project={desk.a.id}&in_folder={desk.f2.id}", 2) == sorted(in_f2)
    assert folder_items(app, client, desk.agent, f"in_project={desk.a.id}&in_folder=none", 2) \
        == [r["id"] for r in desk.records if r["project"] == desk.a.id and r["folder"] is None]
    assert folder_items(app, client, desk.agent,
                        f"in_project={desk.a.id}&in_folder={desk.f2.id}&priority=3", 1) \
        == [r["id"] for r in desk.records if r["folder"] == desk.f2.id and r["priority"] == 3]


def test_default_grouping_is_chosen_by_admins(app, client, desk):
    assert tree(app, client, desk.agent)["grouping"] == "portfolio"
    agent = Browser(app, app.test_client(), desk.agent.username)
    refused = agent.post("/views/tree/grouping", json={"grouping": "organization"})
    assert refused.status_code == 403
    admin = Browser(app, app.test_client(), quick_user(desk.make, "Admin").username)
    assert admin.post("/views/tree/grouping", json={"grouping": "sideways"}).status_code == 422
    assert admin.post("/views/tree/grouping", json={"grouping": "organization"}).status_code == 200
    assert tree(app, client, desk.agent)["grouping"] == "organization"
    assert tree(app, client, desk.agent, "grouping=portfolio")["grouping"] == "portfolio"
    assert 'name="default_grouping"' in admin.page("/views/tree/")
    assert 'name="default_grouping"' not in agent.page("/views/tree/")


@pytest.mark.parametrize("url,bad", [
    ("/views/tree/data?grouping=sideways", "grouping"),
    ("/views/tree/data?priority=9", "priority"),
    ("/views/tree/data?colour=red", "colour"),
    ("/views/tree/items?in_folder=none", "in_project"),
    ("/views/tree/items?in_project=1&in_folder=abc", "in_folder"),
    ("/views/tree/items?in_project=1&in_folder=none&cursor=zzz", "cursor"),
    ("/views/tree/items?in_project=1&in_folder=none&page_size=0", "page_size"),
])
def test_bad_arguments_are_422_naming_the_argument(app, client, desk, url, bad):
    response = Browser(app, app.test_client(), desk.agent.username).get(url)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [bad]


def test_the_page_renders_the_nodes_and_flashes_bad_arguments(app, client, desk):
    browser = Browser(app, app.test_client(), desk.agent.username)
    html = browser.page("/views/tree/")
    assert "Ops" in html and "F2" in html and "data-items-url" in html
    assert "work_tree.js" in html
    assert "sideways" in browser.page("/views/tree/?grouping=sideways")
