"""The requester rates a solved ticket from the survey e-mail in Chromium; staff see it."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, Factory
from tests.webapp.satisfaction import solved_ticket
from webapp.extensions import db
from webapp.models.satisfaction import SatisfactionRating
from webapp.satisfaction.tokens import rating_url


def test_requester_rates_from_the_mail_and_staff_see_it(app, live_server, new_page):
    with app.app_context():
        make = Factory(app)
        admin = make.user("Admin")
        maria = make.customer("maria@acme.example", name="Maria")
        ticket = solved_ticket(make, maria, title="Printer jams")
        ticket_id, admin_name = ticket.id, admin.username
        links = [(score, rating_url(ticket, score)) for score in (5, 4, 3, 2, 1)]
        db.session.remove()

    mail = "".join(f'<p><a href="{escape(url)}">{score}</a></p>' for score, url in links)
    customer = new_page()
    customer.set_content(f"<html><body><p>How did we do?</p>{mail}</body></html>")
    customer.click("text=4")
    customer.wait_for_selector("text=Thank you for your rating!")
    assert "4 of 5" in customer.inner_text(".rating-current")
    customer.fill("#comment", "Fixed quickly, thanks!")
    customer.check("input[name=score][value='5']")
    customer.click("button:has-text('Send')")
    customer.wait_for_selector("text=Thank you for your feedback!")
    assert "5 of 5" in customer.inner_text(".rating-current")
    assert customer.input_value("#comment") == "Fixed quickly, thanks!"
    screenshot(customer, "satisfaction-rating")

    with app.app_context():
        stored = db.session.scalars(select(SatisfactionRating)).all()
        assert [(r.item_id, r.score, r.comment) for r in stored] == [
            (ticket_id, 5, "Fixed quickly, thanks!")]
        db.session.remove()

    staff = new_page()
    staff.goto(f"{live_server.url}/login/")
    staff.fill("input[name=username]", admin_name)
    staff.fill("input[name=password]", PASSWORD)
    staff.click("input[type=submit], button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(f"{live_server.url}/tickets/show/{ticket_id}")
    block = staff.locator("#satisfaction")
    assert "5 / 5" in block.inner_text()
    assert "Fixed quickly, thanks!" in block.inner_text()
    assert "maria@acme.example" in block.inner_text()
    screenshot(staff, "satisfaction-ticket")
