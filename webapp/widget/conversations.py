"""Chat conversations: the visitor's key, starting one, adding messages, closing, and what of
a message the visitor may see. Used by the widget's API and the agents' chat screens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.commands.customer_requests import add_reply
from webapp.commands.errors import Invalid
from webapp.commands.rules.people import EMAIL_PATTERN
from webapp.models import ChatConversation, ChatMessage, ChatStatus, Customer, Portal, utcnow

MAX_BODY = 5000
MAX_NAME = 200
MAX_EMAIL = 254
MAX_PAGE_URL = 1000
_WEB_URL = re.compile(r"^https?://", re.IGNORECASE)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def conversation_for_key(session: Session, portal: Portal, key: str | None) -> ChatConversation:
    """The conversation ``key`` opens in ``portal``, else a 404 (no hint whether it exists)."""
    if not key or len(key) > 200:
        abort(404)
    conversation = session.scalar(select(ChatConversation).where(
        ChatConversation.visitor_key_hash == key_hash(key),
        ChatConversation.portal_id == portal.id))
    if conversation is None:
        abort(404)
    return conversation


def clean_body(raw: Any) -> str:
    """A message's text, trimmed; ``Invalid`` naming ``body`` when empty or too long."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise Invalid({"body": [_("Write a message.")]})
    if len(text) > MAX_BODY:
        raise Invalid({"body": [_("Your message is too long: at most %(max)d characters.",
                                  max=MAX_BODY)]})
    return text


@dataclass(frozen=True)
class Visitor:
    """Who starts a chat: the signed-in customer, or what the visitor typed."""

    name: str | None
    email: str | None
    customer: Customer | None = None


def read_visitor(data: dict[str, Any], customer: Customer | None) -> Visitor:
    """Name and e-mail from the start form (both optional; the e-mail must be well-formed);
    a signed-in customer's own name and e-mail win."""
    if customer is not None:
        return Visitor(name=customer.name, email=customer.email, customer=customer)
    errors: dict[str, list[str]] = {}
    name = " ".join(str(data.get("name") or "").split())
    email = str(data.get("email") or "").strip().lower()
    if len(name) > MAX_NAME:
        errors["name"] = [_("At most %(max)d characters.", max=MAX_NAME)]
    if email and (len(email) > MAX_EMAIL or not EMAIL_PATTERN.match(email)):
        errors["email"] = [_("Enter a valid e-mail address, like name@example.com.")]
    if errors:
        raise Invalid(errors)
    return Visitor(name=name or None, email=email or None)


def start(session: Session, portal: Portal, visitor: Visitor, body: str,
          page_url: str | None) -> tuple[ChatConversation, str]:
    """A new open conversation with the visitor's first message; returns it and the key
    that opens it (only its hash is stored). Committed."""
    key = secrets.token_urlsafe(32)
    url = (page_url or "").strip()
    conversation = ChatConversation(
        portal_id=portal.id, visitor_key_hash=key_hash(key),
        customer_id=visitor.customer.id if visitor.customer else None,
        visitor_name=visitor.name, visitor_email=visitor.email,
        # Only a web address, as the script sent it; anything else is not worth keeping.
        page_url=url[:MAX_PAGE_URL] if _WEB_URL.match(url) else None,
        status=ChatStatus.OPEN, last_message_at=utcnow())
    conversation.messages.append(ChatMessage(from_visitor=True, body=body))
    session.add(conversation)
    session.commit()
    return conversation, key


def add_message(session: Session, conversation: ChatConversation, body: str,
                user_id: int | None = None) -> ChatMessage:
    """A message by the visitor (no ``user_id``) or an agent. A visitor writing into a
    closed chat reopens it, so nothing they say goes unseen. Once the chat is a ticket, the
    visitor's message is also a public reply on it, in the same transaction (the ticket's
    agents and notifications see it; a done ticket reopens). Committed."""
    item = conversation.item if user_id is None else None
    if item is not None and conversation.customer is not None:
        line = ChatMessage(conversation_id=conversation.id, from_visitor=True, body=body)

        def keep_line(_reply: Any) -> None:
            conversation.last_message_at = utcnow()
            session.add(line)

        add_reply(session, conversation.customer, item, body, record=keep_line)
        return line
    if conversation.status == ChatStatus.CLOSED:
        if user_id is not None:
            raise Invalid({"body": ["this chat is closed; the visitor can reopen it by "
                                    "writing again"]})
        conversation.status = ChatStatus.OPEN
    message = ChatMessage(conversation=conversation, from_visitor=user_id is None,
                          user_id=user_id, body=body)
    conversation.last_message_at = utcnow()
    if user_id is not None and conversation.assigned_user_id is None:
        conversation.assigned_user_id = user_id  # the first agent who answers takes it
    session.add(message)
    session.commit()
    return message


def close(session: Session, conversation: ChatConversation) -> None:
    conversation.status = ChatStatus.CLOSED
    session.commit()


def messages_after(session: Session, conversation: ChatConversation,
                   after: int) -> list[ChatMessage]:
    return list(session.scalars(select(ChatMessage).where(
        ChatMessage.conversation_id == conversation.id, ChatMessage.id > after)
        .order_by(ChatMessage.id)))


def public_staff_name(user: Any) -> str | None:
    """What customers learn of a staff member: the first name only, never the username
    (``relaydesk create-admin`` makes the username the first name). None: nothing to show."""
    if user is None:
        return None
    first = (user.first_name or "").split()
    if not first or first[0].casefold() == (user.username or "").casefold():
        return None
    return str(first[0])


def agent_name(message: ChatMessage) -> str:
    """What a visitor learns of the agent who wrote: the first name only."""
    return public_staff_name(message.user) or _("Support")


def visitor_message(message: ChatMessage) -> dict[str, Any]:
    """A message as the visitor's panel gets it: nothing about staff but a first name."""
    return {
        "id": message.id,
        "from_visitor": message.from_visitor,
        "author": _("You") if message.from_visitor else agent_name(message),
        "body": message.body,
        "created_at": message.created_at.isoformat() + "Z",
    }
