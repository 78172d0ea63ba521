"""The one-click rating pages: record or update, comment, and every refusal page."""

from __future__ import annotations

import time

from flask import g, render_template_string
from sqlalchemy import select

from tests.webapp.satisfaction import solved_ticket
from tests.webapp.satisfaction.test_tokens import _signed_at
from webapp.extensions import db
from webapp.models import Event, Portal
from webapp.models.satisfaction import SatisfactionRating
from webapp.satisfaction.ratings import record_rating
from webapp.satisfaction.tokens import MAX_AGE, make_token


def _ratings(make) -> list[tuple[int, int, str | None]]:
    make.session.expire_all()
    return [(r.item_id, r.score, r.comment) for r in make.session.scalars(
        select(SatisfactionRating).order_by(SatisfactionRating.id))]


def _get(app, client, url):
    with app.app_context():
        return client.get(url)


def _post(app, client, url, **data):
    with app.app_context():
        return client.post(url, data=data)


def test_one_click_records_then_updates_the_rating(app, client, make):
    maria = make.customer("maria@acme.example")
    ticket = solved_ticket(make, maria, title="Printer jams")
    token = make_token(ticket.id, maria.id)
    page = _get(app, client, f"/portal/help/rate/{token}?score=4")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Thank you for your rating!" in text and "Printer jams" in text
    assert "4 of 5" in text
    assert _ratings(make) == [(ticket.id, 4, None)]
    again = _get(app, client, f"/portal/help/rate/{token}?score=2")
    assert again.status_code == 200 and "2 of 5" in again.get_data(as_text=True)
    assert _ratings(make) == [(ticket.id, 2, None)]
    events = make.session.scalars(select(Event).where(Event.type == "ticket.rated")
                                  .order_by(Event.id)).all()
    assert [e.data["score"] for e in events] == [4, 2]


def test_without_a_score_the_page_offers_the_five_choices(app, client, make):
    maria = make.customer()
    ticket = solved_ticket(make, maria)
    token = make_token(ticket.id, maria.id)
    text = _get(app, client, f"/portal/help/rate/{token}").get_data(as_text=True)
    assert "How did we do?" in text
    for score in range(1, 6):
        assert f"/portal/help/rate/{token}?score={score}" in text
    assert _ratings(make) == []


def test_the_comment_is_saved_and_may_change_the_score(app, client, make):
    maria = make.customer()
    ticket = solved_ticket(make, maria)
    token = make_token(ticket.id, maria.id)
    _get(app, client, f"/portal/help/rate/{token}?score=5")
    sent = _post(app, client, f"/portal/help/rate/{token}/comment", score="3",
                 comment="Fixed, but it took a week.")
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/portal/help/rate/{token}")
    assert _ratings(make) == [(ticket.id, 3, "Fixed, but it took a week.")]
    shown = _get(app, client, f"/portal/help/rate/{token}").get_data(as_text=True)
    assert "Thank you for your feedback!" in shown and "Fixed, but it took a week." in shown


def test_a_bad_comment_form_keeps_what_was_typed(app, client, make):
    maria = make.customer()
    ticket = solved_ticket(make, maria)
    token = make_token(ticket.id, maria.id)
    missing = _post(app, client, f"/portal/help/rate/{token}/comment", comment="Typed text")
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert "Choose a rating from 1 to 5." in text and "Typed text" in text
    too_long = _post(app, client, f"/portal/help/rate/{token}/comment", score="4",
                     comment="x" * 5001)
    assert too_long.status_code == 422
    assert "The comment is too long" in too_long.get_data(as_text=True)
    bad_click = _get(app, client, f"/portal/help/rate/{token}?score=9")
    assert bad_click.status_code == 400
    assert "Choose a rating from 1 to 5." in bad_click.get_data(as_text=True)
    assert _ratings(make) == []


def test_bad_expired_and_foreign_links_get_clear_pages(app, client, make):
    maria, pedro = make.customer(), make.customer()
    ticket = solved_ticket(make, maria)
    token = make_token(ticket.id, maria.id)
    tampered = token[:-2] + ("xy" if not token.endswith("xy") else "zz")
    bad = _get(app, client, f"/portal/help/rate/{tampered}?score=5")
    assert bad.status_code == 400 and "not valid" in bad.get_data(as_text=True)
    assert _post(app, client, f"/portal/help/rate/{tampered}/comment", score="5").status_code \
        == 400
    old = _signed_at(app, [ticket.id, maria.id], time.time() - MAX_AGE.total_seconds() - 5)
    expired = _get(app, client, f"/portal/help/rate/{old}?score=5")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    # A genuine token of someone who is not (or no longer) the requester.
    pedros = _get(app, client, f"/portal/help/rate/{make_token(ticket.id, pedro.id)}?score=1")
    assert pedros.status_code == 410 and "no longer valid" in pedros.get_data(as_text=True)
    gone = _get(app, client, f"/portal/help/rate/{make_token(987654, maria.id)}?score=1")
    assert gone.status_code == 410
    assert _ratings(make) == []


def test_an_unsolved_ticket_can_be_rated_once_solved(app, client, make):
    maria = make.customer()
    ticket = make.item(make.project(), requester_id=maria.id)
    page = _get(app, client, f"/portal/help/rate/{make_token(ticket.id, maria.id)}?score=5")
    assert page.status_code == 409
    assert "This ticket can be rated once it is solved." in page.get_data(as_text=True)
    assert _ratings(make) == []


def test_the_request_page_panel_is_for_the_requester_of_a_done_ticket(app, make):
    maria, pedro = make.customer(), make.customer()
    ticket = solved_ticket(make, maria)
    open_ticket = make.item(make.project(), requester_id=maria.id)

    def panel(customer, item, survey: bool = True) -> str:
        with app.test_request_context("/portal/help/requests/"):
            g.portal = db.session.scalar(select(Portal).where(Portal.slug == "help"))
            g.portal.survey_enabled = survey
            g.portal_customer = customer
            html = render_template_string('{% include "portal/_rating_panel.html" %}',
                                          item=item)
            db.session.rollback()
            return html

    offered = panel(maria, ticket)
    assert "How satisfied are you with our help?" in offered
    assert offered.count("?score=") == 5
    assert panel(pedro, ticket).strip() == ""
    assert panel(None, ticket).strip() == ""
    assert panel(maria, open_ticket).strip() == ""
    assert panel(maria, ticket, survey=False).strip() == ""
    record_rating(make.session, ticket, maria, 4, "Good", set_comment=True)
    rated = panel(maria, ticket)
    assert "You rated our help 4 of 5" in rated and "Good" in rated and "?score=" not in rated
