"""The transactional outbox: changes to tracked models write ``event`` rows in the same flush.

Listeners on SQLAlchemy's Session compare each flushed object's attribute history and insert
one event per meaningful change (``ticket.created``, ``ticket.status_changed``, …) through the
flush's own connection, so the event commits or rolls back with the change itself. After the
commit, the new event ids are handed to ``on_committed`` (the hub's dispatcher).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.interfaces import MANYTOONE

from webapp.models import (
    Customer,
    Event,
    Item,
    ItemType,
    Message,
    Organization,
    Project,
    Status,
    Timesheet,
    utcnow,
)

log = logging.getLogger(__name__)

_IGNORED_FIELDS = {"updated_at", "created_at", "status_changed_at"}
_PENDING_KEY = "relaydesk_outbox_ids"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a staff user, a customer, or a recipe's action (with its depth)."""

    user_id: int | None = None
    customer_id: int | None = None
    recipe_id: int | None = None
    depth: int = 0


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("relaydesk_actor",
                                                                     default=None)
actor_provider: Callable[[], Actor] = Actor
"""Fallback when no actor is set explicitly; the web app installs one that reads the request."""

on_committed: Callable[[list[int]], None] | None = None
"""Called with the ids of events committed in a transaction (the hub's dispatcher)."""


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get() or actor_provider()


def _prefix(obj: Any) -> str | None:
    if isinstance(obj, Item):
        return obj.kind.value if obj.kind is not None else "item"
    return {
        Project: "project", Customer: "customer", Organization: "organization",
        Message: "message", Timesheet: "timesheet",
    }.get(type(obj))


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The row's columns, plus the ids in its many-to-many collections."""
    mapper = inspect(obj).mapper
    data = {c.key: jsonable(getattr(obj, c.key)) for c in mapper.column_attrs}
    for rel in mapper.relationships:
        if rel.secondary is not None:
            data[f"{rel.key}_ids"] = sorted(o.id for o in getattr(obj, rel.key) or [])
    return data


def _diff(obj: Any) -> dict[str, dict[str, Any]]:
    state = inspect(obj)
    changes: dict[str, dict[str, Any]] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _IGNORED_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before != after:
            changes[attr.key] = {"before": jsonable(before), "after": jsonable(after)}
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.direction == MANYTOONE:
            continue
        history = state.attrs[rel.key].history
        if not history.has_changes():
            continue
        before = sorted(o.id for o in [*history.unchanged, *history.deleted])
        after = sorted(o.id for o in [*history.unchanged, *history.added])
        if before != after:
            changes[f"{rel.key}_ids"] = {"before": before, "after": after}
    return changes


def _named(session: Session, model: type, ident: Any) -> Any:
    if ident is None:
        return None
    row = session.get(model, ident)
    return row.name if row is not None else ident


def _readable(session: Session, obj: Any, diff: dict[str, dict[str, Any]]) -> None:
    """Add name-level entries (``status``, ``item_type``) that recipes compare against."""
    if not isinstance(obj, Item):
        return
    for column, model, key in (("status_id", Status, "status"),
                               ("item_type_id", ItemType, "item_type")):
        if column in diff:
            diff[key] = {"before": _named(session, model, diff[column]["before"]),
                         "after": _named(session, model, diff[column]["after"])}


def _types(prefix: str, obj: Any, verb: str, diff: dict[str, Any]) -> list[str]:
    if verb != "updated":
        return [f"{prefix}.{verb}"]
    types = [f"{prefix}.updated"]
    if isinstance(obj, Item):
        # A conversion (ticket → task) puts the item in a status of its new type: that is its
        # first status as a task, not a change the requester is told about (the recipe
        # "Tell the requester when a task's status changes" listens to task.status_changed).
        # The conversion's own event is ticket.converted, whose diff carries the status.
        if "status_id" in diff and "kind" not in diff:
            types.append(f"{prefix}.status_changed")
        if "assignee_users_ids" in diff or "assignee_teams_ids" in diff:
            types.append(f"{prefix}.assigned")
        if "kind" in diff:
            types.append("ticket.converted")
    return types


def _rows(session: Session) -> list[dict[str, Any]]:
    actor = current_actor()
    now = utcnow()
    rows = []
    changes = [(o, "created") for o in session.new] + [(o, "deleted") for o in session.deleted]
    changes += [(o, "updated") for o in session.dirty if session.is_modified(o)]
    for obj, verb in changes:
        prefix = _prefix(obj)
        if prefix is None or obj.id is None:
            continue
        diff = _diff(obj) if verb == "updated" else {}
        if verb == "updated":
            _readable(session, obj, diff)
            if not diff:
                continue
        data = snapshot(obj)
        for event_type in _types(prefix, obj, verb, diff):
            rows.append({
                "type": event_type, "subject_type": type(obj).__tablename__,
                "subject_id": obj.id, "actor_user_id": actor.user_id,
                "actor_customer_id": actor.customer_id, "actor_recipe_id": actor.recipe_id,
                "depth": actor.depth, "diff": diff, "data": data, "created_at": now,
            })
    return rows


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    rows = _rows(session)
    if not rows:
        return
    connection = session.connection()
    result = connection.execute(insert(Event).returning(Event.id), rows)
    session.info.setdefault(_PENDING_KEY, []).extend(result.scalars().all())


def emit(session: Session, event_type: str, subject_type: str, subject_id: int, *,
         data: dict[str, Any] | None = None, diff: dict[str, Any] | None = None) -> Event:
    """Write an event that is not a model change (timers, inbound webhooks) in the
    current transaction; it is dispatched after the commit like any other."""
    actor = current_actor()
    event = Event(type=event_type, subject_type=subject_type, subject_id=subject_id,
                  actor_user_id=actor.user_id, actor_customer_id=actor.customer_id,
                  actor_recipe_id=actor.recipe_id, depth=actor.depth,
                  diff=jsonable(diff or {}), data=jsonable(data or {}), created_at=utcnow())
    session.add(event)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(event.id)
    return event


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids and on_committed is not None:
        try:
            on_committed(ids)
        except Exception:  # the sweeper re-enqueues; a commit must not fail on dispatch
            log.exception("dispatching committed events failed", extra={"event_ids": ids})


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


_installed = False


def install() -> None:
    """Listen on every Session (idempotent)."""
    global _installed
    if _installed:
        return
    sa_event.listen(Session, "after_flush", _after_flush)
    sa_event.listen(Session, "after_commit", _after_commit)
    sa_event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    _installed = True
