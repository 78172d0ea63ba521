"""The workspace home and inbox in Chromium, keyboard first: sign-in lands on the queues,
j/k/x move and select, Ctrl+K jumps to a ticket by number, 200 tickets are bulk-assigned with
progress (each through the write check), and on a phone nothing scrolls sideways."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, quick_user
from webapp.models import Event, Item
from webapp.models.items import item_assignee_user

BULK = 200


@pytest.fixture
def desk(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team("Store support")
        project = make.project(teams=[team], name="Stores")
        agent = quick_user(make, "Agent", teams=[team], name="ana.lima")
        agent.first_name, agent.last_name = "Ana", "Lima"
        org = make.organization("Loja Centro")
        requester = make.customer("maria@loja.example", name="Maria Souza",
                                  organization_id=org.id)
        for n in range(BULK):
            make.item(project, title=f"Till {n:03d} offline", priority=n % 5 + 1,
                      requester_id=requester.id)
        mine = make.item(project, title="POS terminal frozen", priority=5,
                         assignee_users=[agent], requester_id=requester.id)
        make.session.commit()
        return SimpleNamespace(agent=agent.username, agent_id=agent.id, mine=mine.id,
                               project=project.id)


def _assigned(app: Any, user_id: int) -> int:
    from webapp.extensions import db

    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(item_assignee_user)
                                     .where(item_assignee_user.c.user_id == user_id)))


def test_keyboard_inbox_and_bulk_assign_with_progress(app: Any, live_server: Any,
                                                      new_page: Any, desk: SimpleNamespace
                                                      ) -> None:
    page = new_page(viewport={"width": 1400, "height": 900})
    log_in(page, live_server.url, desk.agent)
    # Sign-in lands on the home with the queues and their counts.
    mine = page.locator('.rd-queue[data-queue="mine"] .rd-queue-count')
    expect(mine).to_have_text("1")
    expect(page.locator('.rd-queue[data-queue="unassigned"] .rd-queue-count')).to_have_text(
        str(BULK))
    screenshot(page, "workspace-home")
    page.locator('.rd-queue[data-queue="unassigned"]').click()
    page.wait_for_url("**/workspace/inbox/unassigned**")
    rows = page.locator("#rd-rows .rd-row")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Maria Souza")
    expect(rows.first).to_contain_text("Loja Centro")

    # j/k move the current row and show it in the preview pane; x selects.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("#rd-rows .rd-row.rd-current")
    expect(current).to_have_count(1)
    first_id = rows.nth(0).get_attribute("data-id")
    expect(current).to_have_attribute("data-id", first_id)
    expect(page.locator("#rd-preview")).to_contain_text(f"#{first_id}")
    page.keyboard.press("x")
    expect(page.locator("#rd-bulk")).to_be_visible()
    expect(page.locator("#rd-bulk-count")).to_have_text("1 selected")
    page.keyboard.press("x")
    expect(page.locator("#rd-bulk")).to_be_hidden()
    page.keyboard.press("?")
    expect(page.locator("#rd-help")).to_be_visible()
    page.keyboard.press("Escape")
    screenshot(page, "workspace-inbox")

    # Load every page, select all, assign to me: 200 changes in chunks, with progress.
    more = page.locator("#rd-more")
    for expected in (100, 150, BULK):
        more.click()
        expect(rows).to_have_count(expected)
    expect(more).to_be_hidden()
    page.locator("#rd-select-all").check()
    expect(page.locator("#rd-bulk-count")).to_have_text(f"{BULK} selected")
    before = _assigned(app, desk.agent_id)
    page.locator('#rd-bulk button[data-action="assign_me"]').click()
    expect(page.locator("#rd-bulk-result")).to_contain_text(f"{BULK} changed, 0 refused",
                                                            timeout=60_000)
    assert page.locator("#rd-bulk-progress").evaluate("p => p.value === p.max && p.max === 200")
    assert _assigned(app, desk.agent_id) == before + BULK
    expect(page.locator('.rd-inbox-queue[data-queue="unassigned"] .rd-queue-count')
           ).to_have_text("0")
    expect(page.locator("#rd-empty")).to_be_visible()
    from webapp.extensions import db

    with app.app_context():
        assigned_events = db.session.scalar(select(func.count(Event.id)).where(
            Event.type == "ticket.assigned"))
    assert assigned_events == BULK  # one event per ticket, as on the ticket page

    # Ctrl+K: go to a ticket by number.
    page.keyboard.press("Control+k")
    expect(page.locator("#rd-palette")).to_be_visible()
    page.keyboard.type(str(desk.mine))
    expect(page.locator("#rd-palette-list li").first).to_contain_text(f"#{desk.mine}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/workspace/ticket/{desk.mine}**")


def test_home_and_inbox_fit_a_phone(app: Any, live_server: Any, new_page: Any,
                                    desk: SimpleNamespace) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, desk.agent)
    expect(page.locator(".rd-queues")).to_be_visible()
    wide = "document.scrollingElement.scrollWidth <= window.innerWidth + 1"
    assert page.evaluate(wide), "the home scrolls sideways at 390 px"
    screenshot(page, "workspace-home-phone")
    # Installable: a manifest whose icons load.
    manifest = page.evaluate("""async () => {
        const link = document.querySelector('link[rel=manifest]');
        const body = await (await fetch(link.href)).json();
        const sizes = [];
        for (const icon of body.icons) {
            const answer = await fetch(icon.src);
            if (answer.ok && answer.headers.get('content-type') === 'image/png') sizes.push(icon.sizes);
        }
        return {name: body.name, display: body.display, sizes};
    }""")
    assert manifest == {"name": "Relaydesk", "display": "standalone",
                        "sizes": ["192x192", "512x512"]}
    page.goto(f"{live_server.url}/workspace/inbox/open")
    expect(page.locator("#rd-rows .rd-row").first).to_be_visible()
    assert page.evaluate(wide), "the inbox scrolls sideways at 390 px"
    screenshot(page, "workspace-inbox-phone")
    # A tap on a row opens the ticket (no preview pane on a phone).
    page.locator("#rd-rows .rd-row .rd-row-main").first.click()
    page.wait_for_url("**/workspace/ticket/**")
    with app.app_context():
        from webapp.extensions import db

        assert db.session.get(Item, desk.mine) is not None


def test_an_agents_day_with_the_keyboard_only(app: Any, live_server: Any, new_page: Any,
                                              desk: SimpleNamespace) -> None:
    """Open the next unassigned ticket, take it, reply, send with Solved, land on the next."""
    from webapp.extensions import db
    from webapp.models import Message, StatusCategory

    page = new_page(viewport={"width": 1400, "height": 900})
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/inbox/mine")  # as typed in the address bar
    page.keyboard.press("Control+k")
    page.keyboard.type("Unassigned")
    page.keyboard.press("Enter")
    page.wait_for_url("**/workspace/inbox/unassigned**")
    page.keyboard.press("j")
    first = page.locator("#rd-rows .rd-row.rd-current").get_attribute("data-id")
    page.keyboard.press("o")
    page.wait_for_url(f"**/workspace/ticket/{first}?queue=unassigned")
    page.keyboard.press("a")
    expect(page.locator("#rd-toast")).to_contain_text("saved")
    page.keyboard.press("r")
    page.keyboard.type("Restarted the till remotely; it is back online.")
    page.keyboard.press("Control+Shift+Enter")
    page.wait_for_url(lambda url: "/workspace/ticket/" in url and f"/ticket/{first}?" not in url)
    landed = page.url.split("/workspace/ticket/")[1].split("?")[0]
    assert landed != first
    screenshot(page, "workspace-agent-day-next-ticket")
    with app.app_context():
        item = db.session.get(Item, int(first))
        assert [u.username for u in item.assignee_users] == [desk.agent]
        assert item.status.category == StatusCategory.DONE and item.status.name == "Solved"
        replies = db.session.scalars(select(Message).where(Message.item_id == item.id)).all()
        assert [(m.is_public, "back online" in m.body_html) for m in replies] == [(True, True)]
        next_item = db.session.get(Item, int(landed))
        assert next_item.assignee_users == [] and next_item.status.category != StatusCategory.DONE
