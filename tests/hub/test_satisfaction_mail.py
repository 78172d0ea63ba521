"""The shipped survey recipe end to end: a solved ticket mails its requester five one-click
links (rendered by a real RQ worker), one click rates it, and recipes see ``ticket.rated``."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import (
    create_item,
    item_type,
    only_builtin_recipes,
    recipe,
    status_id,
    update_item,
)
from webapp.models import (
    DeliveryStatus,
    Item,
    MailDirection,
    MailMessage,
    Portal,
    PortalVisibility,
    Recipe,
    SupportAddress,
)
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
    body = hub.smtp.messages[0].get_body(("plain",)).get_content()
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


def test_survey_of_a_moved_ticket_uses_the_requesters_portal_sender_and_thread(
        hub: Hub, hub_make: Factory) -> None:
    """Issue 17.8: the org-project recipe moved the ticket into the organization's own
    project (no portal, no support address of its own). The survey still links to the
    portal the customer came through (not the default internal one) and comes from the same
    support address, name and thread as the reply mailed before it."""
    s = hub_make.session
    only_builtin_recipes(s, "default.satisfaction_survey", "default.organization_project",
                         "default.mail_reply_notification")
    team = hub_make.team()
    admin = hub_make.user("Admin", teams=[team])
    api = ApiClient(hub.app.test_client(), admin.username)
    incoming = hub_make.project(teams=[team], name="Customer requests")
    s.add_all([
        SupportAddress(address="care@petsupply.example", name="PetSupply Customer Care",
                       project_id=incoming.id, item_type_id=item_type(s).id),
        Portal(slug="clients", name="PetSupply customers", project_id=incoming.id,
               visibility=PortalVisibility.ORGANIZATION)])
    s.commit()
    assert s.scalar(select(Portal.slug).where(Portal.is_default.is_(True))) == "help"
    acme = hub_make.organization("Acme Clinics")
    maria = hub_make.customer("maria@acme.example", name="Maria", organization_id=acme.id)
    ticket = create_item(api, title="Card reader offline", item_type=item_type(s).id,
                         project=incoming.id, requester=maria.id)
    hub.burst()
    moved = hub.read(lambda session: session.get(Item, ticket).project.name)
    assert moved == "Acme Clinics"  # the organization's own project now

    reply = api.post("/api/v1/message/", json={"item": ticket, "is_public": True,
                                               "body_html": "<p>Restarting it now.</p>"})
    assert reply.status_code == 201, reply.get_json()
    hub.burst()
    [reply_mail] = hub.smtp.messages
    assert str(reply_mail["From"]) == "PetSupply Customer Care <care@petsupply.example>"

    hub.smtp.clear()
    update_item(api, ticket, status=status_id(s, "Ticket", "Solved"))
    time.sleep(1.2)  # see above: the scheduler's sweep is the safe path
    hub.command("scheduler", "--once")
    hub.burst()
    [survey] = hub.smtp.messages
    assert str(survey["Subject"]) == f"How did we do? Card reader offline [#{ticket}]"
    assert str(survey["From"]) == str(reply_mail["From"])
    assert str(survey["Reply-To"]) == str(reply_mail["Reply-To"])
    assert survey["In-Reply-To"] == reply_mail["Message-ID"]
    assert reply_mail["Message-ID"] in survey["References"]
    assert survey["Message-ID"] != reply_mail["Message-ID"]
    links = re.findall(r"https?://\S+", survey.get_body(("plain",)).get_content())
    assert len(links) == 5
    assert all(urlsplit(link).path.startswith("/portal/clients/rate/") for link in links)
    sent_ids = hub.read(lambda session: list(session.scalars(
        select(MailMessage.rfc_message_id).where(MailMessage.item_id == ticket,
                                                 MailMessage.direction == MailDirection.OUT)
        .order_by(MailMessage.id))))
    assert [f"<{i}>" for i in sent_ids] == [reply_mail["Message-ID"], survey["Message-ID"]]

    five = urlsplit(links[0])
    with hub.app.app_context():
        page = hub.app.test_client().get(f"{five.path}?{five.query}")
    assert page.status_code == 200 and "PetSupply customers" in page.get_data(as_text=True)
