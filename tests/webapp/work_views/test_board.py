"""The status board: columns in workflow order, counts, keyset-paged columns, stuck cards,
visibility and filters, and errors naming the bad argument."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import quick_user
from webapp.models import Item, ItemKind, ItemSla, ItemType, SlaPolicy, utcnow


def add_item(make: Any, project: Any, status_index: int = 0, *, item_type: Any = None,
             status_days: float | None = None, **fields: Any) -> Item:
    """An item in the ``status_index``-th status of its type, entered ``status_days`` ago."""
    item = make.item(project, item_type=item_type, **fields)
    item.status = item.item_type.statuses[status_index]
    make.session.commit()
    if status_days is not None:
        item.status_changed_at = utcnow() - dt.timedelta(days=status_days)
        make.session.commit()
    return item


@pytest.fixture
def desk(app, client, make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    other = make.project(teams=[make.team()])
    agent = quick_user(make, "Agent", teams=[team])
    ticket_type = make.session.scalar(select(ItemType).where(
        ItemType.kind == ItemKind.TICKET, ItemType.is_default.is_(True)))
    return SimpleNamespace(make=make, team=team, project=project, other=other, agent=agent,
                           type=ticket_type, statuses=list(ticket_type.statuses))


def get(app, client, user, url: str) -> Any:
    """GET as ``user`` in a session of its own (a logged-in client cannot log in again)."""
    return Browser(app, app.test_client(), user.username).get(url)


def column_ids(app, client, user, status_id: int, query: str = "", size: int = 50) -> list[int]:
    """Every card of a column, following next_cursor page by page."""
    browser = Browser(app, app.test_client(), user.username)
    ids: list[int] = []
    cursor = ""
    while True:
        response = browser.get(f"/views/board/column/{status_id}?page_size={size}&{query}"
                               f"{'&cursor=' + cursor if cursor else ''}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["cards"]) <= size
        ids += [card["id"] for card in body["cards"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


def test_columns_follow_the_workflow_order_of_the_chosen_type(app, client, desk):
    body = get(app, client, desk.agent, "/views/board/data").get_json()
    assert body["type"]["id"] == desk.type.id
    assert [c["id"] for c in body["columns"]] == [s.id for s in desk.statuses]
    assert [c["name"] for c in body["columns"]] == [s.name for s in desk.statuses]

    bug = desk.make.session.scalar(select(ItemType).where(ItemType.name == "Bug"))
    body = get(app, client, desk.agent, f"/views/board/data?type={bug.id}").get_json()
    assert [c["id"] for c in body["columns"]] == [s.id for s in bug.statuses]
    task = desk.make.session.scalar(select(ItemType).where(
        ItemType.kind == ItemKind.TASK, ItemType.is_default.is_(True)))
    body = get(app, client, desk.agent, "/views/board/data?kind=task").get_json()
    assert [c["id"] for c in body["columns"]] == [s.id for s in task.statuses]

    html = Browser(app, client, desk.agent.username).page(f"/views/board/?type={bug.id}")
    shown = [int(i) for i in re.findall(r'class="rd-column" data-status-id="(\d+)"', html)]
    assert shown == [s.id for s in bug.statuses]
    assert "Sortable.min.js" in html and 'data-csrf="' in html


def test_counts_equal_the_filtered_totals(app, client, desk):
    make = desk.make
    layout = [(0, 3), (0, 1), (1, 3), (1, 3), (1, 0), (3, 5)]  # (status index, priority)
    for index, priority in layout:
        add_item(make, desk.project, index, priority=priority)
    add_item(make, desk.other, 0, priority=3)  # another team's project: never counted

    def counts(query: str) -> list[int]:
        body = get(app, client, desk.agent, f"/views/board/data?{query}").get_json()
        return [c["count"] for c in body["columns"]]

    expected_all = [sum(1 for i, _ in layout if i == n) for n in range(len(desk.statuses))]
    assert counts("") == expected_all == [2, 3, 0, 1, 0]
    expected_p3 = [sum(1 for i, p in layout if i == n and p == 3)
                   for n in range(len(desk.statuses))]
    assert counts("priority=3") == expected_p3 == [1, 2, 0, 0, 0]
    for n, status in enumerate(desk.statuses):
        assert len(column_ids(app, client, desk.agent, status.id, "priority=3")) \
            == expected_p3[n]


def test_paging_returns_every_card_once_in_order(app, client, desk):
    made = [add_item(desk.make, desk.project, 1, priority=p % 6).id for p in range(13)]
    status = desk.statuses[1]
    ids = column_ids(app, client, desk.agent, status.id, size=4)
    assert ids == sorted(made, reverse=True)  # newest first, each once
    by_priority = column_ids(app, client, desk.agent, status.id, "sort=-priority", size=5)
    assert sorted(by_priority) == sorted(made) and len(set(by_priority)) == len(made)
    items = {i.id: i for i in desk.make.session.scalars(select(Item))}
    assert by_priority == sorted(made, key=lambda i: (-items[i].priority, -i))


def test_cards_carry_what_the_card_shows_and_the_stuck_flag(app, client, desk):
    make = desk.make
    due = dt.datetime(2030, 5, 17, 14, 30)
    stuck = add_item(make, desk.project, 1, status_days=10, priority=4, due_at=due,
                     title="Printer jammed")
    stuck.assignee_users = [desk.agent]
    stuck.assignee_teams = [desk.team]
    fresh = add_item(make, desk.project, 1, status_days=2)
    policy = SlaPolicy(name="Gold")
    make.session.add(policy)
    make.session.flush()
    make.session.add(ItemSla(item_id=fresh.id, policy_id=policy.id,
                             resolution_due_at=utcnow() - dt.timedelta(hours=1)))
    make.session.commit()
    url = f"/views/board/column/{desk.statuses[1].id}"

    cards = {c["id"]: c for c in get(app, client, desk.agent, url).get_json()["cards"]}
    assert cards[stuck.id]["stuck"] is True and cards[stuck.id]["days_in_column"] == 10
    assert cards[fresh.id]["stuck"] is False and cards[fresh.id]["days_in_column"] == 2
    assert cards[stuck.id]["title"] == "Printer jammed"
    assert cards[stuck.id]["priority"] == 4
    assert cards[stuck.id]["due_at"] == "2030-05-17T14:30:00"
    agent_name = f"{desk.agent.first_name} {desk.agent.last_name}"
    assert cards[stuck.id]["assignees"] == [agent_name, desk.team.name]
    assert cards[stuck.id]["kind"] == "ticket"
    assert cards[stuck.id]["url"].endswith(f"/workspace/ticket/{stuck.id}")
    assert cards[stuck.id]["sla"] == "none" and cards[fresh.id]["sla"] == "breached"

    cards = {c["id"]: c for c in get(app, client, desk.agent,
                                     url + "?stuck_days=12").get_json()["cards"]}
    assert not cards[stuck.id]["stuck"]
    cards = {c["id"]: c for c in get(app, client, desk.agent,
                                     url + "?stuck_days=1").get_json()["cards"]}
    assert cards[stuck.id]["stuck"] and cards[fresh.id]["stuck"]


def test_a_collaborator_sees_only_their_items(app, client, desk):
    make = desk.make
    helper = quick_user(make, "Collaborator")
    mine = add_item(make, desk.project, 0)
    mine.assignee_users = [helper]
    make.session.commit()
    add_item(make, desk.project, 0)
    add_item(make, desk.project, 1)

    body = get(app, client, helper, "/views/board/data").get_json()
    assert [c["count"] for c in body["columns"]] == [1, 0, 0, 0, 0]
    assert column_ids(app, client, helper, desk.statuses[0].id) == [mine.id]
    assert column_ids(app, client, helper, desk.statuses[1].id) == []
    outsider = quick_user(make, "Agent", teams=[make.team()])
    body = get(app, client, outsider, "/views/board/data").get_json()
    assert [c["count"] for c in body["columns"]] == [0, 0, 0, 0, 0]


def test_filters_narrow_the_columns(app, client, desk):
    make = desk.make
    printer = add_item(make, desk.project, 0, title="Printer on fire")
    add_item(make, desk.project, 0, title="Mouse lost")
    assigned = add_item(make, desk.project, 2, title="Printer paper")
    assigned.assignee_users = [desk.agent]
    make.session.commit()

    body = get(app, client, desk.agent, "/views/board/data?q=printer").get_json()
    assert [c["count"] for c in body["columns"]] == [1, 0, 1, 0, 0]
    assert column_ids(app, client, desk.agent, desk.statuses[0].id, "q=printer") \
        == [printer.id]
    body = get(app, client, desk.agent, "/views/board/data?assignee=me").get_json()
    assert [c["count"] for c in body["columns"]] == [0, 0, 1, 0, 0]
    assert column_ids(app, client, desk.agent, desk.statuses[2].id, "assignee=me") \
        == [assigned.id]


@pytest.mark.parametrize("query, argument", [
    ("stuck_days=abc", "stuck_days"), ("stuck_days=0", "stuck_days"),
    ("priority=9", "priority"), ("colour=red", "colour"), ("sort=colour", "sort"),
    ("page_size=0", "page_size"), ("cursor=nonsense", "cursor"), ("due_from=tomorrow", "due_from"),
])
def test_bad_arguments_are_422_naming_the_argument(app, client, desk, query, argument):
    response = get(app, client, desk.agent,
                   f"/views/board/column/{desk.statuses[0].id}?{query}")
    assert response.status_code == 422
    assert argument in response.get_json()["errors"]
    if argument not in {"page_size", "cursor"}:
        response = get(app, client, desk.agent, f"/views/board/data?{query}")
        assert response.status_code == 422
        assert argument in response.get_json()["errors"]


def test_type_errors_and_an_unknown_column(app, client, desk):
    bug = desk.make.session.scalar(select(ItemType).where(ItemType.name == "Bug"))
    for query, problem in ((f"type={desk.type.id}&type={bug.id}", "one item type"),
                           ("type=999999", "no item type 999999")):
        response = get(app, client, desk.agent, f"/views/board/data?{query}")
        assert response.status_code == 422
        assert problem in response.get_json()["errors"]["type"][0]
    response = get(app, client, desk.agent, "/views/board/column/999999")
    assert response.status_code == 404
    assert "status_id" in response.get_json()["errors"]


def test_the_page_flashes_bad_arguments_and_shows_the_plain_board(app, client, desk):
    browser = Browser(app, client, desk.agent.username)
    response = browser.get("/views/board/?priority=9")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/views/board/")
    html = browser.page("/views/board/")
    assert "priority" in html and "is not 0–5" in html


def test_the_board_needs_a_login(app, client, desk):
    response = client.get("/views/board/data")
    assert response.status_code in {401, 403}
    response = client.get("/views/board/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
