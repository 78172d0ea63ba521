"""The ledger's lease rules, step by step in one process (PostgreSQL and SQLite).

The end-to-end tests (``test_crash_recovery.py``) show them with real workers; here the
interleavings are forced, so each rule is checked deterministically on both backends:

- a delivery claimed in a batch whose lease ran out before its turn is not started
  (another worker may have taken it back);
- a worker whose delivery was taken over while it ran commits none of its changes;
- a delivery waiting on an earlier action is not "due" by its own time (no busy loop).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.actions.registry import REGISTRY, ActionContext, register
from hub.executor import run_delivery
from hub.ledger import DeliveryLedger
from hub.matching import match_event
from hub.retry import RetryPolicy
from hub.runtime import HubSettings
from tests.factories import Factory
from tests.hub.helpers import recipe
from webapp.extensions import db
from webapp.models import Delivery, DeliveryStatus, Event, Item, Message, Recipe, utcnow

SETTINGS = HubSettings(retry=RetryPolicy(schedule=(0, 1, 1), jitter=0), lease_seconds=60)


def _ledger(session: Session) -> DeliveryLedger:
    return DeliveryLedger(session, SETTINGS.retry, SETTINGS.lease_seconds)


def _matched(make: Factory, *titles: str) -> list[Item]:
    """Items created, and their ticket.created events matched (deliveries written)."""
    project = make.project()
    items = [make.item(project, title=title) for title in titles]
    for item in items:
        event_id = make.session.scalar(select(Event.id).where(
            Event.type == "ticket.created", Event.subject_id == item.id))
        match_event(make.session, event_id, max_depth=5)
    return items


def _only_this_recipe(make: Factory) -> None:
    make.session.execute(update(Recipe).where(Recipe.builtin_key.is_not(None))
                         .values(enabled=False))
    make.session.commit()


def _expire_leases(make: Factory) -> None:
    """As if the lease time had passed."""
    make.session.execute(update(Delivery).where(Delivery.status == DeliveryStatus.RUNNING)
                         .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1)))
    make.session.commit()


def _messages(make: Factory, item: Item) -> int:
    make.session.expire_all()
    return make.session.scalar(select(func.count()).select_from(Message).where(
        Message.item_id == item.id))


def test_a_batch_whose_lease_ran_out_does_not_start_what_another_worker_took(
        app: Flask, make: Factory) -> None:
    _only_this_recipe(make)
    recipe(make.session, "note", "ticket.created", [("post_message", {"body": "hello"})])
    first, second = _matched(make, "First", "Second")
    slow = Session(bind=db.engine)
    fast = Session(bind=db.engine)
    try:
        slow_ledger, fast_ledger = _ledger(slow), _ledger(fast)
        claimed = slow_ledger.claim_due(10)
        assert len(claimed) == 2
        # The slow worker spends its whole lease on the first delivery; meanwhile the
        # lease runs out and a second worker takes both back.
        assert run_delivery(slow, slow_ledger, claimed[0], SETTINGS) \
            == DeliveryStatus.SUCCEEDED
        _expire_leases(make)
        assert fast_ledger.claim_due(10) == [claimed[1]]
        # The slow worker's turn for the second comes: it is not its own any more.
        assert run_delivery(slow, slow_ledger, claimed[1], SETTINGS) == DeliveryStatus.RUNNING
        assert _messages(make, second) == 0
        assert run_delivery(fast, fast_ledger, claimed[1], SETTINGS) \
            == DeliveryStatus.SUCCEEDED
        assert (_messages(make, first), _messages(make, second)) == (1, 1)
        delivery = make.session.get(Delivery, claimed[1])
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    finally:
        slow.close()
        fast.close()


@pytest.fixture
def taken_over_action(app: Flask) -> Iterator[dict[str, Any]]:
    """A test action that, while it runs, loses its lease to another worker (once), then
    changes the item's title."""
    state: dict[str, Any] = {"takeovers": 0}

    def run(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
        if state["takeovers"] == 0:
            state["takeovers"] += 1
            other = Session(bind=db.engine)
            try:
                other.execute(update(Delivery).where(Delivery.id == ctx.delivery.id).values(
                    lease_expires_at=utcnow() - dt.timedelta(seconds=1)))
                other.commit()
                state["claimed"] = _ledger(other).claim_due(10)
            finally:
                other.close()
        ctx.item.title = f"{ctx.item.title} (changed)"
        return {}

    register("test_taken_over", "Loses its lease while it runs (tests)", Schema,
             needs_item=True)(run)
    try:
        yield state
    finally:
        REGISTRY.pop("test_taken_over", None)


def test_a_worker_whose_delivery_was_taken_over_commits_nothing(
        app: Flask, make: Factory, taken_over_action: dict[str, Any]) -> None:
    _only_this_recipe(make)
    recipe(make.session, "slow", "ticket.created", [("test_taken_over", {})])
    [item] = _matched(make, "Original")
    session = Session(bind=db.engine)
    try:
        ledger = _ledger(session)
        [delivery_id] = ledger.claim_due(10)
        assert run_delivery(session, ledger, delivery_id, SETTINGS) == DeliveryStatus.RUNNING
    finally:
        session.close()
    assert taken_over_action["claimed"] == [delivery_id]
    make.session.expire_all()
    assert make.session.get(Item, item.id).title == "Original"  # rolled back
    delivery = make.session.get(Delivery, delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RUNNING, 2)

    # The worker that took it over completes it: the change is made once.
    other = Session(bind=db.engine)
    try:
        ledger = _ledger(other)
        ledger.lease_until = delivery.lease_expires_at  # its claim, made inside the action
        assert run_delivery(other, ledger, delivery_id, SETTINGS) == DeliveryStatus.SUCCEEDED
    finally:
        other.close()
    make.session.expire_all()
    assert make.session.get(Item, item.id).title == "Original (changed)"
    assert make.session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "ticket.updated", Event.subject_id == item.id)) == 1


