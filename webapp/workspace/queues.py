"""The agent's queues: named, fixed filters over the open items the agent may see.

Each queue is a SQL condition on ``Item`` (with ``Status`` joined), written so that PostgreSQL
can start from the small side (an index of assignees, followers, SLA rows, statuses); the home
page counts each queue up to ``COUNT_CAP``, the inbox lists one. Visibility
always applies first, so a queue can only narrow what the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_timezone, lazy_gettext
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, team_ids, visibility_clause
from webapp.commands.errors import Invalid
from webapp.models import Item, ItemSla, Status, StatusCategory, utcnow
from webapp.models.items import item_assignee_team, item_assignee_user, item_follower_user


@dataclass(frozen=True)
class QueueContext:
    """What a queue's condition depends on besides the item: who asks, and when."""

    viewer: Viewer
    now: dt.datetime  # naive UTC, as stored
    day_end: dt.datetime  # the end of the viewer's today, naive UTC

    @classmethod
    def for_viewer(cls, viewer: Viewer, now: dt.datetime | None = None) -> QueueContext:
        now = now or utcnow()
        zone = _zone()
        local = now.replace(tzinfo=dt.UTC).astimezone(zone)
        end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time.min, zone)
        return cls(viewer, now, end.astimezone(dt.UTC).replace(tzinfo=None))


def _zone() -> dt.tzinfo:
    try:
        return ZoneInfo(str(get_timezone()))
    except (KeyError, ValueError, RuntimeError):
        return dt.UTC


def _assigned_to(user_id: int | None) -> ColumnElement[bool]:
    return Item.id.in_(select(item_assignee_user.c.item_id).where(
        item_assignee_user.c.user_id == user_id))


def _unassigned(ctx: QueueContext) -> ColumnElement[bool]:
    # Nobody is assigned, and no team, or one of the viewer's teams, is.
    no_user = ~exists().where(item_assignee_user.c.item_id == Item.id)
    other_team = exists().where(item_assignee_team.c.item_id == Item.id,
                                item_assignee_team.c.team_id.not_in(team_ids(ctx.viewer)))
    return and_(no_user, ~other_team)


def _my_teams(ctx: QueueContext) -> ColumnElement[bool]:
    return Item.id.in_(select(item_assignee_team.c.item_id).where(
        item_assignee_team.c.team_id.in_(team_ids(ctx.viewer))))


def _sla_at_risk(ctx: QueueContext) -> ColumnElement[bool]:
    """A warning time passed or a target missed (``sla_clause``'s warning or breached),
    driven from ``item_sla`` (an ``IN``, not a check per item: flat at 1M items)."""
    now = ctx.now
    return Item.id.in_(select(ItemSla.item_id).where(or_(
        and_(ItemSla.first_responded_at.is_(None), ItemSla.first_response_warn_at < now),
        and_(ItemSla.resolved_at.is_(None), ItemSla.resolution_warn_at < now),
        and_(ItemSla.first_responded_at.is_(None), ItemSla.first_response_due_at < now),
        and_(ItemSla.resolved_at.is_(None), ItemSla.resolution_due_at < now),
        ItemSla.first_responded_at > ItemSla.first_response_due_at,
        ItemSla.resolved_at > ItemSla.resolution_due_at)))


def _waiting(ctx: QueueContext) -> ColumnElement[bool]:
    return Item.status_id.in_(select(Status.id).where(Status.waits_on_customer.is_(True)))


def _following(ctx: QueueContext) -> ColumnElement[bool]:
    return Item.id.in_(select(item_follower_user.c.item_id).where(
        item_follower_user.c.user_id == ctx.viewer.user_id))


@dataclass(frozen=True)
class Queue:
    key: str
    label: Any  # a lazy string
    icon: str
    condition: Callable[[QueueContext], ColumnElement[bool]]


QUEUES: tuple[Queue, ...] = (
    Queue("mine", lazy_gettext("My open"), "fa-user",
          lambda ctx: _assigned_to(ctx.viewer.user_id)),
    Queue("unassigned", lazy_gettext("Unassigned in my teams"), "fa-inbox", _unassigned),
    Queue("teams", lazy_gettext("My teams' open"), "fa-users", _my_teams),
    Queue("due", lazy_gettext("Due today or overdue"), "fa-calendar",
          lambda ctx: and_(Item.due_at.is_not(None), Item.due_at < ctx.day_end)),
    Queue("sla", lazy_gettext("SLA at risk or breached"), "fa-exclamation-triangle",
          _sla_at_risk),
    Queue("waiting", lazy_gettext("Waiting on customer"), "fa-hourglass-half", _waiting),
    Queue("following", lazy_gettext("Following"), "fa-eye", _following),
    Queue("open", lazy_gettext("All open"), "fa-list", lambda ctx: Item.id.is_not(None)),
)
BY_KEY = {queue.key: queue for queue in QUEUES}
#: Queue counts stop here: "1000+" tells an agent as much as 31,245 would.
COUNT_CAP = 1000


def find_queue(key: str | None) -> Queue:
    """The queue named ``key``; ``Invalid`` naming the known ones otherwise."""
    queue = BY_KEY.get(key or "")
    if queue is None:
        raise Invalid({"queue": [f"{key!r} is not a queue; one of: {', '.join(BY_KEY)}"]})
    return queue


def open_items(viewer: Viewer, *columns: Any) -> Select[Any]:
    """``select(columns)`` over the open (not done) items ``viewer`` may see, Status joined."""
    return (select(*columns).select_from(Item).join(Status, Status.id == Item.status_id)
            .where(Status.category != StatusCategory.DONE, visibility_clause(Item, viewer)))


def queue_select(queue: Queue, ctx: QueueContext, *columns: Any) -> Select[Any]:
    return open_items(ctx.viewer, *columns).where(queue.condition(ctx))


def queue_items(session: Session, queue: Queue, ctx: QueueContext) -> Select[Any]:
    """``select(Item)`` of the queue's items, for ordering and paging.

    A queue with few items (an agent's own open tickets among a million) would make an
    ordered scan walk the whole table looking for a page that does not exist; so its ids are
    fetched first, unordered (PostgreSQL then starts from the small side), and up to
    ``COUNT_CAP`` of them are ordered directly. A queue with more is dense enough for the
    ordered index scan to fill a page early.
    """
    ids = session.scalars(queue_select(queue, ctx, Item.id).limit(COUNT_CAP + 1)).all()
    if len(ids) <= COUNT_CAP:
        return select(Item).where(Item.id.in_(ids))
    return queue_select(queue, ctx, Item)


def queue_counts(session: Session, ctx: QueueContext) -> dict[str, int]:
    """Every queue's count, up to ``COUNT_CAP`` (shown as "1000+"): counting stops there, so
    the cost stays flat however many items a queue holds."""
    counts = {}
    for queue in QUEUES:
        capped = queue_select(queue, ctx, Item.id).limit(COUNT_CAP + 1).subquery()
        counts[queue.key] = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    return counts


def next_item_id(session: Session, viewer: Viewer, queue_key: str | None,
                 after_id: int) -> int | None:
    """The item to open after ``after_id`` in a queue: the oldest other open item of the queue
    (the one waiting longest), or ``None`` when the queue holds nothing else."""
    queue = BY_KEY.get(queue_key or "") or BY_KEY["unassigned"]
    ctx = QueueContext.for_viewer(viewer)
    items = queue_items(session, queue, ctx).where(Item.id != after_id)
    return session.scalar(items.with_only_columns(Item.id)
                          .order_by(Item.updated_at, Item.id).limit(1))
