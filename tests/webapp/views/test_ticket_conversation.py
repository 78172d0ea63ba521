"""The conversation panel on a ticket's (and task's) show page, and replying from it."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory
from webapp.commands.attach_file import attachment_store
from webapp.models import Attachment, Item, ItemKind, Message, User


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end, page.index(start))]


def threads(page: str) -> tuple[str, str]:
    """(public thread HTML, private thread HTML) of a show page."""
    return (section(page, 'id="thread-public"', 'id="thread-private"'),
            section(page, 'id="thread-private"', "</section>"))


def add_message(make: Factory, item: Item, body: str, *, public: bool,
                user: User | None = None, customer: Any = None,
                at: dt.datetime | None = None) -> Message:
    """A row written directly (no write check), as an import or e-mail ingest might."""
    row = Message(item_id=item.id, body_html=body, is_public=public,
                  author_user_id=user.id if user else None,
                  author_customer_id=customer.id if customer else None)
    if at is not None:
        row.created_at = at
    make.session.add(row)
    make.session.commit()
    return row


def add_attachment(make: Factory, message: Message, filename: str, content: bytes,
                   user: User) -> Attachment:
    stored = attachment_store().save(io.BytesIO(content), filename)
    row = Attachment(item_id=message.item_id, message_id=message.id, filename=filename,
                     content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                     storage_key=stored.storage_key, uploaded_by_id=user.id)
    make.session.add(row)
    make.session.commit()
    return row


def messages_of(make: Factory, item: Item) -> list[Message]:
    make.session.expire_all()
    return list(make.session.scalars(
        select(Message).where(Message.item_id == item.id).order_by(Message.id)))


@pytest.fixture
def desk(app: Flask, client: FlaskClient, make: Factory) -> dict[str, Any]:
    """An agent of one team with a ticket that has a conversation."""
    team = make.team()
    agent = make.user("Agent", teams=[team])
    agent.first_name, agent.last_name = "Ada", "Agent"
    make.session.commit()
    project = make.project(teams=[team])
    customer = make.customer(name="Cleo Customer")
    ticket = make.item(project, requester_id=customer.id)
    start = dt.datetime(2024, 5, 6, 9, 0)
    asked = add_message(make, ticket, "<p>My printer is <b>on fire</b></p>", public=True,
                        customer=customer, at=start)
    note = add_message(make, ticket, "<p>Checked the logs, nothing yet.</p>", public=False,
                       user=agent, at=start + dt.timedelta(minutes=5))
    answer = add_message(make, ticket, "<p>We are on our way.</p>", public=True, user=agent,
                         at=start + dt.timedelta(minutes=10))
    return {"team": team, "agent": agent, "project": project, "customer": customer,
            "ticket": ticket, "asked": asked, "note": note, "answer": answer,
            "browser": Browser(app, client, agent.username)}


def test_show_page_has_both_threads_oldest_first(desk, make):
    ticket, agent = desk["ticket"], desk["agent"]
    screenshot = add_attachment(make, desk["asked"], "screenshot.png", b"\x89PNG\r\n\x1a\n..",
                                agent)
    page = desk["browser"].page(f"/tickets/show/{ticket.id}")
    public, private = threads(page)

    assert "Public thread" in public and "Private notes" in private
    assert "My printer is <b>on fire</b>" in public  # rendered as HTML, not escaped
    assert "We are on our way." in public
    assert public.index("My printer") < public.index("We are on our way.")  # oldest first
    assert "Checked the logs" in private and "Checked the logs" not in public
    assert "My printer" not in private
    assert 'data-thread="private"' in private and 'data-thread="private"' not in public

    asked = section(public, f'id="message-{desk["asked"].id}"', "</article>")
    assert "Cleo Customer" in asked and ">customer<" in asked
    assert "2024-05-06 09:00 UTC" in asked
    assert f'href="/api/v1/attachment/{screenshot.id}/download"' in asked
    assert "screenshot.png" in asked
    assert "Ada Agent" in section(private, f'id="message-{desk["note"].id}"', "</article>")

    form = section(page, 'id="reply-form"', "</form>")
    assert f'action="/tickets/reply/{ticket.id}"' in form
    assert 'enctype="multipart/form-data"' in form
    assert "<textarea" in form and 'type="file"' in form and "multiple" in form
    assert 'value="public"' in form and 'value="private"' in form


def test_script_in_a_message_never_reaches_the_page(desk, make):
    ticket = desk["ticket"]
    add_message(make, ticket,
                '<p>hi<script>window.pwned_4711 = 1</script>'
                '<img src="x" onerror="pwned_4712()"><a href="javascript:pwned_4713()">x</a></p>',
                public=True, user=desk["agent"])
    add_message(make, ticket, "<script>pwned_4714()</script><b>note</b>", public=False,
                user=desk["agent"])
    page = desk["browser"].page(f"/tickets/show/{ticket.id}")
    for marker in ("pwned_4711", "pwned_4712", "pwned_4713", "pwned_4714", "onerror"):
        assert marker not in page
    public, private = threads(page)
    assert "<script" not in public and "<script" not in private
    assert "<b>note</b>" in private


def test_public_reply_is_sanitized_and_authored_by_the_agent(desk, make):
    ticket, agent, browser = desk["ticket"], desk["agent"], desk["browser"]
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": 'Hello <b>there</b><script>bad()</script><img src=x onerror="bad()">',
        "visibility": "public",
    })
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/show/{ticket.id}#conversation")

    reply = messages_of(make, ticket)[-1]
    assert reply.is_public is True
    assert reply.author_user_id == agent.id and reply.author_customer_id is None
    assert "<b>there</b>" in reply.body_html
    assert "script" not in reply.body_html and "bad()" not in reply.body_html

    page = browser.page(f"/tickets/show/{ticket.id}")
    assert "Reply posted." in page
    public, _ = threads(page)
    assert public.rindex("Hello <b>there</b>") > public.index("We are on our way.")


def test_private_reply_with_files(desk, make, app):
    ticket, agent, browser = desk["ticket"], desk["agent"], desk["browser"]
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "Line one\nLine <two>\n\nNext paragraph",
        "visibility": "private",
        "files": [(io.BytesIO(b"hello file"), "notes.txt"),
                  (io.BytesIO(b"second"), "more.log")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302

    note = messages_of(make, ticket)[-1]
    assert note.is_public is False and note.author_user_id == agent.id
    # Plain text keeps its line breaks and is escaped, not taken as markup.
    assert note.body_html == "<p>Line one<br>Line &lt;two&gt;</p><p>Next paragraph</p>"

    files = make.session.scalars(
        select(Attachment).where(Attachment.message_id == note.id).order_by(Attachment.id)
    ).all()
    assert [(f.filename, f.size, f.item_id, f.uploaded_by_id) for f in files] == [
        ("notes.txt", 10, ticket.id, agent.id), ("more.log", 6, ticket.id, agent.id)]
    download = browser.get(f"/api/v1/attachment/{files[0].id}/download")
    assert download.status_code == 200 and download.data == b"hello file"

    page = browser.page(f"/tickets/show/{ticket.id}")
    assert "Private note added." in page
    _, private = threads(page)
    assert f'href="/api/v1/attachment/{files[0].id}/download"' in private
    assert "notes.txt" in private and "more.log" in private


@pytest.mark.parametrize("body, error", [
    ("   ", "Write something before sending."),
    ("<script>bad()</script>", "Reply is empty (after removing unsafe HTML)"),
])
def test_empty_reply_is_refused_and_the_text_kept(desk, make, body, error):
    ticket, browser = desk["ticket"], desk["browser"]
    before = len(messages_of(make, ticket))
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": body, "visibility": "private",
        "files": [(io.BytesIO(b"data"), "kept-out.txt")],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The reply was not sent" in page and error in page
    assert len(messages_of(make, ticket)) == before
    assert make.session.scalars(select(Attachment)).all() == []
    form = section(page, 'id="reply-form"', "</form>")
    if body.strip():
        assert "&lt;script&gt;bad()&lt;/script&gt;</textarea>" in form  # kept, escaped
    assert re.search(r'<input checked[^>]*value="private"', form)
    assert "Checked the logs" in page  # the rest of the page is still there


def test_file_over_the_limit_refuses_the_whole_reply(desk, make, monkeypatch, app):
    ticket, browser = desk["ticket"], desk["browser"]
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 4)
    before = len(messages_of(make, ticket))
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "See attached", "files": [(io.BytesIO(b"too large"), "big.bin")],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "File big.bin (9 bytes) is larger than the limit of 4 bytes." in \
        response.get_data(as_text=True)
    assert len(messages_of(make, ticket)) == before


def test_request_too_large_explains_itself(desk, make, monkeypatch, app):
    ticket, browser = desk["ticket"], desk["browser"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64)
    before = len(messages_of(make, ticket))
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "See attached", "files": [(io.BytesIO(b"x" * 500), "big.bin")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", None)
    assert "too large" in browser.page(f"/tickets/show/{ticket.id}")
    assert len(messages_of(make, ticket)) == before


def test_agent_of_another_team_gets_404(desk, make, app, client):
    ticket = desk["ticket"]
    outsider = make.user("Agent", teams=[make.team()])
    before = len(messages_of(make, ticket))
    client.get("/logout/")
    browser = Browser(app, client, outsider.username)
    assert browser.get(f"/tickets/show/{ticket.id}").status_code == 404
    response = browser.post(f"/tickets/reply/{ticket.id}",
                            data={"body": "sneaky", "visibility": "public"})
    assert response.status_code == 404
    assert len(messages_of(make, ticket)) == before


def test_read_only_user_sees_the_conversation_but_cannot_reply(desk, make, app, client):
    ticket = desk["ticket"]
    reader = make.user("Read-only", teams=[desk["team"]])
    client.get("/logout/")
    browser = Browser(app, client, reader.username)
    page = browser.page(f"/tickets/show/{ticket.id}")
    public, private = threads(page)
    assert "My printer" in public and "Checked the logs" in private
    assert 'id="reply-form"' not in page
    before = len(messages_of(make, ticket))
    response = browser.post(f"/tickets/reply/{ticket.id}", data={"body": "hi"})
    assert response.status_code == 403
    assert len(messages_of(make, ticket)) == before


def test_reply_requires_the_csrf_token_when_enabled(desk, make, monkeypatch, app):
    ticket, browser = desk["ticket"], desk["browser"]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = len(messages_of(make, ticket))
    refused = browser.post(f"/tickets/reply/{ticket.id}", data={"body": "forged"})
    # 400 from the app-wide CSRF check, or 422 from the reply form's own check.
    assert refused.status_code in (400, 422)
    assert "CSRF token" in refused.get_data(as_text=True)
    assert len(messages_of(make, ticket)) == before

    form = section(browser.page(f"/tickets/show/{ticket.id}"), 'id="reply-form"', "</form>")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    sent = browser.post(f"/tickets/reply/{ticket.id}", data={"body": "real",
                                                              "csrf_token": token})
    assert sent.status_code == 302
    assert messages_of(make, ticket)[-1].body_html == "<p>real</p>"


def test_task_show_page_has_the_same_panel(desk, make):
    browser, agent = desk["browser"], desk["agent"]
    task = make.item(desk["project"], kind=ItemKind.TASK)
    add_message(make, task, "<p>Design review first</p>", public=False, user=agent)
    page = browser.page(f"/tasks/show/{task.id}")
    public, private = threads(page)
    assert "No public messages yet." in public and "Design review first" in private
    form = section(page, 'id="reply-form"', "</form>")
    assert f'action="/tasks/reply/{task.id}"' in form
    assert re.search(r'<input checked[^>]*value="private"', form)  # tasks default to a note

    response = browser.post(f"/tasks/reply/{task.id}",
                            data={"body": "Done", "visibility": "public"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tasks/show/{task.id}#conversation")
    reply = messages_of(make, task)[-1]
    assert reply.is_public and reply.author_user_id == agent.id
    # A ticket is not a task: the task screen does not show or reply to it.
    assert browser.get(f"/tasks/show/{desk['ticket'].id}").status_code == 404
    assert browser.post(f"/tasks/reply/{desk['ticket'].id}",
                        data={"body": "x"}).status_code == 404


def test_a_file_refused_after_posting_is_reported(desk, make, monkeypatch):
    """Files are checked before the message is written; should storing one still fail, the
    reply stays posted and the page says which file is missing."""
    from webapp.commands.errors import Invalid
    from webapp.views import conversation

    def refuse(*_args: Any, **_kw: Any) -> None:
        raise Invalid({"file": ["could not be stored"]})

    monkeypatch.setattr(conversation, "attach_file", refuse)
    ticket, browser = desk["ticket"], desk["browser"]
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "With a file", "files": [(io.BytesIO(b"data"), "lost.txt")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    assert messages_of(make, ticket)[-1].body_html == "<p>With a file</p>"
    page = browser.page(f"/tickets/show/{ticket.id}")
    assert "File lost.txt was not attached: the file could not be stored." in page
