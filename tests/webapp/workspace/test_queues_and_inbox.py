"""The workspace home's queues and the inbox: counts match what each queue lists, visibility
applies first, rows show names and words (never ids or raw values), unread state, bulk
actions through the write check with one event per change."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory, message, quick_user
from webapp.models import Event, Item, ItemSla, SlaPolicy, Status, StatusCategory, utcnow


def _desk(make: Factory) -> dict[str, Any]:
    team, other_team = make.team("Store support"), make.team("Warehouse")
    agent = quick_user(make, "Agent", teams=[team])
    colleague = quick_user(make, "Agent", teams=[team])
    outsider = quick_user(make, "Agent", teams=[other_team])
    project = make.project(teams=[team], name="Stores")
    hidden = make.project(teams=[other_team], name="Warehouse work")
    org = make.organization("Loja Centro")
    customer = make.customer("maria@loja.example", name="Maria Souza", organization_id=org.id)
    ticket_type = make.item_type()
    waiting = next(s for s in ticket_type.statuses if s.waits_on_customer)
    done = next(s for s in ticket_type.statuses if s.category == StatusCategory.DONE)
    now = utcnow()
    items = {
        "mine": make.item(project, title="POS terminal frozen", assignee_users=[agent],
                          requester_id=customer.id, priority=4),
        "unassigned": make.item(project, title="Receipt printer offline", priority=2),
        "team": make.item(project, title="Scanner cable", assignee_teams=[team],
                          assignee_users=[colleague]),
        "overdue": make.item(project, title="Replace router", assignee_users=[colleague],
                             due_at=now - dt.timedelta(hours=3)),
        "waiting": make.item(project, title="Need serial number", status=waiting,
                             assignee_users=[agent]),
        "followed": make.item(project, title="Network audit", follower_users=[agent],
                              assignee_users=[colleague]),
        "done": make.item(project, title="Old and solved", status=done,
                          assignee_users=[agent]),
        "other_team": make.item(project, title="Theirs", assignee_teams=[other_team]),
        "hidden": make.item(hidden, title="Warehouse secret", assignee_users=[agent]),
    }
    policy = SlaPolicy(name="Stores SLA", warning_minutes=60)
    make.session.add(policy)
    make.session.flush()
    make.session.add(ItemSla(item_id=items["unassigned"].id, policy_id=policy.id,
                             started_at=now - dt.timedelta(hours=5),
                             first_response_due_at=now - dt.timedelta(hours=1)))
    make.session.commit()
    return {"agent": agent.username, "colleague": colleague.username,
            "outsider": outsider.username, "customer": customer, "agent_user": agent,
            "ids": {key: item.id for key, item in items.items()}, "team": team.id}


def _config(page: str) -> dict[str, Any]:
    raw = re.search(r'data-config="([^"]*)"', page)
    assert raw, "the inbox has its configuration"
    import html

    return json.loads(html.unescape(raw.group(1)))


def _row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="rd-row[^"]*" data-id="(\d+)"', page)]


def test_home_counts_every_queue_as_the_inbox_lists_it(app: Flask, make: Factory) -> None:
    desk = _desk(make)
    ids = desk["ids"]
    browser = Browser(app, app.test_client(), desk["agent"])
    home = browser.page("/")
    counts = dict(re.findall(
        r'data-queue="(\w+)">.*?class="rd-queue-count"[^>]*>(\d+)<', home, re.S))
    expected = {
        "mine": {ids["mine"], ids["waiting"]},
        "unassigned": {ids["unassigned"]},
        "teams": {ids["team"]},
        "due": {ids["overdue"]},
        "sla": {ids["unassigned"]},
        "waiting": {ids["waiting"]},
        "following": {ids["followed"]},
        "open": {ids[k] for k in ("mine", "unassigned", "team", "overdue", "waiting",
                                  "followed", "other_team")},
    }
    for key, wanted in expected.items():
        assert int(counts[key]) == len(wanted), key
        listed = set(_row_ids(browser.page(f"/workspace/inbox/{key}")))
        assert listed == wanted, key
    # Done items and items of projects the agent may not see are in no queue.
    everything = "".join(browser.page(f"/workspace/inbox/{k}") for k in expected)
    assert "Old and solved" not in everything and "Warehouse secret" not in everything
    # The counts endpoint says the same.
    live = browser.get("/workspace/inbox/counts").get_json()
    assert {k: live[k] for k in expected} == {k: int(v) for k, v in counts.items()}


def test_rows_show_words_and_unread_state(app: Flask, make: Factory) -> None:
    desk = _desk(make)
    ids = desk["ids"]
    mine = make.session.get(Item, ids["mine"])
    message(make, mine, desk["agent_user"], body="<p>I restarted it &amp; it works?</p>")
    browser = Browser(app, app.test_client(), desk["agent"])
    page = browser.page("/workspace/inbox/mine")
    row = page[page.index(f'data-id="{ids["mine"]}"'):]
    row = row[:row.index("</li>")]
    assert "Maria Souza" in row and "Loja Centro" in row and "POS terminal frozen" in row
    assert "I restarted it &amp; it works?" in row  # the text of the HTML, escaped once
    assert "★★★★" in row and "rd-unread" in page[:page.index(f'data-id="{ids["mine"]}"')]
    for raw in ("None", "[]", "{}", "&lt;p&gt;", "+00:00<"):
        assert raw not in row, raw
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", row), "no microseconds anywhere"
    # Opening the ticket marks it read; a customer's reply makes it unread again.
    with app.app_context():
        from webapp.extensions import db
        from webapp.workspace.seen import mark_seen

        mark_seen(db.session, desk["agent_user"].id, ids["mine"])
        db.session.commit()
    page = browser.page("/workspace/inbox/mine")
    assert f'class="rd-row" data-id="{ids["mine"]}"' in page
    from webapp.models import Message

    later = utcnow() + dt.timedelta(seconds=1)
    make.session.add(Message(item_id=ids["mine"], body_html="<p>Still frozen</p>",
                             author_customer_id=desk["customer"].id, created_at=later))
    make.session.commit()
    page = browser.page("/workspace/inbox/mine")
    assert f'class="rd-row rd-unread" data-id="{ids["mine"]}"' in page
    assert "Maria Souza: Still frozen" in page


def test_bulk_actions_change_each_item_once_and_refuse_what_is_not_visible(
        app: Flask, make: Factory) -> None:
    desk = _desk(make)
    ids = desk["ids"]
    browser = Browser(app, app.test_client(), desk["agent"])
    page = browser.page("/workspace/inbox/open")
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    chosen = [ids["unassigned"], ids["team"], ids["hidden"]]
    before = make.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))

    def bulk(body: Any) -> Any:
        return browser.post("/workspace/inbox/bulk", json=body, headers={"X-CSRFToken": csrf})

    answer = bulk({"action": "assign_me", "ids": chosen})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    result = answer.get_json()
    assert result["done"] == chosen[:2] and list(result["failed"]) == [str(ids["hidden"])]
    make.session.expire_all()
    for item_id in chosen[:2]:
        assert desk["agent_user"].id in [u.id for u in make.session.get(Item, item_id).assignee_users]
    events = make.session.scalars(select(Event).where(Event.id > (before or 0),
                                                      Event.type == "ticket.updated")).all()
    assert sorted(e.subject_id for e in events) == sorted(chosen[:2])  # one each

    answer = bulk({"action": "status", "ids": [ids["unassigned"]], "value": "Waiting on customer"})
    assert answer.get_json()["done"] == [ids["unassigned"]]
    make.session.expire_all()
    assert make.session.get(Item, ids["unassigned"]).status.waits_on_customer
    answer = bulk({"action": "close", "ids": [ids["team"]]})
    make.session.expire_all()
    assert make.session.get(Item, ids["team"]).status.category == StatusCategory.DONE
    answer = bulk({"action": "status", "ids": [ids["mine"]], "value": "No such status"})
    assert "has no status" in answer.get_json()["failed"][str(ids["mine"])]
    # Bad requests name the problem.
    for body, field in (({"action": "explode", "ids": [1]}, "action"),
                        ({"action": "priority", "ids": [ids["mine"]], "value": 9}, "value"),
                        ({"action": "assign_me", "ids": "all"}, "ids"),
                        ([1, 2], "_")):
        answer = bulk(body)
        assert answer.status_code == 400 and field in answer.get_json()["errors"], body
    # Read-only users may not run bulk actions.
    reader = quick_user(make, "Read-only", teams=[make.session.get(
        __import__("webapp.models", fromlist=["Team"]).Team, desk["team"])])
    read_only = Browser(app, app.test_client(), reader.username)
    page = read_only.page("/workspace/inbox/open")
    assert 'id="rd-bulk"' not in page
    refused = read_only.post("/workspace/inbox/bulk", json={"action": "assign_me",
                                                             "ids": [ids["mine"]]},
                             headers={"X-CSRFToken": csrf})
    assert refused.status_code in (400, 401, 403)


def test_unknown_queue_and_bad_arguments_get_words_not_errors(app: Flask, make: Factory) -> None:
    desk = _desk(make)
    browser = Browser(app, app.test_client(), desk["agent"])
    answer = browser.get("/workspace/inbox/nonsense")
    assert answer.status_code == 302
    answer = browser.get("/workspace/inbox/rows?queue=mine&sort=colour")
    assert answer.status_code == 400 and "sort" in answer.get_json()["errors"]
    answer = browser.get("/workspace/inbox/rows?queue=mine&cursor=garbage")
    assert answer.status_code == 400
    answer = browser.get("/workspace/inbox/rows?queue=mine")
    assert answer.status_code == 200 and "rd-row" in answer.get_json()["html"]


def test_pinned_views_show_on_home_with_their_counts(app: Flask, make: Factory) -> None:
    from webapp.models import SavedView

    desk = _desk(make)
    make.session.add(SavedView(name="High priority", owner_id=desk["agent_user"].id,
                               filters={"priority": ["4", "5"]}, pinned=True))
    make.session.add(SavedView(name="Not pinned", owner_id=desk["agent_user"].id,
                               filters={}, pinned=False))
    make.session.commit()
    browser = Browser(app, app.test_client(), desk["agent"])
    home = browser.page("/")
    pinned = home[home.index('id="rd-pinned-views"'):]
    assert "High priority" in pinned and "Not pinned" not in pinned
    view_url = re.search(r'href="(/workspace/inbox/view/\d+)">High priority', pinned).group(1)
    assert _row_ids(browser.page(view_url)) == [desk["ids"]["mine"]]
    # Another agent cannot open it.
    other = Browser(app, app.test_client(), desk["outsider"])
    assert other.get(view_url).status_code == 404


def test_admin_home_has_a_setup_checklist(app: Flask, make: Factory) -> None:
    admin = quick_user(make, "Admin")
    make.project(name="Nobody sees this")
    browser = Browser(app, app.test_client(), admin.username)
    home = browser.page("/")
    checklist = home[home.index('id="rd-setup-checklist"'):]
    assert "No support address" in checklist
    assert "No team can see the project Nobody sees this" in checklist
    agent = quick_user(make, "Agent", teams=[make.team()])
    assert "rd-setup-checklist" not in Browser(app, app.test_client(), agent.username).page("/")
    # With Redis but no worker's heartbeat, and with Redis unreachable (only read here: a
    # database no test writes to).
    assert "No worker is running" not in checklist
    before = app.config["REDIS_URL"]
    try:
        app.config["REDIS_URL"] = "redis://127.0.0.1:6379/9"
        assert "No worker is running" in browser.page("/")
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
        assert "Redis cannot be reached" in browser.page("/")
    finally:
        app.config["REDIS_URL"] = before


def test_status_waits_on_customer_comes_from_the_shipped_workflow(make: Factory) -> None:
    names = make.session.scalars(select(Status.name).where(
        Status.waits_on_customer.is_(True))).all()
    assert names and all(name.lower().startswith("waiting") for name in names)
