"""The delivery ledger: claiming due deliveries under a lease, recording outcomes, replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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


def _due_clause(now: dt.datetime):  # type: ignore[no-untyped-def]
    predecessor_done = _predecessor_done()
    waiting = and_(Delivery.status.in_(_RETRYABLE),
                   or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
                   predecessor_done)
    abandoned = and_(Delivery.status == DeliveryStatus.RUNNING,
                     Delivery.lease_expires_at < now)
    return or_(waiting, abandoned)


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
            delivery.attempts, now, retry_after=retry_after)
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
        """Run a delivery again from scratch, with the actions that waited on it. Commits.

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
        delivery.attempts = 0
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
