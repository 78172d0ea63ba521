"""Dragging a Gantt bar in Chromium saves its planned dates through the task API; a refused
change puts the bar back and says why; the chart scrolls sideways on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, Factory
from webapp.extensions import db
from webapp.models import Item, ItemKind

DAY_PX = 28  # one day on the chart (work_gantt.js)


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def drag(page: Any, selector: str, days: int, *, at: str = "middle") -> None:
    box = page.locator(selector).bounding_box()
    x = box["x"] + (box["width"] / 2 if at == "middle" else box["width"] - 3)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + days * DAY_PX / 2, y, steps=4)
    page.mouse.move(x + days * DAY_PX, y, steps=4)
    page.mouse.up()


def planned(page: Any, base: str, task_id: int) -> tuple[str, str]:
    """The task's planned dates read back through the REST API (cookie session)."""
    body = page.request.get(f"{base}/api/v1/task/{task_id}").json()["result"]
    return body["planned_start"], body["planned_finish"]


def test_drag_and_resize_a_bar_then_a_refused_move(app, live_server, new_page):
    start = dt.date.today() - dt.timedelta(days=2)
    with app.app_context():
        make = Factory(app)
        team = make.team()
        project = make.project(teams=[team], name="Launch")
        agent = make.user("Agent", teams=[team])
        first = make.item(project, ItemKind.TASK, title="Plan", planned_start=start,
                          planned_finish=start + dt.timedelta(days=2),
                          actual_start=start, percent_complete=30)
        second = make.item(project, ItemKind.TASK, title="Build",
                           planned_start=start + dt.timedelta(days=3),
                           planned_finish=start + dt.timedelta(days=6), predecessors=[first])
        doomed = make.item(project, ItemKind.TASK, title="Doomed", planned_start=start,
                           planned_finish=start + dt.timedelta(days=1))
        ids = first.id, second.id, doomed.id
        username, project_id = agent.username, project.id
        db.session.remove()
    base = live_server.url
    page = new_page(viewport={"width": 1280, "height": 800})
    login(page, base, username)
    page.goto(f"{base}/views/gantt/?project={project_id}")
    page.locator("#rd-gantt.rd-ready").wait_for()
    expect(page.locator(".rd-g-dep")).to_have_count(1)
    expect(page.locator(f".rd-g-planned.rd-critical[data-id='{ids[1]}']")).to_have_count(1)
    screenshot(page, "view-gantt")

    # Move "Build" three days later.
    before = planned(page, base, ids[1])
    drag(page, f".rd-g-planned[data-id='{ids[1]}'] .rd-g-body", 3)
    expect(page.locator(".rd-gantt-notice")).to_contain_text(f"#{ids[1]} planned")
    page.reload()
    page.locator("#rd-gantt.rd-ready").wait_for()
    moved = planned(page, base, ids[1])
    shift = [(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days
             for a, b in zip(before, moved, strict=True)]
    assert shift == [3, 3]

    # Stretch "Plan" by two days from its right end.
    before = planned(page, base, ids[0])
    drag(page, f".rd-g-planned[data-id='{ids[0]}'] .rd-g-handle[data-edge=finish]", 2, at="end")
    expect(page.locator(".rd-gantt-notice")).to_contain_text(f"#{ids[0]} planned")
    after = planned(page, base, ids[0])
    assert after[0] == before[0]
    assert (dt.date.fromisoformat(after[1]) - dt.date.fromisoformat(before[1])).days == 2

    # A task deleted meanwhile: the API refuses, the bar goes back, the message shows.
    bar = page.locator(f".rd-g-planned[data-id='{ids[2]}']")
    place = bar.get_attribute("transform")
    with app.app_context():
        db.session.delete(db.session.get(Item, ids[2]))
        db.session.commit()
        db.session.remove()
    drag(page, f".rd-g-planned[data-id='{ids[2]}'] .rd-g-body", 4)
    expect(page.locator(".rd-gantt-notice")).to_contain_text(f"#{ids[2]} not moved")
    assert page.locator(f".rd-g-planned[data-id='{ids[2]}']").get_attribute("transform") == place


def test_the_chart_scrolls_sideways_on_a_phone(app, live_server, new_page):
    start = dt.date.today() - dt.timedelta(days=10)
    with app.app_context():
        make = Factory(app)
        team = make.team()
        project = make.project(teams=[team], name="Roadworks")
        agent = make.user("Agent", teams=[team])
        for n in range(4):
            make.item(project, ItemKind.TASK, title=f"Stage {n}",
                      planned_start=start + dt.timedelta(days=8 * n),
                      planned_finish=start + dt.timedelta(days=8 * n + 6))
        username, project_id = agent.username, project.id
        db.session.remove()
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(page, live_server.url, username)
    page.goto(f"{live_server.url}/views/gantt/?project={project_id}")
    page.locator("#rd-gantt.rd-ready").wait_for()
    scroller = page.locator(".rd-gantt-scroll")
    sizes = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1]  # wider than the screen: it scrolls
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390 + 1  # the page itself does not
    screenshot(page, "view-gantt-phone")


def _visible_in_scroller(page: Any, selector: str) -> bool:
    return page.evaluate("""sel => {
        const box = document.querySelector('.rd-gantt-scroll').getBoundingClientRect();
        const bar = document.querySelector(sel).getBoundingClientRect();
        return bar.left >= box.left && bar.left < box.right;
    }""", selector)


def test_a_plan_months_away_opens_at_its_first_bar(app, live_server, new_page):
    """Issue 17, point 12: today is months before the plan (and, in a second project, months
    after it); the chart opens scrolled to the project's first bar, not to today."""
    ahead = dt.date.today() + dt.timedelta(days=120)
    behind = dt.date.today() - dt.timedelta(days=150)
    with app.app_context():
        make = Factory(app)
        team = make.team()
        agent = make.user("Agent", teams=[team])
        projects = {}
        for name, start in (("Fibre rollout", ahead), ("Old rollout", behind)):
            project = make.project(teams=[team], name=name)
            tasks = [make.item(project, ItemKind.TASK, title=f"{name} {n}",
                               planned_start=start + dt.timedelta(days=5 * n),
                               planned_finish=start + dt.timedelta(days=5 * n + 4))
                     for n in range(3)]
            projects[name] = (project.id, tasks[0].id)
        username = agent.username
        db.session.remove()
    page = new_page(viewport={"width": 1280, "height": 600})
    login(page, live_server.url, username)
    for name, (project_id, first_task) in projects.items():
        page.goto(f"{live_server.url}/views/gantt/?project={project_id}")
        page.locator("#rd-gantt.rd-ready").wait_for()
        first_bar = f".rd-g-planned[data-id='{first_task}'] .rd-g-body"
        assert _visible_in_scroller(page, first_bar), name
        assert not _visible_in_scroller(page, ".rd-g-today"), name
        if name == "Fibre rollout":
            screenshot(page, "view-gantt-opens-at-first-bar")
