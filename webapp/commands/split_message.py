"""Split a message out of a ticket into a new ticket of its own (same project, type and
priority; the message's customer, else the ticket's requester, asks for it). The message and
its files move; ``ticket.split`` is written on the original ticket, ``ticket.created`` on the
new one. One transaction.
"""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import update
from sqlalchemy.orm import Session

from triggers.outbox import emit
from webapp.access.scope import Viewer, load_visible
from webapp.commands.errors import Invalid, NotFound
from webapp.commands.write_check import check_write
from webapp.content.html import html_to_text
from webapp.models import Attachment, Item, ItemKind, Message

SPLIT_EVENT = "ticket.split"
TITLE_LENGTH = 80


def _title(message: Message, item: Item) -> str:
    text = " ".join(html_to_text(message.body_html).split())
    if len(text) > TITLE_LENGTH:
        text = text[:TITLE_LENGTH - 1].rstrip() + "…"
    return text or f"Split from #{item.id}"


def split_message(session: Session, viewer: Viewer, item_id: int, message_id: int) -> Item:
    """The new ticket holding message ``message_id`` of ticket ``item_id`` (committed)."""
    item = load_visible(session, Item, item_id, viewer)
    if item is None or item.kind != ItemKind.TICKET:
        raise NotFound({"ticket": [f"no ticket #{item_id} that you may use"]})
    message = load_visible(session, Message, message_id, viewer)
    if message is None or message.item_id != item.id:
        raise Invalid({"message_id": [f"no message {message_id} on ticket #{item.id}"]})
    try:
        new = Item(kind=ItemKind.TICKET, title=_title(message, item),
                   item_type_id=item.item_type_id, project_id=item.project_id,
                   folder_id=item.folder_id, priority=item.priority,
                   requester_id=message.author_customer_id or item.requester_id,
                   custom_values=dict(item.custom_values or {}),
                   description=f"<p>Split from #{item.id} {escape(item.title)}</p>")
        check_write(session, new, viewer, is_new=True)
        session.execute(update(Message).where(Message.id == message.id)
                        .values(item_id=new.id), execution_options={"synchronize_session": False})
        session.execute(update(Attachment).where(Attachment.message_id == message.id)
                        .values(item_id=new.id),
                        execution_options={"synchronize_session": False})
        emit(session, SPLIT_EVENT, "item", item.id, data={
            "item_id": item.id, "message_id": message.id, "new_item_id": new.id})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return new
