"""Turning a chat into a ticket: requester, target project, title, transcript, refusals."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.factories import quick_user
from webapp.access.scope import Viewer
from webapp.commands.chat import convert_chat_to_ticket
from webapp.commands.errors import Invalid
from webapp.models import (
    ChatConversation,
    Customer,
    Event,
    Item,
    ItemKind,
    Message,
    OrganizationDomain,
    Portal,
)
from webapp.widget import conversations
from webapp.widget.conversations import Visitor


@pytest.fixture
def desk(make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.project_id = project.id
    make.session.commit()
    agent = quick_user(make, "Agent", teams=[team])
    agent.first_name, agent.last_name = "Omar", "Operator"
    make.session.commit()
    return SimpleNamespace(make=make, team=team, project=project, portal=portal, agent=agent,
                           viewer=Viewer.for_user(agent))


def chat(desk, visitor: Visitor, *lines: tuple[str, str]) -> ChatConversation:
    """A chat whose first line is the visitor's; ("agent", text) lines are the agent's."""
    conversation, _key = conversations.start(desk.make.session, desk.portal, visitor,
                                             lines[0][1], "https://site.example/help")
    for who, text in lines[1:]:
        conversations.add_message(desk.make.session, conversation, text,
                                  user_id=desk.agent.id if who == "agent" else None)
    return conversation


def test_a_chat_becomes_a_ticket_with_its_transcript(desk, make):
    organization = make.organization()
    make.session.add(OrganizationDomain(organization_id=organization.id,
                                        domain="site.example"))
    make.session.commit()
    conversation = chat(desk, Visitor(name="Vera Visitor", email="vera@site.example"),
                        ("visitor", "My invoice for March shows the wrong amount, please check"),
                        ("agent", "Which invoice number?"), ("visitor", "INV-<42>"))

    item = convert_chat_to_ticket(make.session, conversation, desk.viewer)

    make.session.expire_all()
    item = make.session.get(Item, item.id)
    assert item.kind == ItemKind.TICKET and item.project_id == desk.project.id
    assert item.title == "My invoice for March shows the wrong amount, please check"
    assert item.created_by_id == desk.agent.id
    requester = item.requester
    assert (requester.email, requester.name) == ("vera@site.example", "Vera Visitor")
    assert requester.organization_id == organization.id
    [message] = make.session.scalars(select(Message).where(Message.item_id == item.id)).all()
    assert message.is_public and message.author_user_id == desk.agent.id
    body = message.body_html
    # Who said what, in order, escaped; the agent by first name (the customer reads it).
    assert body.index("Vera Visitor") < body.index("Omar") < body.index("INV-&lt;42&gt;")
    assert "Which invoice number?" in body and "Operator" not in body
    assert "https://site.example/help" in body
    assert body.count(" UTC") == 3
    conversation = make.session.get(ChatConversation, conversation.id)
    assert conversation.item_id == item.id and conversation.customer_id == requester.id
    # The outbox records the agent as the one who did it.
    created = make.session.scalar(select(Event).where(Event.type == "ticket.created",
                                                      Event.subject_id == item.id))
    assert created is not None and created.actor_user_id == desk.agent.id


def test_a_known_customer_or_the_signed_in_one_is_the_requester(desk, make):
    known = make.customer("Known@Site.example", name="Kim Known")
    by_email = chat(desk, Visitor(name="K", email="known@site.example"), ("visitor", "Hi"))
    assert convert_chat_to_ticket(make.session, by_email, desk.viewer).requester_id == known.id

    signed_in = make.customer("sam@client.example", name="Sam")
    conversation = chat(desk, Visitor(name="Sam", email=None, customer=signed_in),
                        ("visitor", "Hello"))
    assert convert_chat_to_ticket(make.session, conversation,
                                  desk.viewer).requester_id == signed_in.id
    assert make.session.scalar(select(func.count(Customer.id))) == 2


def test_without_an_e_mail_there_is_no_requester_and_nothing_is_written(desk, make):
    conversation = chat(desk, Visitor(name="Anon", email=None), ("visitor", "Help"))
    with pytest.raises(Invalid) as refused:
        convert_chat_to_ticket(make.session, conversation, desk.viewer)
    assert "no e-mail address" in refused.value.messages["visitor_email"][0]
    assert make.session.scalar(select(func.count(Item.id))) == 0
    assert make.session.get(ChatConversation, conversation.id).item_id is None


def test_a_chat_becomes_a_ticket_once(desk, make):
    conversation = chat(desk, Visitor(name="V", email="v@site.example"), ("visitor", "Hi"))
    item = convert_chat_to_ticket(make.session, conversation, desk.viewer)
    with pytest.raises(Invalid) as refused:
        convert_chat_to_ticket(make.session, conversation, desk.viewer)
    assert f"#{item.id}" in refused.value.messages["item"][0]
    assert make.session.scalar(select(func.count(Item.id))) == 1


def test_an_agent_cannot_put_a_ticket_in_a_project_out_of_their_reach(desk, make):
    outsider = quick_user(make, "Agent", teams=[make.team()])
    conversation = chat(desk, Visitor(name="V", email="new@site.example"), ("visitor", "Hi"))
    with pytest.raises(Invalid) as refused:
        convert_chat_to_ticket(make.session, conversation, Viewer.for_user(outsider))
    assert "project" in str(refused.value.messages)
    assert make.session.scalar(select(func.count(Item.id))) == 0
    # Nothing half-written: not even the new customer.
    assert make.session.scalar(select(func.count(Customer.id))) == 0


def test_a_portal_without_a_project_cannot_take_the_chat(desk, make):
    desk.portal.project_id = None
    make.session.commit()
    conversation = chat(desk, Visitor(name="V", email="v@site.example"), ("visitor", "Hi"))
    with pytest.raises(Invalid):
        convert_chat_to_ticket(make.session, conversation, desk.viewer)
    assert make.session.scalar(select(func.count(Item.id))) == 0
