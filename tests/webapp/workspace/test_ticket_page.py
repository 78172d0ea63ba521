"""The workspace ticket page: timeline with names (not ids), visibility (404 for another
team's item), the composer (reply, note, send + status, time spent), inline attachments,
property changes through the API (one ``ticket.updated`` each), seen marking, the preview."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import ApiClient, Factory
from webapp.commands.attach_file import attachment_store
from webapp.models import (
    Attachment,
    Event,
    Item,
    ItemKind,
    ItemSeen,
    ItemSla,
    Message,
    SatisfactionRating,
    SlaPolicy,
    Timesheet,
    utcnow,
)

RAW = ("None", "{}", "[]", "&lt;p&gt;", "Custom Values", "Priority 0")


def no_raw_values(page: str) -> None:
    body = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    for raw in RAW:
        assert raw not in body, f"{raw!r} shown on the page"
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", body), "microseconds shown"


@pytest.fixture
def desk(app: Flask, client: FlaskClient, make: Factory) -> dict[str, Any]:
    team = make.team(name="Support")
    agent = make.user("Agent", teams=[team])
    agent.first_name, agent.last_name = "Ada", "Agent"
    other = make.user("Agent", teams=[team])
    other.first_name, other.last_name = "Bob", "Builder"
    make.session.commit()
    project = make.project(teams=[team], name="Helpdesk")
    org = make.organization(name="Acme Stores")
    customer = make.customer(name="Cleo Customer", organization_id=org.id, phone="+351 21 000")
    ticket = make.item(project, title="POS terminal frozen", requester_id=customer.id,
                       priority=2, description="<p>Terminal <b>3</b> frozen</p>")
    earlier = make.item(project, title="Receipt printer", requester_id=customer.id)
    make.session.add(SatisfactionRating(item_id=earlier.id, customer_id=customer.id, score=4,
                                        comment="Quick and kind"))
    make.session.add(Message(item_id=ticket.id, author_customer_id=customer.id,
                             body_html="<p>The POS is frozen since 9am</p>"))
    make.session.add(Message(item_id=ticket.id, author_user_id=other.id, is_public=False,
                             body_html="<p>Check the firmware</p>"))
    make.session.commit()
    return {"team": team, "agent": agent, "other": other, "project": project,
            "customer": customer, "ticket": ticket, "earlier": earlier,
            "browser": Browser(app, client, agent.username)}


def test_page_shows_names_timeline_and_panels(desk: dict[str, Any], make: Factory) -> None:
    ticket = desk["ticket"]
    api = ApiClient(desk["browser"].client, desk["agent"].username)
    answer = api.put(f"/api/v1/ticket/{ticket.id}", json={
        "assignee_users": [desk["other"].id], "priority": 4})
    assert answer.status_code == 200, answer.get_json()
    page = desk["browser"].page(f"/workspace/ticket/{ticket.id}")
    assert "POS terminal frozen" in page and "<p>Terminal <b>3</b> frozen</p>" in page
    assert "The POS is frozen since 9am" in page
    assert "Check the firmware" in page and "rd-entry-private" in page
    # the system entry: who did what, with names
    assert "Ada Agent" in page and "assigned Bob Builder" in page
    assert "changed the priority from 2 to 4 stars" in page
    # requester panel
    assert "Cleo Customer" in page and "Acme Stores" in page and "+351 21 000" in page
    assert "Receipt printer" in page and "Quick and kind" in page
    # properties: only this type's statuses
    statuses = [s.name for s in ticket.item_type.statuses]
    for name in statuses:
        assert f">{name}</option>" in page
    no_raw_values(page)


def test_other_teams_item_is_404(desk: dict[str, Any], make: Factory) -> None:
    stranger_project = make.project(teams=[make.team()])
    hidden = make.item(stranger_project, title="Secret")
    browser = desk["browser"]
    for url in (f"/workspace/ticket/{hidden.id}", f"/workspace/ticket/{hidden.id}/preview"):
        assert browser.get(url).status_code == 404
    answer = browser.post(f"/workspace/ticket/{hidden.id}/reply", data={"body": "hi"})
    assert answer.status_code == 404
    assert make.session.scalar(select(func.count(Message.id))
                               .where(Message.item_id == hidden.id)) == 0


def test_opening_marks_seen_and_preview_does_not(desk: dict[str, Any], make: Factory) -> None:
    ticket, agent = desk["ticket"], desk["agent"]
    preview = desk["browser"].page(f"/workspace/ticket/{ticket.id}/preview")
    assert "POS terminal frozen" in preview and "Check the firmware" in preview
    make.session.expire_all()
    assert make.session.get(ItemSeen, (agent.id, ticket.id)) is None
    desk["browser"].page(f"/workspace/ticket/{ticket.id}")
    make.session.expire_all()
    assert make.session.get(ItemSeen, (agent.id, ticket.id)) is not None


def test_reply_note_and_send_with_status(desk: dict[str, Any], make: Factory) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    url = f"/workspace/ticket/{ticket.id}/reply"
    answer = browser.post(url, data={"body": "We are on it", "visibility": "public"})
    assert answer.status_code == 302
    answer = browser.post(url, data={"body": "Escalate to vendor", "visibility": "private",
                                     "minutes": "15"})
    assert answer.status_code == 302
    solved = next(s for s in ticket.item_type.statuses if s.category.value == "done")
    answer = browser.post(url, data={"body": "Fixed, closing", "visibility": "public",
                                     "status": str(solved.id)})
    assert answer.status_code == 302
    make.session.expire_all()
    posted = make.session.scalars(select(Message).where(
        Message.item_id == ticket.id, Message.author_user_id == desk["agent"].id)
        .order_by(Message.id)).all()
    assert [(m.is_public, m.body_html) for m in posted] == [
        (True, "<p>We are on it</p>"), (False, "<p>Escalate to vendor</p>"),
        (True, "<p>Fixed, closing</p>")]
    assert make.session.get(Item, ticket.id).status_id == solved.id
    entry = make.session.scalars(select(Timesheet).where(Timesheet.item_id == ticket.id)).one()
    assert float(entry.hours) == 0.25 and entry.user_id == desk["agent"].id
    page = browser.page(f"/workspace/ticket/{ticket.id}")
    assert f"to {solved.name}" in page and "logged 0.25 h" in page


def test_bad_reply_is_422_and_writes_nothing(desk: dict[str, Any], make: Factory) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    url = f"/workspace/ticket/{ticket.id}/reply"
    for data, problem in (({"body": ""}, "Write something"),
                          ({"body": "x", "status": "999999"}, "not a status of this type"),
                          ({"body": "x", "minutes": "-5"}, "whole number of minutes"),
                          ({"body": "x", "visibility": "everyone"}, "public or private")):
        answer = browser.post(url, data=data)
        assert answer.status_code == 422, data
        assert problem in answer.get_data(as_text=True)
    make.session.expire_all()
    assert make.session.scalar(select(func.count(Message.id)).where(
        Message.item_id == ticket.id, Message.author_user_id == desk["agent"].id)) == 0


def test_reply_with_next_opens_the_next_in_queue(desk: dict[str, Any], make: Factory) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    answer = browser.post(f"/workspace/ticket/{ticket.id}/reply", data={
        "body": "Done", "next": "1", "queue": "open"})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(
        f"/workspace/ticket/{desk['earlier'].id}"), answer.headers["Location"]


def test_attachments_inline_only_when_safe(desk: dict[str, Any], make: Factory) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    answer = browser.post(f"/workspace/ticket/{ticket.id}/reply", data={
        "body": "Logs attached",
        "files": [(io.BytesIO(b"line 1\nline 2\n"), "log.txt"),
                  (io.BytesIO(b"<html><script>alert(1)</script></html>"), "page.html")]},
        content_type="multipart/form-data")
    assert answer.status_code == 302
    make.session.expire_all()
    files = {a.filename: a for a in make.session.scalars(
        select(Attachment).where(Attachment.item_id == ticket.id))}
    assert set(files) == {"log.txt", "page.html"}
    text = browser.get(f"/workspace/attachment/{files['log.txt'].id}/inline")
    assert text.status_code == 200
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.headers["X-Content-Type-Options"] == "nosniff"
    assert text.headers["Content-Security-Policy"] == "sandbox"
    assert "attachment" not in text.headers.get("Content-Disposition", "")
    html = browser.get(f"/workspace/attachment/{files['page.html'].id}/inline")
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert html.headers["Content-Type"] == "application/octet-stream"
    page = browser.page(f"/workspace/ticket/{ticket.id}")
    assert f"/workspace/attachment/{files['log.txt'].id}/inline" in page
    # another team's attachment is not served
    stranger = make.item(make.project(teams=[make.team()]))
    stored = attachment_store().save(io.BytesIO(b"secret"), "s.txt")
    row = Attachment(item_id=stranger.id, filename="s.txt", content_type=stored.content_type,
                     size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key)
    make.session.add(row)
    make.session.commit()
    assert browser.get(f"/workspace/attachment/{row.id}/inline").status_code == 404


def test_property_change_through_api_is_one_updated_event(desk: dict[str, Any],
                                                          make: Factory) -> None:
    ticket = desk["ticket"]
    api = ApiClient(desk["browser"].client, desk["agent"].username)

    def updated_events() -> int:
        return make.session.scalar(select(func.count(Event.id)).where(
            Event.subject_type == "item", Event.subject_id == ticket.id,
            Event.type == "ticket.updated"))

    before = updated_events()
    status = ticket.item_type.statuses[1]
    changes = [{"status": status.id}, {"priority": 5}, {"assignee_users": [desk["agent"].id]},
               {"assignee_teams": [desk["team"].id]}, {"follower_users": [desk["other"].id]},
               {"due_at": "2026-12-24T15:00:00"}]
    for count, change in enumerate(changes, start=1):
        answer = api.put(f"/api/v1/ticket/{ticket.id}", json=change)
        assert answer.status_code == 200, answer.get_json()
        make.session.expire_all()
        assert updated_events() == before + count, change
    page = desk["browser"].page(f"/workspace/ticket/{ticket.id}")
    assert f"to {status.name}" in page and "assigned the team Support" in page
    assert "added Bob Builder as follower" in page and "changed the due date" in page
    no_raw_values(page)


def test_sla_timers(desk: dict[str, Any], make: Factory) -> None:
    import datetime as dt

    ticket = desk["ticket"]
    policy = SlaPolicy(name="Ticket page test policy")
    make.session.add(policy)
    make.session.flush()
    now = utcnow()
    make.session.add(ItemSla(item_id=ticket.id, policy_id=policy.id,
                             first_response_due_at=now - dt.timedelta(hours=1),
                             resolution_due_at=now + dt.timedelta(hours=5),
                             resolution_warn_at=now - dt.timedelta(minutes=5)))
    make.session.commit()
    page = desk["browser"].page(f"/workspace/ticket/{ticket.id}")
    assert 'data-state="breached"' in page and 'data-state="warning"' in page
    assert "First response" in page and "Resolution" in page


def test_tasks_open_too(desk: dict[str, Any], make: Factory) -> None:
    task = make.item(desk["project"], kind=ItemKind.TASK, title="Replace the POS")
    page = desk["browser"].page(f"/workspace/ticket/{task.id}")
    assert "Replace the POS" in page and f"/api/v1/task/{task.id}" in page
    assert "Convert to task" not in page


@pytest.mark.parametrize("lang, words, english", [
    ("pt", ("Responder ao cliente", "Propriedades", "Solicitante", "Nota privada"),
     ("Reply to the customer", "Properties", "Other tickets")),
    ("es", ("Responder al cliente", "Propiedades", "Solicitante", "Nota privada"),
     ("Reply to the customer", "Properties", "Other tickets")),
])
def test_page_speaks_the_agents_language(desk: dict[str, Any], lang: str,
                                         words: tuple[str, ...],
                                         english: tuple[str, ...]) -> None:
    browser = desk["browser"]
    browser.get(f"/lang/{lang}")
    for url in (f"/workspace/ticket/{desk['ticket'].id}", "/workspace/ticket/new"):
        page = browser.page(url)
        for text in english:
            assert text not in page, (url, text)
    page = browser.page(f"/workspace/ticket/{desk['ticket'].id}")
    for text in words:
        assert text in page, text


def test_merge_moves_the_conversation_and_closes_the_source(desk: dict[str, Any],
                                                            make: Factory) -> None:
    ticket, earlier, browser = desk["ticket"], desk["earlier"], desk["browser"]
    answer = browser.post(f"/workspace/ticket/{ticket.id}/merge",
                          data={"target": f"#{earlier.id}"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/workspace/ticket/{earlier.id}")
    make.session.expire_all()
    moved = make.session.scalars(select(Message.body_html).where(
        Message.item_id == earlier.id)).all()
    assert "<p>The POS is frozen since 9am</p>" in moved
    source = make.session.get(Item, ticket.id)
    assert source.status.category.value == "done"
    types = make.session.scalars(select(Event.type).where(
        Event.type.in_(("ticket.merged", "ticket.merged_into")))).all()
    assert sorted(types) == ["ticket.merged", "ticket.merged_into"]
    page = browser.page(f"/workspace/ticket/{earlier.id}")
    assert f"merged #{ticket.id} into this ticket" in page
    # a bad target is a 422 naming it; another team's ticket is not a target
    stranger = make.item(make.project(teams=[make.team()]))
    for target in ("abc", str(earlier.id), str(stranger.id)):
        answer = browser.post(f"/workspace/ticket/{earlier.id}/merge", data={"target": target})
        assert answer.status_code == 422, target
    assert make.session.scalar(select(func.count(Event.id)).where(
        Event.type == "ticket.merged")) == 1


def test_split_a_message_into_a_new_ticket(desk: dict[str, Any], make: Factory) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    message = make.session.scalars(select(Message).where(
        Message.item_id == ticket.id, Message.author_customer_id.is_not(None))).one()
    answer = browser.post(f"/workspace/ticket/{ticket.id}/split",
                          data={"message_id": str(message.id)})
    assert answer.status_code == 302
    make.session.expire_all()
    new = make.session.scalars(select(Item).where(Item.id != ticket.id,
                                                  Item.title.like("The POS%"))).one()
    assert answer.headers["Location"].endswith(f"/workspace/ticket/{new.id}")
    assert make.session.get(Message, message.id).item_id == new.id
    assert new.requester_id == desk["customer"].id and new.project_id == ticket.project_id
    assert make.session.scalar(select(func.count(Event.id)).where(
        Event.type == "ticket.split", Event.subject_id == ticket.id)) == 1
    assert f"split a message into #{new.id}" in browser.page(f"/workspace/ticket/{ticket.id}")
    answer = browser.post(f"/workspace/ticket/{ticket.id}/split",
                          data={"message_id": str(message.id)})
    assert answer.status_code == 422


def test_a_reply_waits_when_the_customer_wrote_meanwhile(desk: dict[str, Any],
                                                         make: Factory) -> None:
    """Freshdesk's guard: messages that arrived while the reply was typed are shown and
    the reply is sent only when sent again."""
    ticket, browser = desk["ticket"], desk["browser"]
    page = browser.page(f"/workspace/ticket/{ticket.id}")
    seen = re.search(r'name="seen_message" value="(\d+)"', page).group(1)
    make.session.add(Message(item_id=ticket.id, author_customer_id=desk["customer"].id,
                             body_html="<p>Never mind, it works again</p>"))
    make.session.commit()
    url = f"/workspace/ticket/{ticket.id}/reply"
    form = {"body": "Restarting it now", "visibility": "public", "seen_message": seen}
    held = browser.post(url, data=form)
    assert held.status_code == 409
    shown = held.get_data(as_text=True)
    assert "1 new message(s) arrived while you were writing" in shown
    assert "Never mind, it works again" in shown and "Restarting it now" in shown  # kept
    make.session.expire_all()
    assert not make.session.scalar(select(func.count(Message.id)).where(
        Message.item_id == ticket.id, Message.author_user_id == desk["agent"].id))
    # Sending again, with what the page now shows as seen, sends it.
    form["seen_message"] = re.search(r'name="seen_message" value="(\d+)"', shown).group(1)
    assert browser.post(url, data=form).status_code == 302
    # One's own messages never hold a reply back.
    make.session.add(Message(item_id=ticket.id, author_user_id=desk["agent"].id,
                             body_html="<p>Mine</p>", is_public=False))
    make.session.commit()
    assert browser.post(url, data={**form, "body": "Done"}).status_code == 302
