"""What an item's conversation panel shows: its visible messages, split into two threads."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.access.scope import Viewer, visibility_clause
from webapp.content.html import plain_text_html, sanitize_html
from webapp.models import Attachment, Item, Message
from webapp.views.display import customer_name, person_name

# Element names that make a reply HTML; "<two>" or "a < b" in a plain-text reply stay text.
_HTML_ELEMENTS = (
    "a|abbr|article|aside|audio|b|base|big|blockquote|body|br|button|caption|center|cite|code|"
    "col|colgroup|dd|del|details|div|dl|dt|em|embed|fieldset|figcaption|figure|font|footer|"
    "form|frame|frameset|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|"
    "main|mark|math|meta|nav|noscript|object|ol|option|p|picture|pre|q|s|samp|script|section|"
    "select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|"
    "textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr"
)
_TAG = re.compile(rf"<!--|</?(?:{_HTML_ELEMENTS})(?=[\s/>])[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Post:
    """One message as the panel shows it."""

    id: int
    is_public: bool
    author: str
    by_customer: bool
    created_at: dt.datetime
    body: Markup
    attachments: list[Attachment]


@dataclass
class Conversation:
    public: list[Post] = field(default_factory=list)
    private: list[Post] = field(default_factory=list)
    loose_files: list[Attachment] = field(default_factory=list)
    """Attachments of the item that belong to no message."""


def author_name(message: Message) -> str:
    if message.author_user is not None:
        return person_name(message.author_user)
    if message.author_customer is not None:
        return customer_name(message.author_customer)
    return str(lazy_gettext("(deleted author)"))


def post_of(message: Message, attachments: list[Attachment]) -> Post:
    """``message`` as shown (its author's name, its body sanitized once more)."""
    return Post(
        id=message.id,
        is_public=message.is_public,
        author=author_name(message),
        by_customer=message.author_customer_id is not None,
        created_at=message.created_at,
        # Sanitized on write already; again here so no stored row can inject markup.
        body=Markup(sanitize_html(message.body_html)),
        attachments=attachments,
    )


def load_conversation(session: Session, viewer: Viewer, item: Item) -> Conversation:
    """The item's messages and attachments the viewer may see, oldest first."""
    messages = session.scalars(
        select(Message)
        .where(Message.item_id == item.id, visibility_clause(Message, viewer))
        .options(joinedload(Message.author_user), joinedload(Message.author_customer))
        .order_by(Message.created_at, Message.id)
    ).all()
    attachments = session.scalars(
        select(Attachment)
        .where(Attachment.item_id == item.id, visibility_clause(Attachment, viewer))
        .order_by(Attachment.created_at, Attachment.id)
    ).all()
    by_message: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        by_message.setdefault(attachment.message_id, []).append(attachment)
    conversation = Conversation(loose_files=by_message.pop(None, []))
    for message in messages:
        post = post_of(message, by_message.pop(message.id, []))
        (conversation.public if post.is_public else conversation.private).append(post)
    for orphans in by_message.values():  # message not visible or gone
        conversation.loose_files.extend(orphans)
    return conversation


def reply_body_html(text: str) -> str:
    """The reply box takes HTML or plain text; plain text keeps its paragraphs and line breaks.

    The result still goes through the write check, which sanitizes it.
    """
    text = (text or "").replace("\r\n", "\n").strip()
    if not text or _TAG.search(text):
        return text
    return plain_text_html(text)


def describe_errors(messages: Any, labels: dict[str, str] | None = None) -> str:
    """A readable sentence from a write check's field messages."""
    if isinstance(messages, str):
        return messages
    labels = labels or {}
    parts = []
    for key, value in messages.items():
        text = describe_errors(value, labels) if isinstance(value, dict) else "; ".join(
            str(v) for v in value
        )
        label = labels.get(key, key.replace("_", " "))
        parts.append(text if key == "_schema" or not label else f"{label} {text}")
    return ". ".join(parts)
