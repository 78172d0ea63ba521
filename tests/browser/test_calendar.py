"""The calendar in Chromium: drag an item to another day (its due date changes through the
REST API, the time of day kept), a refused change puts it back, "+N more" opens a busy day,
and on a phone the week is a list of days."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_board import drag, log_in
from tests.factories import Factory, quick_user
from webapp.extensions import db
from webapp.models import Item, ItemKind


@pytest.fixture
def desk(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team()
        project = make.project(teams=[team])
        agent = quick_user(make, "Agent", teams=[team])
        reader = quick_user(make, "Read-only", teams=[team])
        audit = make.item(project, title="Fire safety audit", priority=3,
                          due_at=dt.datetime(2026, 3, 10, 9, 30))
        plan = make.item(project, ItemKind.TASK, title="Plan store opening",
                         due_at=dt.datetime(2026, 3, 4, 16, 0))
        for hour in range(8, 14):
            make.item(project, title=f"Delivery slot {hour}:00",
                      due_at=dt.datetime(2026, 3, 19, hour, 0))
        desk = SimpleNamespace(agent=agent.username, reader=reader.username, audit=audit.id,
                               plan=plan.id)
        db.session.remove()
    return desk


def day(page: Any, date: str) -> Any:
    return page.locator(f'.rd-day[data-date="{date}"]')


def test_drag_an_item_to_another_day_changes_its_due_date(app, live_server, page, desk):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/calendar/?mode=month&date=2026-03-01")
    expect(page.locator(".rd-cal-title")).to_have_text("March 2026")
    item = day(page, "2026-03-10").locator(f'.rd-cal-item[data-id="{desk.audit}"]')
    expect(item).to_contain_text("Fire safety audit")
    busy = day(page, "2026-03-19")
    expect(busy.locator(".rd-cal-item")).to_have_count(3)
    expect(busy.locator(".rd-day-more")).to_have_text("+3 more")
    screenshot(page, "view-calendar")

    drag(page, item, day(page, "2026-03-12").locator(".rd-day-items"))
    expect(day(page, "2026-03-12").locator(f'.rd-cal-item[data-id="{desk.audit}"]')) \
        .to_have_attribute("data-due", "2026-03-12T09:30:00")
    with app.app_context():
        assert db.session.get(Item, desk.audit).due_at == dt.datetime(2026, 3, 12, 9, 30)
        db.session.remove()
    page.reload()
    expect(day(page, "2026-03-12").locator(f'.rd-cal-item[data-id="{desk.audit}"]')) \
        .to_be_visible()
    expect(day(page, "2026-03-10").locator(".rd-cal-item")).to_have_count(0)

    # A task reschedules through the task API.
    task = day(page, "2026-03-04").locator(f'.rd-cal-item[data-id="{desk.plan}"]')
    drag(page, task, day(page, "2026-03-05").locator(".rd-day-items"))
    expect(day(page, "2026-03-05").locator(f'.rd-cal-item[data-id="{desk.plan}"]')) \
        .to_have_attribute("data-due", "2026-03-05T16:00:00")
    with app.app_context():
        assert db.session.get(Item, desk.plan).due_at == dt.datetime(2026, 3, 5, 16, 0)
        db.session.remove()

    busy.locator(".rd-day-more").click()
    expect(busy.locator(".rd-cal-item")).to_have_count(6)
    expect(busy.locator(".rd-day-more")).to_be_hidden()


def test_a_refused_reschedule_puts_the_item_back(app, live_server, page, desk):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, desk.reader)
    page.goto(f"{live_server.url}/views/calendar/?mode=week&date=2026-03-10")
    item = day(page, "2026-03-10").locator(f'.rd-cal-item[data-id="{desk.audit}"]')
    drag(page, item, day(page, "2026-03-13").locator(".rd-day-items"))
    expect(page.locator(".rd-cal-message")).to_contain_text(
        f"Could not reschedule #{desk.audit}")
    expect(day(page, "2026-03-10").locator(f'.rd-cal-item[data-id="{desk.audit}"]')) \
        .to_be_visible()
    with app.app_context():
        assert db.session.get(Item, desk.audit).due_at == dt.datetime(2026, 3, 10, 9, 30)
        db.session.remove()


def test_on_a_phone_the_week_is_a_list_of_days(app, live_server, new_page, desk):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, live_server.url, desk.agent)
    phone.goto(f"{live_server.url}/views/calendar/?mode=week&date=2026-03-19")
    expect(day(phone, "2026-03-19").locator(".rd-cal-item")).to_have_count(6)
    boxes = [day(phone, f"2026-03-{d}").bounding_box() for d in (16, 17)]
    assert boxes[1]["y"] > boxes[0]["y"] and boxes[1]["x"] == boxes[0]["x"]  # stacked
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "view-calendar-phone")
