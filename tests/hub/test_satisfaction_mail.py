"""The shipped survey recipe end to end: a solved ticket mails its requester five one-click
links (rendered by a real RQ worker), one click rates it, and recipes see ``ticket.rated``."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import create_item, item_type, recipe, status_id, update_item
from webapp.models import DeliveryStatus, Recipe
from webapp.models.satisfaction import SatisfactionRating


def test_solved_ticket_mails_rating_links_and_a_click_rates_it(hub: Hub,
                                                               hub_make: Factory) -> None:
    s = hub_make.session
    s.execute(update(Recipe).where(Recipe.builtin_key.is_not(None),
                                   Recipe.builtin_key != "default.satisfaction_survey")
              .values(enabled=False))
    s.commit()
    recipe(s, "Tell the team about ratings", "ticket.rated", [("send_email", {
        "to": "address", "address": "team@relaydesk.example",
        "subject": "Rated {{ event.data.score }}: {{ item.title }}",
        "body": "{{ requester.email }} gave {{ event.data.score }}."})])
    admin = hub_make.user("Admin")
    api = ApiClient(hub.app.test_client(), admin.username)
    maria = hub_make.customer("maria@acme.example", name="Maria")
    ticket = create_item(api, title="Printer jams", item_type=item_type(s).id,
                         project=hub_make.project().id, requester=maria.id)
    update_item(api, ticket, status=status_id(s, "Ticket", "Solved"))
    # The fast path (a wake-up job per commit) is best effort; the scheduler's sweep is the
    # safe path. Run it too, so that a wake-up key left by an earlier test cannot hold this
    # one back (the sweep's grace period is 1 s here).
    time.sleep(1.2)
    hub.command("scheduler", "--once")
    hub.burst()

    assert hub.smtp.subjects() == [f"How did we do? Printer jams [#{ticket}]"]
    assert hub.smtp.recipients == [["maria@acme.example"]]
    body = hub.smtp.messages[0].get_content()
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 5
    scores = [parse_qs(urlsplit(link).query)["score"] for link in links]
    assert scores == [["5"], ["4"], ["3"], ["2"], ["1"]]
    assert all(urlsplit(link).path.startswith("/portal/help/rate/") for link in links)

    # Maria clicks "4" (the web app, given the path and query of the mailed link).
    four = urlsplit(links[1])
    with hub.app.app_context():
        page = hub.app.test_client().get(f"{four.path}?{four.query}")
    assert page.status_code == 200
    assert "Thank you for your rating!" in page.get_data(as_text=True)
    assert hub.read(lambda session: [(r.item_id, r.customer_id, r.score) for r in session.scalars(
        select(SatisfactionRating))]) == [(ticket, maria.id, 4)]
    rated = hub.events(type="ticket.rated")
    assert [(e["subject_id"], e["data"]["score"], e["actor_customer_id"]) for e in rated] == [
        (ticket, 4, maria.id)]

    hub.smtp.clear()
    hub.burst()
    assert hub.smtp.subjects() == [f"Rated 4: Printer jams [#{ticket}]"]
    assert "maria@acme.example gave 4." in hub.smtp.messages[0].get_content()
    assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in hub.deliveries())
