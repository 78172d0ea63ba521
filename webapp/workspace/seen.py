"""Unread state: when each staff user last opened an item, and which items had activity by
someone else since (a message by a customer or another agent)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.models import ItemSeen, Message, utcnow


def mark_seen(session: Session, user_id: int | None, item_id: int) -> None:
    """Remember that ``user_id`` saw ``item_id`` now (flushed; the caller commits)."""
    if user_id is None:
        return
    row = session.get(ItemSeen, (user_id, item_id))
    if row is None:
        session.add(ItemSeen(user_id=user_id, item_id=item_id, seen_at=utcnow()))
    else:
        row.seen_at = utcnow()
    session.flush()


def unread_ids(session: Session, user_id: int | None, item_ids: Sequence[int]) -> set[int]:
    """Of ``item_ids``, those never opened by ``user_id`` or with a message by someone else
    since they last did."""
    if user_id is None or not item_ids:
        return set()
    seen = dict(session.execute(select(ItemSeen.item_id, ItemSeen.seen_at).where(
        ItemSeen.user_id == user_id, ItemSeen.item_id.in_(item_ids))).all())
    latest = dict(session.execute(
        select(Message.item_id, func.max(Message.created_at))
        .where(Message.item_id.in_(list(seen)),
               or_(Message.author_user_id.is_(None), Message.author_user_id != user_id))
        .group_by(Message.item_id)).all()) if seen else {}
    return {item_id for item_id in item_ids
            if item_id not in seen or (latest.get(item_id) or seen[item_id]) > seen[item_id]}
