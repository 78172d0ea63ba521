"""The rating command (one per ticket, an event per change) and where staff see ratings."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import ApiClient
from tests.webapp.satisfaction import solved_ticket
from webapp.commands.errors import Forbidden, Invalid
from webapp.models import Event
from webapp.models.satisfaction import SatisfactionRating
from webapp.satisfaction.ratings import MAX_COMMENT, NotRateable, record_rating


def _rated_events(make, item_id: int) -> list[Event]:
    make.session.expire_all()
    return list(make.session.scalars(select(Event).where(
        Event.type == "ticket.rated", Event.subject_id == item_id).order_by(Event.id)))


def _ratings(make, item_id: int) -> list[tuple[int, str | None]]:
    make.session.expire_all()
    return [(r.score, r.comment) for r in make.session.scalars(
        select(SatisfactionRating).where(SatisfactionRating.item_id == item_id))]


def test_a_rating_is_recorded_once_and_updated_with_an_event_each_change(app, make):
    maria = make.customer("maria@acme.example")
    ticket = solved_ticket(make, maria)
    record_rating(make.session, ticket, maria, 4)
    assert _ratings(make, ticket.id) == [(4, None)]
    record_rating(make.session, ticket, maria, 2, "  Slow answer  ", set_comment=True)
    assert _ratings(make, ticket.id) == [(2, "Slow answer")]
    # A later one-click link keeps the comment; the same click again changes nothing.
    record_rating(make.session, ticket, maria, 5)
    record_rating(make.session, ticket, maria, 5)
    assert _ratings(make, ticket.id) == [(5, "Slow answer")]

    events = _rated_events(make, ticket.id)
    assert [(e.data["score"], e.data["previous_score"], e.data["comment"]) for e in events] == [
        (4, None, None), (2, 4, "Slow answer"), (5, 2, "Slow answer")]
    assert all(e.subject_type == "item" and e.actor_customer_id == maria.id for e in events)
    assert {e.data["item_id"] for e in events} == {ticket.id}


def test_only_a_solved_ticket_of_the_requester_with_a_valid_score_is_rated(app, make):
    maria, other = make.customer(), make.customer()
    open_ticket = make.item(make.project(), requester_id=maria.id)
    with pytest.raises(NotRateable):
        record_rating(make.session, open_ticket, maria, 5)
    ticket = solved_ticket(make, maria)
    with pytest.raises(Forbidden):
        record_rating(make.session, ticket, other, 5)
    for score in (0, 6, "5", True, None):
        with pytest.raises(Invalid) as bad:
            record_rating(make.session, ticket, maria, score)
        assert "score" in bad.value.messages
    with pytest.raises(Invalid) as long_comment:
        record_rating(make.session, ticket, maria, 3, "x" * (MAX_COMMENT + 1), set_comment=True)
    assert "comment" in long_comment.value.messages
    assert _ratings(make, ticket.id) == [] and _ratings(make, open_ticket.id) == []
    assert _rated_events(make, ticket.id) == []


def test_the_ticket_page_shows_the_rating(app, client, make):
    admin = make.user("Admin")
    maria = make.customer("maria@acme.example")
    ticket = solved_ticket(make, maria)
    unrated = solved_ticket(make, maria)
    record_rating(make.session, ticket, maria, 5, "Quick and kind", set_comment=True)
    browser = Browser(app, client, admin.username)
    page = browser.page(f"/tickets/show/{ticket.id}")
    assert 'id="satisfaction"' in page and "5 / 5" in page and "Quick and kind" in page
    assert "maria@acme.example" in page
    assert "Not rated yet." in browser.page(f"/tickets/show/{unrated.id}")


def test_a_collaborator_sees_only_ratings_of_items_they_may_see(app, client, make):
    collab = make.user("Collaborator")
    agent = make.user("Agent", teams=[make.team()])
    maria = make.customer("maria@acme.example")
    mine = solved_ticket(make, maria, title="Assigned to collab", assignee_users=[collab])
    foreign = solved_ticket(make, maria, title="Nobody's ticket")
    record_rating(make.session, mine, maria, 5, "visible comment", set_comment=True)
    record_rating(make.session, foreign, maria, 1, "hidden comment", set_comment=True)

    browser = Browser(app, client, collab.username)
    listing = browser.page("/satisfaction/ratings/list/")
    assert "visible comment" in listing and "hidden comment" not in listing
    foreign_id = make.session.scalar(select(SatisfactionRating.id).where(
        SatisfactionRating.item_id == foreign.id))
    assert browser.get(f"/satisfaction/ratings/show/{foreign_id}").status_code in (302, 404)
    report = browser.page("/satisfaction/report")
    assert "hidden" not in report and 'class="rd-total">1<' in report

    # An agent of a team without these projects sees none; the admin sees both.
    assert "visible comment" not in Browser(app, app.test_client(), agent.username).page(
        "/satisfaction/ratings/list/")
    admin = make.user("Admin")
    both = Browser(app, app.test_client(), admin.username).page("/satisfaction/ratings/list/")
    assert "visible comment" in both and "hidden comment" in both


def test_the_rest_api_lists_visible_ratings_read_only(app, client, make):
    collab = make.user("Collaborator")
    maria = make.customer("maria@acme.example")
    mine = solved_ticket(make, maria, assignee_users=[collab])
    foreign = solved_ticket(make, maria)
    record_rating(make.session, mine, maria, 4)
    record_rating(make.session, foreign, maria, 2)
    api = ApiClient(client, collab.username)
    listing = api.get("/api/v1/satisfaction_rating/")
    assert listing.status_code == 200, listing.get_json()
    assert [(r["item"]["id"], r["score"]) for r in listing.get_json()["result"]] == [(mine.id, 4)]
    foreign_id = make.session.scalar(select(SatisfactionRating.id).where(
        SatisfactionRating.item_id == foreign.id))
    assert api.get(f"/api/v1/satisfaction_rating/{foreign_id}").status_code == 404
    assert api.post("/api/v1/satisfaction_rating/", json={"score": 5}).status_code in (404, 405)
