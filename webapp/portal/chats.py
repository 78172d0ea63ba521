"""A signed-in customer's chats that never became a request: listed beside their requests
and readable in full (a converted chat lives on in its request's thread)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.models import ChatConversation, Customer
from webapp.portal import portal_bp
from webapp.portal.session import current_customer, customer_required
from webapp.widget.conversations import visitor_message

HISTORY_LIMIT = 20


def chat_history(customer: Customer) -> list[ChatConversation]:
    """The customer's chats in this portal never turned into a request, newest first."""
    return list(db.session.scalars(select(ChatConversation).where(
        ChatConversation.customer_id == customer.id, ChatConversation.portal_id == g.portal.id,
        ChatConversation.item_id.is_(None))
        .order_by(ChatConversation.last_message_at.desc(), ChatConversation.id.desc())
        .limit(HISTORY_LIMIT)))


@portal_bp.get("/chats/<int:chat_id>")
@customer_required
def chat_show(chat_id: int) -> Response | str:
    """One of the customer's own chats (anyone else's: 404; a converted one: its request)."""
    customer = current_customer()
    assert customer is not None  # guaranteed by customer_required
    chat = db.session.scalar(select(ChatConversation).where(
        ChatConversation.id == chat_id, ChatConversation.customer_id == customer.id,
        ChatConversation.portal_id == g.portal.id))
    if chat is None:
        abort(404)
    if chat.item_id is not None:
        return redirect(url_for("portal.request_show", item_id=chat.item_id))
    return render_template("portal/chat_show.html", chat=chat,
                           messages=[visitor_message(m) for m in chat.messages])
