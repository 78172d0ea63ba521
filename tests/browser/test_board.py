"""The status board in Chromium: drag a card to another column (the status and its event are
stored through the REST API), a refused move puts the card back, columns page as they
scroll, and on a phone a card moves with its "Move to…" select."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, Factory, quick_user
from webapp.extensions import db
from webapp.models import Event, Item, ItemKind, ItemType, utcnow


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def drag(page: Any, source: Any, target: Any) -> None:
    """Press, move in small steps (SortableJS follows mouse moves), release."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 10)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + 15, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=25)
    page.mouse.up()


@pytest.fixture
def desk(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team("Field service")
        project = make.project(teams=[team], name="Stores")
        agent = quick_user(make, "Agent", teams=[team])
        reader = quick_user(make, "Read-only", teams=[team])
        ticket_type = make.session.scalar(select(ItemType).where(
            ItemType.kind == ItemKind.TICKET, ItemType.is_default.is_(True)))
        statuses = [s.id for s in ticket_type.statuses]
        printer = make.item(project, title="Printer offline in store 12", priority=4,
                            due_at=utcnow() + dt.timedelta(days=2), percent_complete=30)
        printer.assignee_users = [agent]
        stuck = make.item(project, title="Scanner keeps rebooting", priority=2)
        stuck.status_id = statuses[1]
        make.session.commit()
        stuck.status_changed_at = utcnow() - dt.timedelta(days=12)
        make.session.commit()
        for n in range(3):
            make.item(project, title=f"Till roll order {n}", priority=n)
        desk = SimpleNamespace(agent=agent.username, reader=reader.username,
                               statuses=statuses, printer=printer.id, stuck=stuck.id,
                               project=project.id)
        db.session.remove()
    return desk


def column(page: Any, status_id: int) -> Any:
    return page.locator(f'.rd-column[data-status-id="{status_id}"]')


def test_drag_a_card_to_another_column_stores_the_status_and_its_event(app, live_server,
                                                                      page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/board/")
    new, open_ = column(page, desk.statuses[0]), column(page, desk.statuses[1])
    card = new.locator(f'.rd-card[data-id="{desk.printer}"]')
    expect(card).to_contain_text("Printer offline in store 12")
    expect(card.locator(".rd-stars")).to_have_text("★★★★☆")
    expect(new.locator("[data-count]")).to_have_text("4")
    expect(open_.locator(".rd-card.rd-stuck-card")).to_have_count(1)  # 12 days > 7
    screenshot(page, "view-board")

    drag(page, card, open_.locator(".rd-cards"))
    expect(open_.locator("[data-count]")).to_have_text("2")
    expect(new.locator("[data-count]")).to_have_text("3")
    page.reload()
    expect(column(page, desk.statuses[1]).locator(f'.rd-card[data-id="{desk.printer}"]')) \
        .to_be_visible()
    with app.app_context():
        assert db.session.get(Item, desk.printer).status_id == desk.statuses[1]
        events = db.session.scalars(select(Event).where(
            Event.type == "ticket.status_changed", Event.subject_id == desk.printer)).all()
        assert len(events) == 1
        db.session.remove()


def test_a_refused_move_puts_the_card_back_and_says_why(app, live_server, page, desk):
    log_in(page, live_server.url, desk.reader)
    page.goto(f"{live_server.url}/views/board/")
    new = column(page, desk.statuses[0])
    card = new.locator(f'.rd-card[data-id="{desk.printer}"]')
    expect(card).to_be_visible()
    drag(page, card, column(page, desk.statuses[3]).locator(".rd-cards"))
    expect(page.locator(".rd-board-message")).to_contain_text(f"Could not move #{desk.printer}")
    expect(new.locator(f'.rd-card[data-id="{desk.printer}"]')).to_be_visible()
    expect(column(page, desk.statuses[3]).locator(".rd-card")).to_have_count(0)
    with app.app_context():
        assert db.session.get(Item, desk.printer).status_id == desk.statuses[0]
        db.session.remove()


def test_a_long_column_loads_page_by_page_as_it_scrolls(app, live_server, page, desk):
    with app.app_context():
        make = Factory(app)
        project = make.session.get(Item, desk.printer).project
        for n in range(120):
            make.session.add(Item(kind=ItemKind.TICKET, title=f"Bulk {n}",
                                  item_type_id=make.session.get(Item, desk.printer).item_type_id,
                                  status_id=desk.statuses[2], project_id=project.id,
                                  custom_values={}))
        make.session.commit()
        db.session.remove()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/views/board/")
    waiting = column(page, desk.statuses[2])
    expect(waiting.locator("[data-count]")).to_have_text("120")
    expect(waiting.locator(".rd-card")).to_have_count(50)
    body = waiting.locator(".rd-column-body")
    for loaded in (100, 120):
        body.evaluate("b => b.scrollTop = b.scrollHeight")
        expect(waiting.locator(".rd-card")).to_have_count(loaded)
    ids = waiting.locator(".rd-card").evaluate_all("cs => cs.map(c => c.dataset.id)")
    assert len(set(ids)) == 120


def test_on_a_phone_a_card_moves_with_its_select(app, live_server, new_page, desk):
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(phone, live_server.url, desk.agent)
    phone.goto(f"{live_server.url}/views/board/")
    card = column(phone, desk.statuses[1]).locator(f'.rd-card[data-id="{desk.stuck}"]')
    expect(card).to_be_visible()
    columns = phone.locator(".rd-columns")
    assert columns.evaluate("c => c.scrollWidth > c.clientWidth")  # columns scroll sideways
    screenshot(phone, "view-board-phone")
    card.locator("select.rd-move").select_option(label="Solved")
    solved = column(phone, desk.statuses[3])
    expect(solved.locator("[data-count]")).to_have_text("1")
    expect(solved.locator(f'.rd-card[data-id="{desk.stuck}"]')).to_be_attached()
    with app.app_context():
        assert db.session.get(Item, desk.stuck).status_id == desk.statuses[3]
        db.session.remove()
