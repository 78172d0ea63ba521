"""The ticket page in Chromium: every property changed inline is stored through the REST API
(one ``ticket.updated`` event each), undo puts it back, a reply sent with "Solved" stores
both, the new-ticket flow opens the new ticket, and the page works at 390 px."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import screenshot
from tests.browser.test_board import log_in
from tests.factories import Factory, folder, quick_user
from webapp.extensions import db
from webapp.models import (
    CustomField,
    Event,
    FieldType,
    Item,
    ItemKind,
    ItemType,
    Message,
    Status,
)

TOAST = "#rd-toast"
# A 1×1 PNG, as a pasted screenshot.
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
       "RU5ErkJggg==")


@pytest.fixture
def desk(app: Any) -> SimpleNamespace:
    with app.app_context():
        make = Factory(app)
        team = make.team("Store support")
        other_team = make.team("Hardware")
        project = make.project(teams=[team], name="Stores")
        second = make.project(teams=[team], name="Warehouses")
        shelf = folder(make, project, "Tills")
        agent = quick_user(make, "Agent", teams=[team])
        agent.first_name, agent.last_name = "Ada", "Agent"
        peer = quick_user(make, "Agent", teams=[team])
        peer.first_name, peer.last_name = "Bob", "Builder"
        ticket_type = make.session.scalar(select(ItemType).where(
            ItemType.kind == ItemKind.TICKET, ItemType.name == "Ticket"))
        bug = make.session.scalar(select(ItemType).where(
            ItemType.kind == ItemKind.TICKET, ItemType.name == "Bug"))
        make.session.add(CustomField(item_type_id=ticket_type.id, key="store", label="Store",
                                     field_type=FieldType.TEXT))
        customer = make.customer(name="Cleo Customer", email="cleo@stores.example")
        ticket = make.item(project, title="POS terminal frozen in store 12", priority=2,
                           requester_id=customer.id, item_type=ticket_type)
        make.session.add(Message(item_id=ticket.id, author_customer_id=customer.id,
                                 body_html="<p>The POS froze at 9am, customers waiting.</p>"))
        make.session.commit()
        desk = SimpleNamespace(
            agent=agent.username, agent_id=agent.id, peer_id=peer.id, team_id=team.id,
            other_team=other_team.id, project=project.id, second=second.id, folder=shelf.id,
            ticket=ticket.id, bug=bug.id, bug_first=bug.statuses[0].id,
            statuses={s.name: s.id for s in ticket_type.statuses}, customer=customer.id)
        db.session.remove()
    return desk


def stored(app: Any, item_id: int) -> SimpleNamespace:
    """The item as the database holds it now (what GET /api/v1/ticket/<id> answers)."""
    with app.app_context():
        item = db.session.get(Item, item_id)
        row = SimpleNamespace(
            status_id=item.status_id, priority=item.priority, due_at=item.due_at,
            folder_id=item.folder_id, project_id=item.project_id,
            item_type_id=item.item_type_id, custom_values=item.custom_values,
            assignee_users=[u.id for u in item.assignee_users],
            assignee_teams=[t.id for t in item.assignee_teams],
            follower_users=[u.id for u in item.follower_users],
            requester_id=item.requester_id)
        db.session.remove()
        return row


def updated_events(app: Any, item_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)).where(
            Event.subject_type == "item", Event.subject_id == item_id,
            Event.type == "ticket.updated"))


def wait_saved(page: Any) -> None:
    expect(page.locator(TOAST)).to_be_visible()
    expect(page.locator(f"{TOAST} .rd-toast-text")).to_contain_text("saved")


def test_every_property_inline_is_stored_with_one_event_each(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    url = f"{live_server.url}/workspace/ticket/{desk.ticket}"
    page.goto(url)
    expect(page.locator(".rd-ticket-title")).to_have_text("POS terminal frozen in store 12")
    screenshot(page, "ticket-page")
    events = updated_events(app, desk.ticket)

    def changed(check: Any) -> None:
        nonlocal events
        wait_saved(page)
        item = stored(app, desk.ticket)
        assert check(item)
        events += 1
        assert updated_events(app, desk.ticket) == events
        page.locator(TOAST).evaluate("t => t.hidden = true")

    props = page.locator("#rd-properties")
    props.locator("select[data-field=status]").select_option(str(desk.statuses["Open"]))
    changed(lambda i: i.status_id == desk.statuses["Open"])
    expect(page.locator("#rd-status-badge")).to_have_text("Open")
    props.locator(".rd-star[data-value='5']").click()
    changed(lambda i: i.priority == 5)
    for field, value in (("assignee_users", desk.agent_id), ("assignee_teams", desk.team_id),
                         ("follower_users", desk.peer_id)):
        box = props.locator(f"details[data-field={field}]")
        box.locator("summary").click()
        box.locator(f"input[value='{value}']").check()
        changed(lambda i, f=field, v=value: v in getattr(i, f))
        box.locator("summary").click()
    expect(props.locator("details[data-field=assignee_users] .rd-prop-value")).to_have_text(
        "Ada Agent")
    props.locator("input[data-field=due_at]").fill("2026-12-24T15:30")
    changed(lambda i: i.due_at is not None and i.due_at.minute == 30)
    props.locator("select[data-field=folder]").select_option(str(desk.folder))
    changed(lambda i: i.folder_id == desk.folder)
    props.locator("input[data-custom=store]").fill("Store 12")
    props.locator("input[data-custom=store]").dispatch_event("change")
    changed(lambda i: i.custom_values == {"store": "Store 12"})
    # Type and project reload the page (their choices change).
    with page.expect_navigation():
        props.locator("select[data-field=item_type]").select_option(str(desk.bug))
    expect(page.locator("select[data-field=item_type]")).to_have_value(str(desk.bug))
    item = stored(app, desk.ticket)
    assert item.item_type_id == desk.bug and item.status_id == desk.bug_first
    events += 1
    assert updated_events(app, desk.ticket) == events
    with page.expect_navigation():
        page.locator("select[data-field=project]").select_option(str(desk.second))
    expect(page.locator("select[data-field=project]")).to_have_value(str(desk.second))
    item = stored(app, desk.ticket)
    assert item.project_id == desk.second and item.folder_id is None
    assert updated_events(app, desk.ticket) == events + 1
    # The timeline tells who changed what, in words.
    timeline = page.locator("#rd-timeline")
    expect(timeline).to_contain_text("Ada Agent")
    expect(timeline).to_contain_text("assigned the team Store support")
    expect(timeline).to_contain_text("changed the type from Ticket to Bug")


def test_undo_puts_the_value_back(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/{desk.ticket}")
    page.locator("#rd-properties .rd-star[data-value='4']").click()
    wait_saved(page)
    assert stored(app, desk.ticket).priority == 4
    page.locator(f"{TOAST} .rd-toast-undo").click()
    expect(page.locator(f"{TOAST} .rd-toast-text")).to_contain_text("undone")
    assert stored(app, desk.ticket).priority == 2
    expect(page.locator("#rd-properties .rd-star.rd-star-on")).to_have_count(2)
    page.locator("#rd-properties select[data-field=status]").select_option(
        str(desk.statuses["Waiting on customer"]))
    wait_saved(page)
    page.locator(f"{TOAST} .rd-toast-undo").click()
    expect(page.locator(f"{TOAST} .rd-toast-text")).to_contain_text("undone")
    assert stored(app, desk.ticket).status_id == desk.statuses["New"]
    expect(page.locator("#rd-properties select[data-field=status]")).to_have_value(
        str(desk.statuses["New"]))


def test_send_a_reply_and_set_solved(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/{desk.ticket}")
    composer = page.locator("#rd-composer")
    composer.locator(".rd-mode-private").click()
    expect(composer).to_have_class("rd-composer rd-no-print rd-composer-private")
    expect(composer.locator(".rd-hint-private")).to_be_visible()
    composer.locator(".rd-mode-public").click()
    expect(composer.locator(".rd-hint-public")).to_be_visible()
    # The rich text editor (Squire) stands in for the textarea, with its toolbar.
    expect(page.locator("#rd-body")).to_be_hidden()
    page.locator("#rd-editor").click()
    page.keyboard.type("We restarted the terminal remotely; it works again.")
    page.keyboard.press("Enter")
    composer.locator("button[data-action=bold]").click()
    page.keyboard.type("Please confirm.")
    expect(composer.locator("button[data-action=bold]")).to_have_class(re.compile("active"))
    # A screenshot pasted into the editor and a log file dropped on the composer become
    # attachments of the reply.
    page.evaluate("""([png, log]) => {
        const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
        const pasted = new DataTransfer();
        pasted.items.add(new File([bytes], "image.png", {type: "image/png"}));
        document.getElementById("rd-editor").dispatchEvent(new ClipboardEvent(
            "paste", {clipboardData: pasted, bubbles: true, cancelable: true}));
        const dropped = new DataTransfer();
        dropped.items.add(new File([log], "restart-log.txt", {type: "text/plain"}));
        document.getElementById("rd-editor").dispatchEvent(new DragEvent(
            "drop", {dataTransfer: dropped, bubbles: true, cancelable: true}));
    }""", [PNG, "12:01 restart\n12:02 ok\n"])
    expect(page.locator("#rd-files")).to_contain_text("restart-log.txt")
    expect(page.locator("#rd-files")).to_contain_text("pasted-")
    expect(page.locator("#rd-files .rd-file-chip img")).to_have_count(1)
    composer.locator("input[name=minutes]").fill("10")
    composer.scroll_into_view_if_needed()
    screenshot(page, "ticket-composer")
    composer.locator("button.rd-send-status", has_text="Solved").click()
    page.wait_for_url(lambda u: f"/workspace/ticket/{desk.ticket}" in u)
    expect(page.locator(".alert-success, .alert")).to_contain_text("Reply sent.")
    assert stored(app, desk.ticket).status_id == desk.statuses["Solved"]
    timeline = page.locator("#rd-timeline")
    expect(timeline).to_contain_text("We restarted the terminal remotely")
    expect(timeline).to_contain_text("changed the status from New to Solved")
    expect(timeline.locator(".rd-file-text iframe")).to_have_count(1)
    expect(timeline.locator(".rd-file-image img")).to_have_count(1)
    assert timeline.locator(".rd-file-image img").evaluate("img => img.naturalWidth") == 1
    expect(page.locator("#rd-status-badge")).to_have_text("Solved")
    composer.locator(".rd-mode-private").click()
    page.locator("#rd-editor").click()
    page.keyboard.type("Vendor ticket VX-1182 opened for the firmware.")
    screenshot(page, "ticket-after-reply-private-composer")
    with app.app_context():
        posted = db.session.scalars(select(Message).where(
            Message.item_id == desk.ticket, Message.author_user_id == desk.agent_id)).all()
        assert [m.is_public for m in posted] == [True]
        assert re.search(r"<(b|strong)>Please confirm\.</(b|strong)>", posted[0].body_html), \
            posted[0].body_html


def test_new_ticket_flow(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/new")
    expect(page.locator("input[name=priority][value='3']")).to_be_checked()
    expect(page.locator("#rd-requester-chosen")).to_be_hidden()
    page.select_option("#rd-type", label="Bug")
    with app.app_context():
        bug_statuses = db.session.scalars(select(Status.name).where(
            Status.item_type_id == desk.bug)).all()
    visible = page.locator("#rd-status option:not([disabled])")
    expect(visible).to_have_count(len(bug_statuses))
    page.fill("#rd-requester-query", "cleo")
    page.locator("#rd-requester-list button", has_text="Cleo Customer").click()
    expect(page.locator("#rd-requester-chosen")).to_contain_text("Cleo Customer")
    page.select_option("#rd-project", str(desk.second))
    page.fill("#rd-title", "Scanner does not pair")
    page.fill("#rd-description", "Since the update.")
    screenshot(page, "new-ticket")
    page.click("button[type=submit]:has-text('Create ticket')")
    page.wait_for_url(lambda u: "/workspace/ticket/" in u and "/new" not in u)
    expect(page.locator(".rd-ticket-title")).to_have_text("Scanner does not pair")
    with app.app_context():
        new_id = db.session.scalar(select(Item.id).where(Item.title == "Scanner does not pair"))
    item = stored(app, new_id)
    assert item.priority == 3 and item.item_type_id == desk.bug
    assert item.requester_id == desk.customer and item.project_id == desk.second
    # The project is remembered for this agent's next ticket.
    page.goto(f"{live_server.url}/workspace/ticket/new")
    expect(page.locator("#rd-project")).to_have_value(str(desk.second))
    # A requester who does not exist yet is created with the ticket.
    page.fill("#rd-requester-query", "new.person@stores.example")
    page.locator("#rd-requester-list button", has_text="Create a new requester").click()
    expect(page.locator("#rd-requester-email")).to_have_value("new.person@stores.example")
    page.fill("#rd-requester-name", "New Person")
    page.fill("#rd-title", "Who am I")
    page.click("button[type=submit]:has-text('Create ticket')")
    page.wait_for_url(lambda u: "/workspace/ticket/" in u and "/new" not in u)
    expect(page.locator("#rd-requester")).to_contain_text("New Person")


def test_phone_width(app, live_server, new_page, desk):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/{desk.ticket}")
    expect(page.locator(".rd-ticket-title")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    page.locator("#rd-properties .rd-star[data-value='3']").tap()
    wait_saved(page)
    assert stored(app, desk.ticket).priority == 3
    screenshot(page, "ticket-phone")
    page.goto(f"{live_server.url}/workspace/ticket/new")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the new-ticket page is {width} px wide at 390 px"
    screenshot(page, "new-ticket-phone")


def test_due_in_the_past_is_shown_in_words(app, live_server, page, desk):
    with app.app_context():
        item = db.session.get(Item, desk.ticket)
        item.due_at = dt.datetime(2026, 1, 2, 10, 0)
        db.session.commit()
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/{desk.ticket}")
    expect(page.locator("input[data-field=due_at]")).not_to_have_value("")


def test_split_then_merge_back(app, live_server, page, desk):
    log_in(page, live_server.url, desk.agent)
    page.goto(f"{live_server.url}/workspace/ticket/{desk.ticket}")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#rd-timeline .rd-split button").first.click()
    expect(page.locator(".rd-ticket-title")).to_have_text(
        "The POS froze at 9am, customers waiting.")
    expect(page.locator("#rd-timeline")).to_contain_text("The POS froze at 9am")
    page.locator("#rd-merge summary").click()
    page.fill("#rd-merge-target", str(desk.ticket))
    with page.expect_navigation():
        page.locator("#rd-merge button[type=submit]").click()
    assert page.url.endswith(f"/workspace/ticket/{desk.ticket}")
    timeline = page.locator("#rd-timeline")
    expect(timeline).to_contain_text("split a message into #")
    expect(timeline).to_contain_text("into this ticket")
    expect(timeline).to_contain_text("The POS froze at 9am")
