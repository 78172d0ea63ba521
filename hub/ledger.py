"""The delivery ledger: claiming due deliveries under a lease, recording outcomes, replay.

A worker claims one delivery when it is about to run it (``claim_one``): the lease then covers
that delivery's own call, not its place in a batch, and the worker renews the leases of the calls
it has in flight (``renew``) so that a call longer than the lease is not taken over while its
worker lives. A second send therefore happens only when the worker that sent it died mid-call.
``claim_due`` (a batch under one lease) remains for callers that run a handful of quick actions.

A replay keeps the attempt count growing (the ledger and the webhook attempt log tell the whole
story); the retry schedule restarts from the replay, counted from ``result["replay"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hub.retry import RetryPolicy
from webapp.models import Delivery, DeliveryStatus, utcnow

_RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def _predecessor_done():  # type: ignore[no-untyped-def]
    previous = aliased(Delivery)
    return or_(
        Delivery.after_delivery_id.is_(None),
        exists().where(previous.id == Delivery.after_delivery_id,
                       previous.status == DeliveryStatus.SUCCEEDED),
    )


def _waiting_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    return and_(Delivery.status.in_(_RETRYABLE),
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
                _predecessor_done())


def _abandoned_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    return and_(Delivery.status == DeliveryStatus.RUNNING, Delivery.lease_expires_at < now)


def _due_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(_waiting_clause(now), _abandoned_clause(now))


class Claim(NamedTuple):
    """A delivery claimed by ``claim_one``: its attempt and where it goes."""

    id: int
    attempt: int
    action_type: str
    webhook_endpoint_id: int | None
    recipe_action_id: int | None


class DeliveryLedger:
    def __init__(self, session: Session, policy: RetryPolicy, lease_seconds: float) -> None:
        self.session = session
        self.policy = policy
        self.lease = dt.timedelta(seconds=lease_seconds)
        #: When the lease of the last batch this ledger claimed runs out.
        self.lease_until: dt.datetime | None = None

    def claim_due(self, limit: int, only: Sequence[int] | None = None) -> list[int]:
        """Take up to ``limit`` due deliveries (running ones whose lease expired included)
        and mark them running under a fresh lease. Commits; returns their ids."""
        now = utcnow()
        query = select(Delivery.id).where(_due_clause(now)).order_by(Delivery.id).limit(limit)
        if only is not None:
            query = query.where(Delivery.id.in_(only))
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(query))
        if ids:
            self.lease_until = now + self.lease
            self.session.execute(
                update(Delivery).where(Delivery.id.in_(ids)).values(
                    status=DeliveryStatus.RUNNING, lease_expires_at=self.lease_until,
                    attempts=Delivery.attempts + 1, updated_at=now,
                ).execution_options(synchronize_session=False)
            )
        self.session.commit()
        return ids

    def claim_one(self, *, busy_endpoints: Collection[int] = (),
                  busy_steps: Collection[int] = (),
                  outbound_types: Collection[str] | None = None) -> Claim | None:
        """Take the oldest due delivery this worker may start now, under a fresh lease of its
        own; returns what the worker needs to place it, or None. Commits.

        ``busy_endpoints`` / ``busy_steps`` are destinations (webhook endpoints, recipe steps
        calling out) that already have as many calls in flight as they may: their deliveries
        wait, the others go ahead (no head-of-line blocking). ``outbound_types`` given: only
        deliveries of other action types (the lane kept for internal actions).
        """
        now = utcnow()
        # Waiting deliveries first, abandoned leases second: two narrow queries the
        # (status, next_attempt_at) index answers, where one OR of both scanned the table.
        row = None
        for due in (_waiting_clause(now), _abandoned_clause(now)):
            query = select(Delivery.id, Delivery.attempts, Delivery.action_type,
                           Delivery.webhook_endpoint_id, Delivery.recipe_action_id,
                           ).where(due)
            if busy_endpoints:
                query = query.where(or_(
                    Delivery.webhook_endpoint_id.is_(None),
                    Delivery.webhook_endpoint_id.not_in(list(busy_endpoints))))
            if busy_steps:
                query = query.where(or_(Delivery.recipe_action_id.is_(None),
                                        Delivery.recipe_action_id.not_in(list(busy_steps))))
            if outbound_types is not None:
                query = query.where(Delivery.webhook_endpoint_id.is_(None),
                                    Delivery.action_type.not_in(list(outbound_types)))
            query = query.order_by(Delivery.id).limit(1)
            if self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = self.session.execute(query).first()
            if row is not None:
                break
        if row is None:
            self.session.commit()
            return None
        delivery_id, attempts = row[0], row[1]
        self.lease_until = None  # each delivery carries its own lease (renewed while it runs)
        self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(
                status=DeliveryStatus.RUNNING, lease_expires_at=now + self.lease,
                attempts=Delivery.attempts + 1, updated_at=now,
            ).execution_options(synchronize_session=False))
        self.session.commit()
        return Claim(delivery_id, attempts + 1, row[2], row[3], row[4])

    def renew(self, running: Mapping[int, int]) -> int:
        """Extend the leases of the deliveries this worker is running (id → attempt), unless
        another worker took one over. Commits; returns how many were renewed."""
        renewed = 0
        until = utcnow() + self.lease
        for delivery_id, attempt in running.items():
            result = self.session.execute(
                update(Delivery).where(Delivery.id == delivery_id,
                                       Delivery.status == DeliveryStatus.RUNNING,
                                       Delivery.attempts == attempt)
                .values(lease_expires_at=until)
                .execution_options(synchronize_session=False))
            renewed += getattr(result, "rowcount", 0)
        self.session.commit()
        return renewed

    def release(self, delivery_id: int, attempt: int) -> None:
        """Hand back a delivery claimed but not started (a shutting-down worker): due again
        at once, the claim's attempt not counted. Commits."""
        self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id,
                                   Delivery.status == DeliveryStatus.RUNNING,
                                   Delivery.attempts == attempt)
            .values(status=DeliveryStatus.PENDING, lease_expires_at=None,
                    attempts=Delivery.attempts - 1, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False))
        self.session.commit()

    def record_success(self, delivery_id: int, attempt: int, result: dict | None,
                       duration_ms: int) -> bool:
        """Mark the delivery succeeded if this worker's claim (attempt ``attempt``) still holds
        it; False when another worker took it over. The caller commits (with the action's
        changes) or, on False, rolls back. One statement: the claim check and the outcome."""
        now = utcnow()
        updated = self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id,
                                   Delivery.status == DeliveryStatus.RUNNING,
                                   Delivery.attempts == attempt)
            .values(status=DeliveryStatus.SUCCEEDED, result=result, last_error=None,
                    duration_ms=duration_ms, lease_expires_at=None, next_attempt_at=None,
                    finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        return getattr(updated, "rowcount", 0) == 1  # a CursorResult for an UPDATE

    def fail(self, delivery: Delivery, error: str, duration_ms: int, *,
             permanent: bool = False, retry_after: float | None = None) -> None:
        """Schedule the next attempt, or mark dead (and skip what waits on it). Commits."""
        now = utcnow()
        delivery.last_error = error[:4000]
        delivery.duration_ms = duration_ms
        delivery.lease_expires_at = None
        next_at = None if permanent else self.policy.next_attempt_at(
            delivery.attempts - replay_base(delivery.result), now, retry_after=retry_after)
        if next_at is None:
            delivery.status = DeliveryStatus.DEAD
            delivery.next_attempt_at = None
            delivery.finished_at = now
            self._skip_followers(delivery.id)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = next_at
        self.session.commit()

    def _skip_followers(self, delivery_id: int) -> None:
        followers = list(self.session.scalars(
            select(Delivery).where(Delivery.after_delivery_id == delivery_id,
                                   Delivery.status.in_(_RETRYABLE))))
        for follower in followers:
            follower.status = DeliveryStatus.SKIPPED
            follower.last_error = f"not run: the previous action (delivery {delivery_id}) died"
            self._skip_followers(follower.id)

    def replay(self, delivery: Delivery) -> None:
        """Run a delivery again, with the actions that waited on it. Commits.

        Its attempt count keeps growing (attempt 4 follows the dead attempt 3), and the retry
        schedule starts over from the replay.

        A delivery skipped because an earlier action of its recipe died cannot run before
        that one succeeds: the replay starts from the earliest dead or skipped one before it.
        """
        start = delivery
        while start.after_delivery_id is not None:
            previous = self.session.get(Delivery, start.after_delivery_id)
            if previous is None or previous.status not in (DeliveryStatus.DEAD,
                                                           DeliveryStatus.SKIPPED):
                break
            start = previous
        self._reset(start)
        self.session.commit()

    def _reset(self, delivery: Delivery) -> None:
        delivery.status = DeliveryStatus.PENDING
        if delivery.attempts:
            # The replay's retry schedule starts here; the earlier attempts stay counted.
            delivery.result = {**(delivery.result or {}),
                               "replay": {"after_attempt": delivery.attempts}}
        delivery.next_attempt_at = utcnow()
        delivery.lease_expires_at = None
        delivery.finished_at = None
        for follower in self.session.scalars(
            select(Delivery).where(Delivery.after_delivery_id == delivery.id,
                                   Delivery.status == DeliveryStatus.SKIPPED)
        ):
            self._reset(follower)

    def rerun_failed(self, recipe_id: int, since: dt.datetime) -> list[int]:
        """Replay every failed or dead delivery of a recipe created since ``since``."""
        failed = list(self.session.scalars(
            select(Delivery).where(
                Delivery.recipe_id == recipe_id, Delivery.created_at >= since,
                Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.DEAD)),
            ).order_by(Delivery.id)))
        for delivery in failed:
            self._reset(delivery)
        self.session.commit()
        return [d.id for d in failed]

    def has_followers(self, delivery_ids: Sequence[int]) -> bool:
        """Whether any of these deliveries is the previous action of another."""
        if not delivery_ids:
            return False
        found = self.session.scalar(select(exists().where(
            Delivery.after_delivery_id.in_(delivery_ids))))
        self.session.rollback()
        return bool(found)

    def count_due(self, now: dt.datetime | None = None) -> int:
        """How many deliveries are due now (abandoned leases included)."""
        found = self.session.scalar(select(func.count(Delivery.id)).where(
            _due_clause(now or utcnow())))
        return int(found or 0)

    def next_due_at(self) -> dt.datetime | None:
        """When the next waiting delivery becomes due (for the runner's sleep)."""
        # Actions waiting on an earlier action of their recipe are not due by their own
        # time: they follow their predecessor's success (else the runner would spin).
        waiting = self.session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status.in_(_RETRYABLE), _predecessor_done()))
        lease = self.session.scalar(
            select(func.min(Delivery.lease_expires_at)).where(
                Delivery.status == DeliveryStatus.RUNNING))
        times = [t for t in (waiting, lease) if t is not None]
        return min(times) if times else None


def replay_base(result: Any) -> int:
    """Attempts made before the latest replay (0 if never replayed)."""
    if isinstance(result, dict) and isinstance(result.get("replay"), dict):
        base = result["replay"].get("after_attempt")
        if isinstance(base, int) and base >= 0:
            return base
    return 0
