"""A mail threads into an item only when its sender may see that item (finding: e-mail
thread hijack). Maria, a customer of Acme Stores, answers with the Message-ID of a mail in
Beta Labs' ticket — through ``POST /api/v1/mail/inbound`` and through the SMTP intake, in
In-Reply-To and in References alone: she gets a ticket of her own, and nothing of Beta's
(no message on its ticket, not a follower, nothing mailed to its people, nothing in the
portal). The people who may see the ticket still thread into it: its requester, a follower,
staff who see its project, and colleagues of the requester where the portal serving it
shows the organization's requests. The portal's reply path asks the same rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tests.factories import ApiClient, quick_user
from tests.hub.conftest import SmtpSink
from tests.triggers.email.conftest import SUPPORT, Desk, mail, run_hub, smtp_send
from triggers.email.threads import sender_may_see
from webapp.models import (
    Customer,
    InboundMail,
    InboundStatus,
    Item,
    MailDirection,
    MailMessage,
    Message,
    Organization,
    OrganizationDomain,
    Portal,
    PortalVisibility,
)

MARIA = "maria@acme-stores.example"
BOB = "bob@beta.example"  # Beta's requester
CAROL = "carol@beta.example"  # copied on Bob's first mail: a follower
DAVE = "dave@beta.example"  # Bob's colleague, not on the ticket
PASSWORD = "correct horse battery"
SECRET = "Confidential: the payroll export"

Deliver = Callable[[bytes], InboundMail]


@dataclass
class World:
    desk: Desk
    item_id: int  # Beta's ticket
    received_id: str  # the Message-ID of Bob's mail on it
    sent_id: str  # the Message-ID of our acknowledgement to Bob

    @property
    def session(self):  # noqa: ANN201 - the test's SQLAlchemy session
        return self.desk.make.session

    def item(self) -> Item:
        self.session.expire_all()
        return self.session.get(Item, self.item_id)

    def messages(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Message).where(
            Message.item_id == self.item_id))

    def visibility(self, visibility: PortalVisibility, slug: str = "help") -> None:
        portal = self.session.scalars(select(Portal).where(Portal.slug == slug)).one()
        portal.visibility = visibility
        self.session.commit()


def _organization(make, name: str, domain: str) -> Organization:
    organization = make.organization(name)
    make.session.add(OrganizationDomain(organization_id=organization.id, domain=domain))
    make.session.commit()
    return organization


@pytest.fixture
def world(desk: Desk, sink: SmtpSink) -> World:
    make = desk.make
    acme = _organization(make, "Acme Stores", "acme-stores.example")
    beta = _organization(make, "Beta Labs", "beta.example")
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    make.customer(MARIA, name="Maria", organization_id=acme.id, password_hash=hashed)
    make.customer(DAVE, name="Dave", organization_id=beta.id, password_hash=hashed)
    first = desk.receive(mail(sender=f"Bob <{BOB}>", subject="Payroll export for Beta",
                              body=f"{SECRET}.\n", Cc=CAROL,
                              Message_ID="<bob-first@beta.example>"))
    assert first.status == InboundStatus.TICKET, first.reason
    run_hub(desk.app, sink)  # the acknowledgement to Bob: a Message-ID of ours on the ticket
    assert sink.recipients == [[BOB]]
    sent = make.session.scalars(select(MailMessage).where(
        MailMessage.item_id == first.item_id, MailMessage.direction == MailDirection.OUT)).one()
    sink.clear()
    return World(desk, first.item_id, "bob-first@beta.example", sent.rfc_message_id)


@pytest.fixture(params=["http", "smtp"])
def deliver(request: pytest.FixtureRequest, world: World) -> Deliver:
    """Hand a raw mail to the intake the way a path does; the stored row."""
    session = world.session
    if request.param == "http":
        admin = quick_user(world.desk.make, "Admin")
        api = ApiClient(world.desk.app.test_client(), admin.username)

        def post(raw: bytes) -> InboundMail:
            response = api.post(f"/api/v1/mail/inbound?to={SUPPORT}", data=raw,
                                content_type="message/rfc822")
            assert response.status_code == 201, response.get_json()
            session.expire_all()
            return session.get(InboundMail, response.get_json()["id"])
        return post
    server = request.getfixturevalue("intake_server")

    def send(raw: bytes) -> InboundMail:
        sender = re.search(rb"^From: .*?<?([^<>\s]+@[^<>\s]+)>?\r?$", raw, re.M).group(1)
        code, reply = smtp_send(server.port, raw, sender=sender.decode())
        assert code == 250, reply
        inbound_id = int(re.search(rb"inbound mail (\d+)", reply).group(1))
        session.expire_all()
        return session.get(InboundMail, inbound_id)
    return send


def _reply(sender: str, **headers: str) -> bytes:
    return mail(sender=sender, subject="Re: Payroll export for Beta",
                body="Please send me the numbers too.\n", **headers)


def _portal_sign_in(world: World, email: str):  # noqa: ANN202 - a Flask test client
    client = world.desk.app.test_client()
    with world.desk.app.app_context():
        response = client.post("/portal/help/sign-in",
                               data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _portal(world: World, client, url: str, **kw):  # noqa: ANN001, ANN202
    with world.desk.app.app_context():
        return (client.post if kw else client.get)(url, **kw)


@pytest.mark.parametrize("headers", [
    pytest.param(lambda w: {"In_Reply_To": f"<{w.sent_id}>"}, id="in-reply-to"),
    pytest.param(lambda w: {"References": f"<old@acme-stores.example> <{w.received_id}>"},
                 id="references-only"),
])
def test_message_id_of_another_organizations_ticket_opens_a_ticket_of_her_own(
        world: World, deliver: Deliver, sink: SmtpSink, headers) -> None:
    row = deliver(_reply(f"Maria <{MARIA}>", **headers(world)))
    assert row.status == InboundStatus.TICKET, row.reason
    assert row.item_id != world.item_id
    assert any(n.startswith(f"not threaded into item #{world.item_id} (") and MARIA in n
               for n in row.notes), row.notes
    own = world.session.get(Item, row.item_id)
    assert own.requester.email == MARIA and own.follower_customers == []

    item = world.item()
    assert world.messages() == 1  # Bob's first mail only
    assert [c.email for c in item.follower_customers] == [CAROL]
    assert item.follower_users == []

    run_hub(world.desk.app, sink)
    assert sink.recipients == [[MARIA]]  # her acknowledgement; nothing to Bob or Carol
    assert not any(SECRET in m.as_string() for m in sink.messages)

    client = _portal_sign_in(world, MARIA)
    assert _portal(world, client, f"/portal/help/requests/{world.item_id}").status_code == 404
    listed = _portal(world, client, "/portal/help/requests/?state=all").get_data(as_text=True)
    assert f"/requests/{row.item_id}\"" in listed
    assert f"/requests/{world.item_id}\"" not in listed and SECRET not in listed


def test_people_who_may_see_the_ticket_still_thread_into_it(world: World,
                                                            deliver: Deliver) -> None:
    desk, make = world.desk, world.desk.make
    seeing = quick_user(make, "Agent", [desk.team])
    elsewhere = quick_user(make, "Agent", [make.team()])
    answer = {"In_Reply_To": f"<{world.sent_id}>"}

    def outcome(sender: str) -> tuple[InboundStatus, bool]:
        row = deliver(_reply(sender, **answer))
        return row.status, row.item_id == world.item_id

    assert outcome(f"Bob <{BOB}>") == (InboundStatus.REPLY, True)
    assert outcome(CAROL) == (InboundStatus.REPLY, True)
    assert outcome(seeing.email) == (InboundStatus.REPLY, True)
    assert outcome(elsewhere.email) == (InboundStatus.TICKET, False)

    # Dave, Bob's colleague: only where the portal serving the ticket shows the
    # organization's requests (the default portal, until its project has one of its own).
    world.visibility(PortalVisibility.OWN)
    assert outcome(DAVE) == (InboundStatus.TICKET, False)
    world.visibility(PortalVisibility.ORGANIZATION)
    assert outcome(DAVE) == (InboundStatus.REPLY, True)
    make.session.add(Portal(slug="support", name="Support", project_id=desk.project.id,
                            visibility=PortalVisibility.OWN))
    make.session.commit()
    item = world.item()
    item.follower_customers = [c for c in item.follower_customers if c.email != DAVE]
    make.session.commit()
    assert outcome(DAVE) == (InboundStatus.TICKET, False)

    item = world.item()
    assert sorted(c.email for c in item.follower_customers) == [CAROL]
    assert [u.email for u in item.follower_users] == [seeing.email]
    assert world.messages() == 1 + 4  # Bob, Carol, the agent, Dave (organization portal)


def test_subject_reference_follows_the_same_rule(world: World, deliver: Deliver) -> None:
    """The ``[#id]`` path no longer lets in an address at the organization's domain, nor
    a colleague where the portal shows customers only their own requests."""
    subject = f"Re: Payroll export [#{world.item_id}]"
    stranger = deliver(mail(sender="eve@beta.example", subject=subject, body="me too"))
    assert stranger.status == InboundStatus.TICKET and stranger.item_id != world.item_id
    assert f"not threaded into item #{world.item_id} (subject [#{world.item_id}])" in \
        stranger.notes[0]
    dave = deliver(mail(sender=DAVE, subject=subject, body="me too"))
    assert dave.status == InboundStatus.TICKET
    world.visibility(PortalVisibility.ORGANIZATION)
    dave = deliver(mail(sender=DAVE, subject=subject, body="me too"))
    assert (dave.status, dave.item_id) == (InboundStatus.REPLY, world.item_id)
    bob = deliver(mail(sender=BOB, subject=subject, body="thanks"))
    assert (bob.status, bob.item_id) == (InboundStatus.REPLY, world.item_id)


def test_an_item_she_may_see_further_back_in_references_still_threads(
        world: World, deliver: Deliver) -> None:
    """A forwarded conversation names Beta's mail first; Maria's own ticket is further back:
    her reply goes there, and Beta's refusal is noted."""
    own = deliver(mail(sender=MARIA, subject="Till is broken",
                       Message_ID="<maria-first@acme-stores.example>"))
    row = deliver(_reply(MARIA, In_Reply_To=f"<{world.sent_id}>",
                         References="<maria-first@acme-stores.example>"))
    assert (row.status, row.item_id) == (InboundStatus.REPLY, own.item_id)
    assert row.reason == "threaded by references maria-first@acme-stores.example"
    assert row.notes == [f"not threaded into item #{world.item_id} (in-reply-to "
                         f"<{world.sent_id}>): the sender {MARIA} may not see that item"]
    assert world.messages() == 1


@pytest.mark.parametrize("visibility", [PortalVisibility.OWN, PortalVisibility.ORGANIZATION])
def test_portal_reply_path_asks_the_same_rule(world: World, visibility) -> None:
    """``request_reply`` files a reply only on an item the signed-in customer sees in the
    portal, and the intake's rule agrees with it for each customer. (The widget files no
    item replies: its chat links to this page.)"""
    world.visibility(visibility)
    session = world.session
    for email, may in ((MARIA, False), (DAVE, visibility == PortalVisibility.ORGANIZATION)):
        client = _portal_sign_in(world, email)
        response = _portal(world, client, f"/portal/help/requests/{world.item_id}/reply",
                           data={"body": f"a reply from {email}"})
        assert response.status_code == (302 if may else 404), email
        item = world.item()
        assert sender_may_see(session, item, email) is may
        written = session.scalar(select(func.count()).select_from(Message).join(
            Customer, Message.author_customer_id == Customer.id).where(
            Message.item_id == world.item_id, Customer.email == email))
        assert written == (1 if may else 0)
