"""Rules for messages: sanitized body, an author."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.content.html import html_to_text, sanitize_html
from webapp.models import Message


def prepare_message(session: Session, message: Message, viewer: Viewer, is_new: bool) -> None:
    message.body_html = sanitize_html(message.body_html)
    if is_new and message.author_customer_id is None and message.author_customer is None:
        if message.author_user_id is None and message.author_user is None:
            message.author_user_id = viewer.user_id


def validate_message(session: Session, message: Message, viewer: Viewer, is_new: bool) -> dict:
    if not html_to_text(message.body_html) and "<img" not in message.body_html:
        return {"body_html": ["is empty (after removing unsafe HTML)"]}
    if (
        not viewer.is_admin
        and message.author_user_id is not None
        and message.author_user_id != viewer.user_id
        and is_new
    ):
        return {"author_user": ["you may post only as yourself"]}
    return {}


rules_for(Message).prepare.append(prepare_message)
rules_for(Message).validate.append(validate_message)