def test_next_due_at_ignores_actions_waiting_on_an_earlier_one(
        app: Flask, make: Factory) -> None:
    _only_this_recipe(make)
    recipe(make.session, "two steps", "ticket.created",
           [("noop", {}), ("post_message", {"body": "after"})])
    _matched(make, "Waiting")
    first, follower = make.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    ledger = _ledger(make.session)
    assert ledger.next_due_at() == first.next_attempt_at

    # The first action failed and is retried in an hour; the second, written with the
    # event (so "due" long ago), waits for it: the next due time is in an hour.
    retry_at = utcnow() + dt.timedelta(hours=1)
    first.status, first.attempts, first.next_attempt_at = DeliveryStatus.FAILED, 1, retry_at
    make.session.commit()
    assert follower.next_attempt_at < utcnow()
    assert ledger.next_due_at() == retry_at
    assert ledger.claim_due(10) == []

    first.status = DeliveryStatus.SUCCEEDED
    make.session.commit()
    assert ledger.next_due_at() == follower.next_attempt_at
    assert ledger.claim_due(10) == [follower.id]
    assert ledger.next_due_at() == make.session.get(Delivery, follower.id).lease_expires_at


def test_replaying_a_skipped_action_replays_the_one_that_died_before_it(
        app: Flask, make: Factory) -> None:
    _only_this_recipe(make)
    two_steps = recipe(make.session, "two steps", "ticket.created", [
        ("set_status", {"status": "No such status"}), ("post_message", {"body": "after"})])
    [item] = _matched(make, "Replayed")
    ledger = _ledger(make.session)
    for delivery_id in ledger.claim_due(10):
        run_delivery(make.session, ledger, delivery_id, SETTINGS)
    dead, skipped = make.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert (dead.status, skipped.status) == (DeliveryStatus.DEAD, DeliveryStatus.SKIPPED)

    # The admin fixes the action, then replays the skipped one: both run, in order.
    two_steps.actions[0].params = {"status": "Open"}
    make.session.commit()
    ledger.replay(skipped)
    # The dead one's attempt stays counted (the replay is its attempt 2); the skipped one
    # never ran.
    assert (dead.status, dead.attempts) == (DeliveryStatus.PENDING, 1)
    assert dead.result == {"replay": {"after_attempt": 1}}
    assert (skipped.status, skipped.attempts) == (DeliveryStatus.PENDING, 0)
    while claimed := ledger.claim_due(10):
        for delivery_id in claimed:
            run_delivery(make.session, ledger, delivery_id, SETTINGS)
    make.session.expire_all()
    assert [(d.status, d.attempts) for d in make.session.scalars(
        select(Delivery).order_by(Delivery.id))] == [(DeliveryStatus.SUCCEEDED, 2),
                                                     (DeliveryStatus.SUCCEEDED, 1)]
    assert make.session.get(Item, item.id).status.name == "Open"
    assert _messages(make, item) == 1
