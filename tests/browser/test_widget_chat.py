"""A visitor chats through the widget on a plain HTML page of another local site while an
agent answers in the main app, then turns the chat into a ticket."""

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
from tests.factories import PASSWORD, Factory
from webapp.extensions import db
from webapp.models import ChatConversation, Item, Message, Portal
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

    # The agent turns the chat into a ticket; the visitor is told its number.
    desk.click("#rd-convert")
    desk.wait_for_url("**/tickets/show/*")
    with app.app_context():
        chat = db.session.scalar(select(ChatConversation))
        item = db.session.get(Item, chat.item_id)
        assert item.title == "Hello, my order has not arrived"
        assert item.requester.email == "vera@site.example"
        assert item.project_id == project_id
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
