"""A customer signs in to the portal by an e-mailed link in Chromium, sees what the portal's
visibility allows (own and organization, never another organization's), and replies."""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.browser.conftest import screenshot
from tests.factories import Factory, message
from tests.hub.conftest import SmtpSink, free_port
from tests.webapp.web_forms.builders import portal, web_form
from webapp.extensions import db
from webapp.models import BuiltinField, Item, Message, Portal, PortalVisibility
from webapp.widget.conversations import Visitor, start


def _data(app) -> dict[str, int]:
    with app.app_context():
        make = Factory(app)
        portal = db.session.scalar(select(Portal).where(Portal.slug == "help"))
        portal.visibility = PortalVisibility.ORGANIZATION
        acme, globex = make.organization("Acme"), make.organization("Globex")
        ana = make.customer("ana@acme.example", name="Ana", organization_id=acme.id)
        bea = make.customer("bea@acme.example", name="Bea", organization_id=acme.id)
        carl = make.customer("carl@globex.example", organization_id=globex.id)
        agent = make.user("Agent")
        project = make.project()
        printer = make.item(project, title="Printer jams", requester_id=ana.id)
        make.item(project, title="VPN is down", requester_id=bea.id)
        make.item(project, title="Globex invoice", requester_id=carl.id)
        message(make, printer, agent, "<p>Please restart the printer.</p>")
        message(make, printer, agent, "<p>SECRET staff note</p>", is_public=False)
        return {"ana": ana.id, "printer": printer.id}


def test_sign_in_by_link_see_requests_and_reply(app, live_server, page):
    ids = _data(app)
    sink = SmtpSink(port=free_port()).start()
    before = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = "127.0.0.1", sink.port
    try:
        page.goto(f"{live_server.url}/portal/help/requests/")
        assert "/portal/help/sign-in" in page.url  # my requests need a sign-in
        page.fill("#link-email", "ana@acme.example")
        screenshot(page, "portal-sign-in")
        page.click("text=Send me a link")
        page.wait_for_selector("text=a sign-in link is on its way")
        assert len(sink.messages) == 1
        text = sink.messages[0].get_body(("plain",)).get_content()
    finally:
        app.config["SMTP_HOST"], app.config["SMTP_PORT"] = before
        sink.stop()
    link = re.search(r"http://127\.0\.0\.1:\d+/portal/help/sign-in/\S+", text).group(0)

    page.goto(link)
    assert page.url.endswith("/portal/help/requests/")
    rows = page.locator("table.requests tbody tr")
    assert rows.all_inner_texts() and [t for t in rows.all_inner_texts()
                                       if "Printer jams" in t]
    body = page.inner_text("main")
    assert "VPN is down" not in body and "Globex invoice" not in body

    page.click("text=My organization")
    page.wait_for_selector("text=VPN is down")
    body = page.inner_text("main")
    assert "Printer jams" in body and "Globex invoice" not in body
    screenshot(page, "portal-requests")

    page.click("text=Printer jams")
    page.wait_for_selector("text=Please restart the printer.")
    assert "SECRET" not in page.content()
    page.fill("#body", "Restarted it, still jams on page 2.")
    page.click("text=Send reply")
    page.wait_for_selector("text=Your reply was sent.")
    assert "Restarted it, still jams on page 2." in page.inner_text(".thread")
    screenshot(page, "portal-request")

    with app.app_context():
        reply = db.session.scalar(select(Message).where(
            Message.item_id == ids["printer"], Message.author_customer_id == ids["ana"]))
        assert reply is not None and reply.is_public


def test_a_request_shows_form_answers_staff_names_and_the_chat_history(app, live_server,
                                                                       page):
    with app.app_context():
        make = Factory(app)
        row, project = portal(make)
        web_form(make, row, slug="campaign",
                 builtins=(BuiltinField.TITLE, BuiltinField.DUE_DATE, BuiltinField.PRIORITY),
                 custom=("ref", "areas"))
        dora = make.customer("dora@clinic.example", name="Dora",
                             password_hash=generate_password_hash("correct horse battery"))
        admin = make.user("Admin", name="admin")  # first name "admin", as create-admin makes
        start(db.session, row, Visitor(name="Dora", email=dora.email, customer=dora),
              "Do you print on recycled paper?", None)
        db.session.remove()
    page.goto(f"{live_server.url}/portal/help/sign-in")
    page.fill("#email", "dora@clinic.example")
    page.fill("#password", "correct horse battery")
    page.click("form:has(#password) button[type=submit]")
    page.goto(f"{live_server.url}/portal/help/forms/campaign")
    page.fill("#f-title", "Spring flyer")
    page.fill("#f-due_date", "2026-03-12")
    page.select_option("#f-priority", label="High")
    page.fill("#f-cf-ref", "PO-7")
    page.check("input[name=cf-areas][value=Web]")
    page.click("main button[type=submit]")
    page.locator(".form-done").wait_for()
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.title == "Spring flyer"))
        message(Factory(app), item, db.session.merge(admin), "<p>We are on it.</p>")
        item_id = item.id
        db.session.remove()
    page.goto(f"{live_server.url}/portal/help/requests/")
    history = page.locator("section.chat-history")
    assert "Do you print on recycled paper?" in history.inner_text()
    screenshot(page, "portal-requests-chat-history")
    page.goto(f"{live_server.url}/portal/help/requests/{item_id}")
    answers = page.locator("dl.form-answers").inner_text()
    for text in ("Due date", "2026-03-12", "Priority", "High", "Ref", "PO-7", "Areas", "Web"):
        assert text in answers
    author = page.locator("article.post .meta strong").first.inner_text()
    assert author == "Support team"
    screenshot(page, "portal-request-answers")
    page.goto(f"{live_server.url}/portal/help/requests/{item_id}?lang=es")
    assert "Fecha de entrega" in page.locator("dl.form-answers").inner_text()
