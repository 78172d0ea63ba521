"""The visitor's chat API, called by the widget's panel.

The visitor proves which conversation is theirs with the key ``start`` returned, sent in
the ``X-Widget-Key`` header (which also exempts these calls from the CSRF token: another
site cannot add the header without a CORS preflight we never allow). ``start`` sends the
header too (any value) for the same reason. A key reaches its own conversation only, in its
own portal; anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import ChatConversation
from webapp.portal.limits import over_limit, seconds_to_wait
from webapp.portal.session import current_customer
from webapp.widget import conversations, widget_bp
from webapp.widget.bot import bot_state

KEY_HEADER = "X-Widget-Key"
RATE_LIMIT = "PUBLIC_FORM_RATE_LIMIT"
JsonReply = Response | tuple[Response, int] | tuple[Response, int, dict[str, str]]


def _errors(messages: Any, status: int = 422) -> tuple[Response, int]:
    if not isinstance(messages, dict):
        messages = {"_schema": [str(messages)]}
    return jsonify(errors=messages), status


def _rate_limited(scope: str) -> tuple[Response, int, dict[str, str]] | None:
    """Counts one call per client address; the 429 answer once the limit is passed."""
    address = request.remote_addr or ""
    if not over_limit(RATE_LIMIT, scope, address):
        return None
    wait = seconds_to_wait(RATE_LIMIT, scope, address)
    body, status = _errors({"_schema": [_(
        "Too many messages in a short time. Please wait a minute and try again.")]}, 429)
    return body, status, {"Retry-After": str(wait)}


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid({"_schema": [_("The request could not be read. Please try again.")]})
    return data


def _chat_enabled() -> None:
    if not g.portal.chat_enabled:
        raise NotFound()


def _own_conversation() -> ChatConversation:
    _chat_enabled()
    return conversations.conversation_for_key(db.session, g.portal,
                                              request.headers.get(KEY_HEADER))


def _state(conversation: ChatConversation, after: int) -> dict[str, Any]:
    """Messages after id ``after``, the chat's status, the ticket it became (if any) and the
    bot's greeting and away reply."""
    ticket = None
    if conversation.item_id is not None:
        ticket = {
            "number": conversation.item_id,
            "text": _("Your chat is now request #%(number)s: what you write here is added "
                      "to it, and we will keep you posted by e-mail.",
                      number=conversation.item_id),
            "url": url_for("portal.request_show", item_id=conversation.item_id,
                           _external=True),
        }
    return {
        "status": conversation.status.value,
        "messages": [conversations.visitor_message(m) for m in
                     conversations.messages_after(db.session, conversation, after)],
        "ticket": ticket,
        "bot": bot_state(g.portal, conversation,
                         url_for("portal.new_request", embed=1, _external=True)),
    }


@widget_bp.errorhandler(Invalid)
def _invalid(exc: Invalid) -> tuple[Response, int]:
    return _errors(exc.messages)


@widget_bp.errorhandler(404)
def _not_found(exc: NotFound) -> Any:
    if "/api/" in request.path:
        return _errors({"_schema": [_("This chat does not exist or has ended.")]}, 404)
    return exc


@widget_bp.post("/api/chat")
def chat_start() -> JsonReply:
    """Start a chat: ``{"name", "email", "body", "page_url"}`` → the key and the messages."""
    _chat_enabled()
    limited = _rate_limited("widget-chat-start")
    if limited:
        return limited
    data = _json_body()
    errors: dict[str, list[str]] = {}
    visitor = body = None
    try:
        visitor = conversations.read_visitor(data, current_customer())
    except Invalid as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    try:
        body = conversations.clean_body(data.get("body"))
    except Invalid as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    if errors or visitor is None or body is None:
        return _errors(errors)
    page_url = data.get("page_url") if isinstance(data.get("page_url"), str) else None
    conversation, key = conversations.start(db.session, g.portal, visitor, body, page_url)
    return jsonify(key=key, **_state(conversation, 0)), 201


@widget_bp.get("/api/chat")
def chat_poll() -> JsonReply:
    """The visitor's chat: messages after ``?after=<id>``, status, ticket."""
    conversation = _own_conversation()
    after = request.args.get("after", 0, type=int) or 0
    return jsonify(_state(conversation, after))


@widget_bp.post("/api/chat/messages")
def chat_post() -> JsonReply:
    """The visitor writes: ``{"body"}`` → the stored message."""
    conversation = _own_conversation()
    limited = _rate_limited("widget-chat-post")
    if limited:
        return limited
    body = conversations.clean_body(_json_body().get("body"))
    message = conversations.add_message(db.session, conversation, body)
    return jsonify(message=conversations.visitor_message(message)), 201


@widget_bp.post("/api/chat/close")
def chat_close() -> JsonReply:
    """The visitor ends the chat (writing again reopens it)."""
    conversation = _own_conversation()
    conversations.close(db.session, conversation)
    return jsonify(status=conversation.status.value)
