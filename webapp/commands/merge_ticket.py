"""Merge one ticket into another: its conversation, files and followers move to the target,
it is closed with a note saying where it went, and one event is written on each side
(``ticket.merged`` on the target, ``ticket.merged_into`` on the source). One transaction.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triggers.outbox import emit
from webapp.access.scope import Viewer, load_visible
from webapp.commands.errors import Invalid, NotFound
from webapp.commands.write_check import check_write
from webapp.models import Attachment, Item, ItemKind, Message, Status, StatusCategory

MERGED_EVENT = "ticket.merged"
MERGED_INTO_EVENT = "ticket.merged_into"


def _done_status(session: Session, item: Item) -> int | None:
    return session.scalar(select(Status.id).where(
        Status.item_type_id == item.item_type_id, Status.category == StatusCategory.DONE)
        .order_by(Status.position, Status.id).limit(1))


def merge_ticket(session: Session, viewer: Viewer, source_id: int, target_id: int) -> Item:
    """Merge ticket ``source_id`` into ``target_id`` (both visible to ``viewer``); commits and
    answers the target. ``NotFound`` for an unseen source, ``Invalid`` for a bad target."""
    source = load_visible(session, Item, source_id, viewer)
    if source is None or source.kind != ItemKind.TICKET:
        raise NotFound({"ticket": [f"no ticket #{source_id} that you may use"]})
    if target_id == source_id:
        raise Invalid({"target": ["is the ticket itself: choose another one"]})
    target = load_visible(session, Item, target_id, viewer)
    if target is None or target.kind != ItemKind.TICKET:
        raise Invalid({"target": [f"no ticket #{target_id} that you may use"]})
    try:
        session.execute(update(Message).where(Message.item_id == source.id)
                        .values(item_id=target.id), execution_options={"synchronize_session": False})
        session.execute(update(Attachment).where(Attachment.item_id == source.id)
                        .values(item_id=target.id),
                        execution_options={"synchronize_session": False})
        for user in source.follower_users:
            if user not in target.follower_users:
                target.follower_users.append(user)
        customers = [*source.follower_customers, *([source.requester] if source.requester else [])]
        for customer in customers:
            if customer != target.requester and customer not in target.follower_customers:
                target.follower_customers.append(customer)
        check_write(session, target, viewer, is_new=False)
        done = _done_status(session, source)
        if done is not None:
            source.status_id = done
            check_write(session, source, viewer, is_new=False)
        note = Message(item_id=source.id, is_public=False,
                       body_html=f"<p>Merged into #{target.id} {_escape(target.title)}</p>")
        check_write(session, note, viewer, is_new=True)
        data = {"source_id": source.id, "target_id": target.id, "item_id": target.id}
        emit(session, MERGED_EVENT, "item", target.id, data=data)
        emit(session, MERGED_INTO_EVENT, "item", source.id, data={**data, "item_id": source.id})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return target


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
