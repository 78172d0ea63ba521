"""A visitor chats through the widget on a plain HTML page of another local site while an
agent answers in the main app, then turns the chat into a ticket of the type they pick; the
visitor's further lines reach the ticket's public thread and the chat leaves the inbox."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.test_related_pickers import pick
from tests.factories import PASSWORD, Factory
from webapp.extensions import db
from webapp.models import (
    BusinessCalendar,
    ChatConversation,
    Holiday,
    Item,
    ItemKind,
    ItemType,
    Message,
    Portal,
    Status,
    StatusCategory,
    utcnow,
)
from webapp.widget import snippet


@pytest.fixture
def host_site(app, live_server, tmp_path: Path) -> Iterator[str]:
    """Another website (127.0.0.1, its own port) whose page holds only the snippet."""
    with app.app_context():
        code = snippet(db.session.scalar(select(Portal).where(Portal.slug == "help")))
        db.session.remove()
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>Acme shop</title></head><body>"
        f"<h1>Acme shop</h1>{code}</body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/index.html"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_visitor_and_agent_chat_live_then_the_chat_becomes_a_ticket(app, live_server,
                                                                     host_site, new_page):
    with app.app_context():
        make = Factory(app)
        team = make.team()
        project = make.project(teams=[team])
        db.session.scalar(select(Portal).where(Portal.slug == "help")).project_id = project.id
        db.session.commit()
        shipping = ItemType(kind=ItemKind.TICKET, name="Shipping", statuses=[
            Status(name="Received", category=StatusCategory.NEW, position=0)])
        db.session.add(shipping)
        agent = make.user("Agent", teams=[team])
        agent.first_name = "Omar"
        db.session.commit()
        username, project_id = agent.username, project.id
        db.session.remove()

    # The visitor, on the other site: only the launcher until it is clicked.
    visitor = new_page()
    visitor.goto(host_site)
    launcher = visitor.locator("#relaydesk-widget button.launcher")
    launcher.click()
    panel = visitor.frame_locator("#relaydesk-widget iframe.panel")
    panel.locator("#chat-name").fill("Vera Visitor")
    panel.locator("#chat-email").fill("not-an-address")
    panel.locator("#chat-first").fill("Hello, my order has not arrived")
    panel.locator("#chat-start button[type=submit]").click()
    expect(panel.locator('[data-field="email"] .error')).to_contain_text("valid e-mail")
    panel.locator("#chat-email").fill("vera@site.example")
    panel.locator("#chat-start button[type=submit]").click()
    panel.locator(".chat-message.from-visitor", has_text="my order has not arrived").wait_for()

    # The agent, in the main app: the chat is in the inbox, waiting for an answer.
    desk = new_page()
    desk.goto(f"{live_server.url}/login/")
    desk.fill("input[name=username]", username)
    desk.fill("input[name=password]", PASSWORD)
    desk.click("input[type=submit], button[type=submit]")
    desk.goto(f"{live_server.url}/chat/inbox")
    row = desk.locator("tr.rd-unanswered", has_text="Vera Visitor")
    row.locator("a").first.click()
    desk.locator(".rd-message.rd-visitor", has_text="my order has not arrived").wait_for()
    desk.fill("#rd-answer-body", "Sorry to hear that! What is the order number?")
    desk.click("#rd-answer button[type=submit]")

    # The answer appears for the visitor without a reload, under the agent's first name.
    answer = panel.locator(".chat-message.from-agent", has_text="What is the order number?")
    answer.wait_for()
    expect(answer.locator(".meta")).to_contain_text("Omar ·")
    panel.locator("#chat-body").fill("It is A-1001")
    panel.locator("#chat-reply button[type=submit]").click()
    desk.locator(".rd-message.rd-visitor", has_text="It is A-1001").wait_for()
    screenshot(desk, "agent-chat")

    # The agent turns the chat into a ticket of the type they pick; the visitor is told its
    # number.
    desk.select_option("#rd-convert-type", label="Shipping")
    screenshot(desk, "agent-chat-convert-type")
    desk.click("#rd-convert")
    desk.wait_for_url("**/tickets/show/*")
    with app.app_context():
        chat = db.session.scalar(select(ChatConversation))
        item = db.session.get(Item, chat.item_id)
        assert item.title == "Hello, my order has not arrived"
        assert item.requester.email == "vera@site.example"
        assert item.project_id == project_id
        assert item.item_type.name == "Shipping"
        transcript = db.session.scalar(select(Message).where(Message.item_id == item.id))
        assert transcript.is_public
        for line in ("Vera Visitor", "my order has not arrived", "Omar",
                     "What is the order number?", "It is A-1001"):
            assert line in transcript.body_html
        number = item.id
        db.session.remove()
    expect(desk.locator("#thread-public")).to_contain_text("It is A-1001")
    panel.locator(".chat-notice", has_text=f"#{number}").wait_for()
    screenshot(visitor, "widget-chat")

    # The visitor writes on: the line lands in the ticket's public thread for the agent.
    panel.locator("#chat-body").fill("Also, the parcel was open")
    panel.locator("#chat-reply button[type=submit]").click()
    panel.locator(".chat-message.from-visitor", has_text="parcel was open").wait_for()
    desk.reload()
    expect(desk.locator("#thread-public")).to_contain_text("Also, the parcel was open")
    screenshot(desk, "chat-ticket-after-conversion")
    # It is no longer waiting in the inbox: it is under "Turned into tickets".
    desk.goto(f"{live_server.url}/chat/inbox")
    expect(desk.locator("tr", has_text="Vera Visitor")).to_have_count(0)
    desk.goto(f"{live_server.url}/chat/inbox?status=tickets")
    expect(desk.locator("tr", has_text="Vera Visitor")).to_contain_text(f"#{number}")
    screenshot(desk, "chat-inbox-tickets")


def test_the_bot_greets_and_when_away_offers_a_request(app, live_server, host_site,
                                                       new_page):
    with app.app_context():
        make = Factory(app)
        help_portal = db.session.scalar(select(Portal).where(Portal.slug == "help"))
        help_portal.project_id = make.project().id
        calendar = BusinessCalendar(
            name="Clinic chat hours", timezone="UTC",
            hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri",
                                                     "sat", "sun")},
            holidays=[Holiday(day=utcnow().date(), name="Closed today")])
        db.session.add(calendar)
        db.session.commit()
        admin, portal_id, calendar_name = make.user("Admin").username, help_portal.id, \
            calendar.name
        db.session.remove()

    # The admin words the greeting and picks the chat hours on the portal's screen.
    desk = new_page()
    desk.goto(f"{live_server.url}/login/")
    desk.fill("input[name=username]", admin)
    desk.fill("input[name=password]", PASSWORD)
    desk.click("input[type=submit], button[type=submit]")
    desk.goto(f"{live_server.url}/portals/edit/{portal_id}")
    desk.fill("#chat_greeting_en", "Hi! The clinic marketing team is here.")
    desk.fill("#chat_away_after_minutes", "10")
    pick(desk, "chat_calendar", calendar_name)
    screenshot(desk, "portal-chat-bot-settings")
    desk.click("#model_form button[type=submit], form[method=post] button[type=submit]")
    desk.wait_for_url(lambda u: "/edit/" not in u)
    with app.app_context():
        saved = db.session.get(Portal, portal_id)
        assert saved.chat_greeting_en == "Hi! The clinic marketing team is here."
        assert saved.chat_away_after_minutes == 10 and saved.chat_calendar_id is not None
        db.session.remove()

    visitor = new_page()
    visitor.goto(host_site)
    visitor.locator("#relaydesk-widget button.launcher").click()
    panel = visitor.frame_locator("#relaydesk-widget iframe.panel")
    expect(panel.locator("#chat-start .chat-greeting")).to_have_text(
        "Hi! The clinic marketing team is here.")
    expect(panel.locator("#chat-start .chat-away")).to_contain_text("No one from our team")
    panel.locator("#chat-first").fill("Are you open today?")
    panel.locator("#chat-start button[type=submit]").click()
    expect(panel.locator("#chat-thread .chat-greeting")).to_have_text(
        "Hi! The clinic marketing team is here.")
    expect(panel.locator("#chat-thread .chat-away")).to_be_visible()
    screenshot(visitor, "widget-chat-bot-away")
    panel.locator("#chat-thread .chat-leave-request").click()
    expect(panel.locator("#pane-request")).to_be_visible()
    with app.app_context():  # leave the shared portal as the other tests expect it
        row = db.session.get(Portal, portal_id)
        row.chat_calendar_id, row.chat_away_after_minutes, row.chat_greeting_en = None, None, None
        db.session.commit()
        db.session.remove()
