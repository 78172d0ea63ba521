"""Turning a chat into a ticket: the visitor becomes the requester, the transcript its first
public message, written through the shared write check with the agent as the actor."""

from __future__ import annotations

from html import escape

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triggers.email.people import domain_of
from triggers.outbox import Actor, acting_as
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import (
    ChatConversation,
    ChatMessage,
    Customer,
    Item,
    ItemKind,
    ItemType,
    Message,
    OrganizationDomain,
)
from webapp.portal.targets import request_target
from webapp.widget.conversations import agent_name

TITLE_LENGTH = 80


def _requester(session: Session, conversation: ChatConversation, viewer: Viewer) -> Customer:
    """The chat's customer, else the customer with the visitor's e-mail (created, in the
    organization owning the address's domain, when unknown)."""
    if conversation.customer is not None:
        return conversation.customer
    email = (conversation.visitor_email or "").strip().lower()
    if not email:
        raise Invalid({"visitor_email": [
            "the visitor gave no e-mail address and is not a signed-in customer, so there is "
            "no one to be the requester: ask for their e-mail address in the chat first"]})
    found = session.scalar(select(Customer).where(func.lower(Customer.email) == email))
    if found is not None:
        return found
    organization_id = session.scalar(select(OrganizationDomain.organization_id).where(
        OrganizationDomain.domain == domain_of(email)))
    customer = Customer(email=email, name=conversation.visitor_name,
                        organization_id=organization_id)
    check_write(session, customer, viewer, is_new=True)
    return customer


def _title(conversation: ChatConversation) -> str:
    first = next((m.body for m in conversation.messages if m.from_visitor), "")
    text = " ".join(first.split())
    if len(text) > TITLE_LENGTH:
        text = text[:TITLE_LENGTH - 1].rstrip() + "…"
    return text or _("Chat %(number)s", number=conversation.id)


def _author(conversation: ChatConversation, message: ChatMessage) -> str:
    # The transcript is public: agents appear as the visitor saw them, by first name.
    if message.from_visitor:
        return conversation.visitor_name or conversation.visitor_email or _("Visitor")
    return agent_name(message)


def transcript_html(conversation: ChatConversation) -> str:
    """Who said what, when (UTC), as safe HTML (the requester reads it in the portal)."""
    rows = []
    for message in conversation.messages:
        lines = "<br>".join(escape(line) for line in message.body.splitlines())
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        rows.append(f"<p><strong>{escape(_author(conversation, message))}</strong> "
                    f"<em>{when}</em><br>{lines}</p>")
    heading = _("Chat transcript (from %(page)s)", page=conversation.page_url) \
        if conversation.page_url else _("Chat transcript")
    return f"<p><em>{escape(heading)}</em></p>" + "".join(rows)


def ticket_types(session: Session) -> list[ItemType]:
    """The types a chat can become (ticket types, by name)."""
    return list(session.scalars(select(ItemType).where(ItemType.kind == ItemKind.TICKET)
                                .order_by(ItemType.name, ItemType.id)))


def _chosen_type(session: Session, item_type_id: int | None) -> ItemType | None:
    if item_type_id is None:
        return None
    chosen = session.get(ItemType, item_type_id)
    if chosen is None or chosen.kind != ItemKind.TICKET:
        names = ", ".join(t.name for t in ticket_types(session))
        raise Invalid({"item_type": [f"{item_type_id} is not a ticket type (choose one of: "
                                     f"{names})"]})
    return chosen


def convert_chat_to_ticket(session: Session, conversation: ChatConversation,
                           viewer: Viewer, item_type_id: int | None = None) -> Item:
    """A ticket of the chosen type (else the portal's) in the portal's target project with
    the transcript; the chat points to it, so the visitor's further messages go to the
    ticket. Committed as a whole, or nothing is kept."""
    if conversation.item_id is not None:
        raise Invalid({"item": [f"this chat is already ticket #{conversation.item_id}"]})
    if not conversation.messages:
        raise Invalid({"messages": ["this chat has no messages to turn into a ticket"]})
    with acting_as(Actor(user_id=viewer.user_id)):
        try:
            chosen = _chosen_type(session, item_type_id)
            requester = _requester(session, conversation, viewer)
            target = request_target(conversation.portal, item_type=chosen)
            item = Item(kind=target.item_type.kind, title=_title(conversation),
                        item_type_id=target.item_type.id, project_id=target.project_id,
                        requester_id=requester.id, custom_values={}, assignee_users=[],
                        assignee_teams=[], follower_users=[], follower_customers=[],
                        predecessors=[])
            check_write(session, item, viewer, is_new=True)
            check_write(session, Message(item_id=item.id, is_public=True,
                                         body_html=transcript_html(conversation),
                                         author_user_id=viewer.user_id), viewer, is_new=True)
            conversation.item_id = item.id
            conversation.customer_id = requester.id  # the chat now belongs to their profile
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return item
