"""Agents' chat screens: the inbox of open chats and one chat, answered live (the page polls
``messages`` and posts ``answer`` with fetch), closed, or turned into a ticket.

Every agent sees every chat (the "Chat" permission: Admin and Agent read and write;
Collaborator and Read-only read only).
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from werkzeug.wrappers import Response

from webapp.access.interface import request_viewer
from webapp.access.scope import load_visible, visibility_clause
from webapp.commands.chat import convert_chat_to_ticket, ticket_types
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import ChatConversation, ChatMessage, ChatStatus, Portal
from webapp.portal.targets import request_target
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.labels import add_screen
from webapp.widget import conversations, snippet

PERMISSION = "Chat"
_TYPE_ID = re.compile(r"[0-9]{1,9}")  # an id the database's integer column can hold
INBOX_LIMIT = 200


def _describe(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {' '.join(map(str, value))}" if key != "_schema"
                         else " ".join(map(str, value)) for key, value in messages.items())
    return str(messages)


def request_target_type(chat: ChatConversation) -> int | None:
    """The type a conversion picks unless the agent chooses another (None: none found)."""
    try:
        return request_target(chat.portal).item_type.id
    except Invalid:
        return None


def staff_message(message: ChatMessage) -> dict[str, Any]:
    """A message as agents see it (the visitor's name, the agent's full name)."""
    conversation = message.conversation
    if message.from_visitor:
        author = conversation.visitor_name or conversation.visitor_email or "Visitor"
    else:
        author = message.user.get_full_name() if message.user else "Agent"
    return {"id": message.id, "from_visitor": message.from_visitor, "author": author,
            "body": message.body, "created_at": message.created_at.isoformat() + "Z"}


# Inbox tabs: open and closed chats, and those turned into tickets (their conversation goes
# on in the ticket, so they are nobody's "waiting for an answer").
TABS = ("open", "closed", "tickets")


def inbox_rows(tab: str) -> list[tuple[ChatConversation, ChatMessage]]:
    """The chats of inbox ``tab``, newest activity first, each with its last message."""
    if tab == "tickets":
        shown = ChatConversation.item_id.is_not(None)
    else:
        status = ChatStatus.CLOSED if tab == "closed" else ChatStatus.OPEN
        shown = and_(ChatConversation.status == status, ChatConversation.item_id.is_(None))
    last_id = (select(ChatMessage.conversation_id, func.max(ChatMessage.id).label("last_id"))
               .group_by(ChatMessage.conversation_id).subquery())
    query = (select(ChatConversation, ChatMessage)
             .join(last_id, last_id.c.conversation_id == ChatConversation.id)
             .join(ChatMessage, ChatMessage.id == last_id.c.last_id)
             .where(shown, visibility_clause(ChatConversation, request_viewer()))
             .order_by(ChatConversation.last_message_at.desc(), ChatConversation.id.desc())
             .limit(INBOX_LIMIT))
    return [(row[0], row[1]) for row in db.session.execute(query)]


class ChatView(BaseView):
    route_base = "/chat"
    default_view = "inbox"
    class_permission_name = PERMISSION
    method_permission_name = METHOD_PERMISSIONS

    def _conversation(self, pk: int) -> ChatConversation:
        conversation = load_visible(db.session, ChatConversation, pk, request_viewer())
        if conversation is None:
            abort(404)
        return conversation

    def _can_write(self) -> bool:
        return bool(self.appbuilder.sm.has_access("can_write", PERMISSION))

    @expose("/inbox")
    @has_access
    def inbox(self) -> Any:
        """Open chats (or ``?status=closed``), unanswered ones marked; the widget snippet of
        each portal for admins."""
        tab = request.args.get("status") if request.args.get("status") in TABS else "open"
        snippets = []
        if request_viewer().is_admin:
            portals = db.session.scalars(select(Portal).order_by(Portal.name)).all()
            snippets = [(portal, snippet(portal)) for portal in portals]
        return self.render_template("relaydesk/chat_inbox.html", rows=inbox_rows(tab),
                                    status=tab, snippets=snippets)

    @expose("/conversation/<int:pk>")
    @has_access
    def conversation(self, pk: int) -> Any:
        chat = self._conversation(pk)
        return self.render_template(
            "relaydesk/chat_conversation.html", chat=chat, can_write=self._can_write(),
            ticket_types=ticket_types(db.session),
            default_type=request_target_type(chat),
            messages=[staff_message(m) for m in chat.messages], max_body=conversations.MAX_BODY)

    @expose("/messages/<int:pk>")
    @has_access_api
    def messages(self, pk: int) -> Response:
        """Messages after ``?after=<id>``, the status and the ticket (polled by the page)."""
        chat = self._conversation(pk)
        after = request.args.get("after", 0, type=int) or 0
        return jsonify(
            status=chat.status.value, item_id=chat.item_id,
            item_url=url_for("TicketView.show", pk=chat.item_id) if chat.item_id else None,
            messages=[staff_message(m) for m in
                      conversations.messages_after(db.session, chat, after)])

    @expose("/answer/<int:pk>", methods=["POST"])
    @has_access_api
    def answer(self, pk: int) -> Any:
        """``{"body"}`` from the page's fetch (with the CSRF token) → the stored message."""
        chat = self._conversation(pk)
        data = request.get_json(silent=True)
        try:
            body = conversations.clean_body(data.get("body") if isinstance(data, dict) else None)
            message = conversations.add_message(db.session, chat, body,
                                                user_id=request_viewer().user_id)
        except Invalid as exc:
            return jsonify(errors=exc.messages), 422
        return jsonify(message=staff_message(message)), 201

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close(self, pk: int) -> Response:
        chat = self._conversation(pk)
        conversations.close(db.session, chat)
        flash(gettext("Chat %(id)s closed.", id=chat.id), "success")
        return redirect(url_for(".inbox"))

    @expose("/convert_to_ticket/<int:pk>", methods=["POST"])
    @has_access
    def convert_to_ticket(self, pk: int) -> Response:
        chat = self._conversation(pk)
        raw_type = request.form.get("item_type") or ""
        if raw_type and not _TYPE_ID.fullmatch(raw_type):
            flash(gettext("The chat was not turned into a ticket: item_type: %(value)r is not "
                          "a type id", value=raw_type), "danger")
            return redirect(url_for(".conversation", pk=chat.id))
        try:
            item = convert_chat_to_ticket(db.session, chat, request_viewer(),
                                          int(raw_type) if raw_type else None)
        except Invalid as exc:
            flash(gettext("The chat was not turned into a ticket: %(reason)s",
                          reason=_describe(exc.messages)), "danger")
            return redirect(url_for(".conversation", pk=chat.id))
        flash(gettext("Chat %(id)s is now ticket #%(item)s; the visitor sees its number.",
                      id=chat.id, item=item.id), "success")
        return redirect(url_for("TicketView.show", pk=item.id))


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, ChatView, "Chats", _l("Chats"), "fa-comments-o", menu)
