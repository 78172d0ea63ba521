"""Time-based triggers: SLA warnings and breaches, items idle too long in a status.

Each firing is recorded in ``timer_firing`` (unique per item, timer and marker) in the same
transaction as its event, so a timer fires exactly once however often the scan runs.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triggers.outbox import emit, snapshot
from webapp.models import (
    IdleRule,
    Item,
    ItemSla,
    Message,
    Status,
    StatusCategory,
    TimerFiring,
    utcnow,
)

log = logging.getLogger(__name__)
TARGETS = ("first_response", "resolution")


def _claim_firing(session: Session, item_id: int, timer: str, marker: str = "") -> bool:
    """Insert the firing unless it exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(TimerFiring)
                 .values(item_id=item_id, timer=timer, marker=marker, fired_at=utcnow())
                 .on_conflict_do_nothing().returning(TimerFiring.id))
    return session.execute(statement).first() is not None


def _first_public_staff_reply(session: Session, clock: ItemSla) -> dt.datetime | None:
    return session.scalar(
        select(func.min(Message.created_at)).where(
            Message.item_id == clock.item_id, Message.is_public.is_(True),
            Message.author_user_id.is_not(None), Message.created_at >= clock.started_at))


def _settle(session: Session, clock: ItemSla) -> None:
    """Record when each target was met (first public staff reply; a done status)."""
    if clock.first_responded_at is None and clock.first_response_due_at is not None:
        clock.first_responded_at = _first_public_staff_reply(session, clock)
    if clock.resolved_at is None:
        item = clock.item
        if item.status.category == StatusCategory.DONE:
            clock.resolved_at = item.status_changed_at


def scan_sla(session: Session, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    open_clocks = session.scalars(select(ItemSla).where(
        or_(and_(ItemSla.first_responded_at.is_(None), ItemSla.first_response_due_at.is_not(None),
                 or_(ItemSla.first_response_warn_at <= now, ItemSla.first_response_due_at <= now)),
            and_(ItemSla.resolved_at.is_(None), ItemSla.resolution_due_at.is_not(None),
                 or_(ItemSla.resolution_warn_at <= now, ItemSla.resolution_due_at <= now)))
    # One order for every scanner, so that concurrent scans never wait on each other in a
    # cycle (a deadlock) while claiming firings.
    ).order_by(ItemSla.item_id)).all()
    fired = 0
    for clock in open_clocks:
        _settle(session, clock)
        for target in TARGETS:
            met = getattr(clock, "first_responded_at" if target == "first_response"
                          else "resolved_at")
            due = getattr(clock, f"{target}_due_at")
            warn = getattr(clock, f"{target}_warn_at")
            if due is None:
                continue
            for kind, when in (("warning", warn), ("breached", due)):
                if when is None or when > now:
                    continue
                # Met in time: nothing to report. Met late (the reply or the resolution came
                # after the due time, with no scan in between): still a breach, reported once.
                if met is not None and (kind == "warning" or met <= due):
                    continue
                if not _claim_firing(session, clock.item_id, f"sla.{target}.{kind}"):
                    continue
                item = clock.item
                emit(session, f"sla.{kind}", "item", item.id, data={
                    **snapshot(item), "item_id": item.id, "target": target,
                    "due_at": due.isoformat(), "policy": clock.policy.name})
                fired += 1
    session.commit()
    return fired


def scan_idle(session: Session, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    fired = 0
    for rule in session.scalars(select(IdleRule).where(IdleRule.enabled.is_(True))
                                .order_by(IdleRule.id)).all():
        cutoff = now - dt.timedelta(hours=rule.hours)
        items = session.scalars(select(Item).where(
            Item.status_id == rule.status_id, Item.status_changed_at <= cutoff)
            .order_by(Item.id)).all()
        for item in items:
            marker = item.status_changed_at.isoformat(timespec="seconds")
            if not _claim_firing(session, item.id, f"idle.{rule.id}", marker):
                continue
            status: Status = item.status
            emit(session, f"{item.kind.value}.idle", "item", item.id, data={
                **snapshot(item), "item_id": item.id, "rule": rule.name, "hours": rule.hours,
                "status": status.name, "since": item.status_changed_at.isoformat()})
            fired += 1
    session.commit()
    return fired


def scan_timers(session: Session, now: dt.datetime | None = None) -> int:
    """One pass of every timer; returns how many events fired."""
    return scan_sla(session, now) + scan_idle(session, now)
