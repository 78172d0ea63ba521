"""The messenger's automatic messages: a greeting, and an "away" reply that offers to leave
a request — outside the hours of the portal's business calendar, or when no agent has
answered the visitor for the portal's ``chat_away_after_minutes``. Each portal may word
them per customer language; an empty text means the built-in one, translated."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from webapp.commands.attach_sla import working_calendar
from webapp.models import ChatConversation, Portal, utcnow

log = logging.getLogger(__name__)


def _own_text(portal: Portal, kind: str) -> str | None:
    """The portal's wording of ``kind`` ("greeting", "away") in the page's language."""
    locale = get_locale()
    language = locale.language if locale is not None else "en"
    text = getattr(portal, f"chat_{kind}_{language}", None)
    return text.strip() if text and text.strip() else None


def greeting(portal: Portal) -> str:
    return _own_text(portal, "greeting") or _(
        "Ask us anything: someone from our team answers here.")


def away_text(portal: Portal) -> str:
    return _own_text(portal, "away") or _(
        "No one from our team can answer right now. Leave a request and we will answer "
        "you by e-mail.")


def outside_hours(portal: Portal, now: dt.datetime | None = None) -> bool:
    """Whether ``now`` (naive UTC) is outside the hours of the portal's chat calendar."""
    if portal.chat_calendar is None:
        return False
    try:
        return not working_calendar(portal.chat_calendar).is_open(now or utcnow())
    except ValueError as exc:  # a calendar saved with bad hours: say so, stay "open"
        log.warning("chat calendar %r of portal %r: %s", portal.chat_calendar.name,
                    portal.slug, exc)
        return False


def _unanswered_since(conversation: ChatConversation) -> dt.datetime | None:
    """When the visitor's oldest message without an agent's answer after it was sent."""
    since = None
    for message in conversation.messages:
        if message.from_visitor:
            since = since or message.created_at
        else:
            since = None
    return since


def is_away(portal: Portal, conversation: ChatConversation | None = None,
            now: dt.datetime | None = None) -> bool:
    """Outside the chat's hours, or (for a chat not yet a ticket) no agent answered the
    visitor within the portal's minutes."""
    now = now or utcnow()
    if outside_hours(portal, now):
        return True
    minutes = portal.chat_away_after_minutes
    if conversation is None or not minutes or conversation.item_id is not None:
        return False
    since = _unanswered_since(conversation)
    return since is not None and now - since >= dt.timedelta(minutes=minutes)


def bot_state(portal: Portal, conversation: ChatConversation | None,
              request_url: str) -> dict[str, Any]:
    """What the panel shows besides the messages: the greeting, and the away reply with the
    link to leave a request (None while someone can answer)."""
    away = None
    if is_away(portal, conversation):
        away = {"text": away_text(portal), "url": request_url}
    return {"greeting": greeting(portal), "away": away}
