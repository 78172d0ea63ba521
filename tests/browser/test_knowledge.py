"""A visitor searches the portal's knowledge base in Chromium and opens an article."""

from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.webapp.knowledge import add_article, add_category
from webapp.extensions import db
from webapp.models import ArticleVisibility, Portal


def test_visitor_searches_the_knowledge_base_and_reads_an_article(app, live_server, page):
    with app.app_context():
        db.session.scalar(select(Portal).where(Portal.slug == "help")).login_required = False
        devices = add_category(db.session, "Devices")
        add_article(db.session, devices, "Set up the office printer",
                    "<p>Connect the printer to the <b>office network</b>, then print a "
                    "test page.</p>")
        add_article(db.session, devices, "Printer drivers for customers",
                    "<p>Drivers for the office printer.</p>",
                    visibility=ArticleVisibility.CUSTOMERS)
        add_article(db.session, add_category(db.session, "Accounts"), "Reset your password",
                    "<p>Choose <i>Forgot password</i> on the sign-in page.</p>")
        db.session.remove()

    page.goto(f"{live_server.url}/portal/help/kb/")
    assert page.locator("h2", has_text="Devices").is_visible()
    page.fill("#kb-q", "office printer")
    page.click("form.kb-search button[type=submit]")
    results = page.locator(".kb-results .card")
    assert results.count() == 1  # the customers-only article is not offered to a visitor
    assert page.locator(".kb-results mark").first.inner_text().lower() in {"office", "printer"}
    screenshot(page, "knowledge-base")

    results.first.locator("a").click()
    assert page.locator("h1").inner_text() == "Set up the office printer"
    assert page.locator(".kb-body b").inner_text() == "office network"
    assert page.url.endswith("/portal/help/kb/set-up-the-office-printer")
    screenshot(page, "knowledge-base-article")
