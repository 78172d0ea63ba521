"""A visitor sends a web form in Chromium: a validation error shown at its field with what was
typed kept, then success and the ticket with its custom values; the same form embedded in an
iframe of a plain page served by another local HTTP server."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.test_related_pickers import pick
from tests.factories import PASSWORD, Factory
from tests.webapp.web_forms.builders import portal, web_form
from webapp.extensions import db
from webapp.models import BuiltinField, FormSubmission, Item, WebForm


def _make_form(app):
    with app.app_context():
        make = Factory(app)
        row, _ = portal(make)
        web_form(make, row, slug="contact", name="Contact us", required=("qty",),
                 builtins=(BuiltinField.TITLE, BuiltinField.DESCRIPTION),
                 custom=("qty", "plan"), success_message="Thanks, we will answer soon.")
        db.session.remove()


def _items(app):
    with app.app_context():
        rows = [(i.title, i.custom_values, i.requester.email)
                for i in db.session.scalars(select(Item))]
        records = db.session.scalars(select(FormSubmission)).all()
        db.session.remove()
        return rows, len(records)


def test_a_visitor_corrects_an_error_and_sends_the_form(app, live_server, page):
    _make_form(app)
    page.goto(f"{live_server.url}/portal/help/forms/contact")
    page.fill("#f-name", "Dora")
    page.fill("#f-email", "dora@client.example")
    page.fill("#f-title", "The app crashes")
    page.fill("#f-description", "Since this morning.")
    page.fill("#f-cf-qty", "many")
    page.select_option("#f-cf-plan", "Pro")
    page.click("button[type=submit]")
    error = page.locator("#f-cf-qty-error")
    assert error.inner_text() == "Enter a number, like 12 or 3.5."
    assert page.locator(".field.has-error #f-cf-qty").count() == 1
    assert page.input_value("#f-title") == "The app crashes"
    assert page.input_value("#f-description") == "Since this morning."
    assert page.input_value("#f-cf-plan") == "Pro" and page.input_value("#f-cf-qty") == "many"
    screenshot(page, "web-form-error")
    assert _items(app) == ([], 0)
    page.fill("#f-cf-qty", "3")
    page.click("button[type=submit]")
    assert page.locator(".form-done").inner_text().count("Thanks, we will answer soon.") == 1
    screenshot(page, "web-form-done")
    assert _items(app) == ([("The app crashes", {"qty": 3, "plan": "Pro"},
                             "dora@client.example")], 1)


def test_the_form_works_embedded_in_another_site(app, live_server, page, tmp_path: Path):
    _make_form(app)
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>Shop</title><h1>Our shop</h1>"
        f'<iframe src="{live_server.url}/portal/help/forms/contact?embed=1" '
        'style="width:100%;height:900px"></iframe>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(f"http://127.0.0.1:{site.server_port}/index.html")
        frame = page.frame_locator("iframe")
        frame.locator("#f-title").fill("Sent from the shop")
        frame.locator("#f-email").fill("eve@client.example")
        frame.locator("#f-cf-qty").fill("1")
        assert frame.locator(".portal-header").count() == 0
        frame.locator("button[type=submit]").click()
        frame.locator(".form-done").wait_for()
        assert frame.locator(".portal-header").count() == 0
        screenshot(page, "web-form-embedded")
    finally:
        site.shutdown()
        thread.join(5)
    rows, records = _items(app)
    assert rows == [("Sent from the shop", {"qty": 1}, "eve@client.example")] and records == 1


def test_the_builder_starts_a_form_and_adds_item_fields_in_one_step(app, live_server, page):
    with app.app_context():
        make = Factory(app)
        portal_name = portal(make)[0].name
        admin = make.user("Admin").username
        type_name = make.item_type().name
        db.session.remove()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", admin)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{live_server.url}/web-forms/add")
    page.fill("#slug", "campaign")
    page.fill("#name", "Campaign request")
    pick(page, "portal", portal_name)
    pick(page, "item_type", type_name)
    page.click("form#model_form button[type=submit], #model_form [type=submit]")
    with app.app_context():
        form = db.session.scalar(select(WebForm).where(WebForm.slug == "campaign"))
        form_id = form.id
        assert [f.builtin.value for f in form.fields] == ["title", "description", "name",
                                                          "email"]
        db.session.remove()
    page.goto(f"{live_server.url}/web-forms/show/{form_id}")
    box = page.locator("#web-form-add-fields")
    box.locator("input[value='builtin:due_date']").check()
    box.locator("input[value='builtin:priority']").check()
    screenshot(page, "web-form-builder-add-fields")
    box.locator("#add-selected-fields").click()
    page.locator(".alert-success", has_text="2 fields added").wait_for()
    assert page.locator("#web-form-add-fields input[value='builtin:due_date']").count() == 0
    screenshot(page, "web-form-builder-fields-added")

    # A visitor picks the due date; the item carries it (board, calendar, Due filter).
    visitor = page.context.browser.new_context(locale="en-US").new_page()
    visitor.goto(f"{live_server.url}/portal/help/forms/campaign")
    visitor.fill("#f-title", "Spring flyer")
    visitor.fill("#f-email", "marketing@clinic7.example")
    visitor.fill("#f-due_date", "2026-03-12")
    visitor.select_option("#f-priority", label="Urgent")
    screenshot(visitor, "web-form-item-fields")
    visitor.click("button[type=submit]")
    visitor.locator(".form-done").wait_for()
    visitor.context.close()
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.title == "Spring flyer"))
        assert (item.due_at.isoformat(), item.priority) == ("2026-03-12T12:00:00", 4)
        db.session.remove()
