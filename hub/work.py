"""Units of hub work shared by RQ jobs, the in-process runner and the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub import runtime
from hub.executor import run_delivery
from hub.ledger import DeliveryLedger
from hub.matching import match_events, unprocessed_event_ids
from hub.runtime import Runtime
from webapp.models import DeliveryStatus


def process_events(event_ids: Sequence[int], rt: Runtime | None = None) -> list[int]:
    """Match events against recipes; returns the ids of the deliveries written."""
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return match_events(session, event_ids, rt.settings.max_depth)


def process_pending(rt: Runtime | None = None, batch: int = 200) -> int:
    """Match every event not matched yet and run what is due: one job's worth of work for
    however many commits woke it. Returns the deliveries run."""
    rt = rt or runtime.get()
    done = 0
    while True:
        with runtime.session_scope(rt) as session:
            pending = unprocessed_event_ids(session, 0, batch)
            if pending:
                match_events(session, pending, rt.settings.max_depth)
        done += run_due_deliveries(rt)
        if len(pending) < batch:
            return done


def run_due_deliveries(rt: Runtime | None = None, max_batches: int | None = None) -> int:
    """Claim and run due deliveries batch after batch until none is due."""
    rt = rt or runtime.get()
    settings = rt.settings
    done = batches = 0
    with runtime.session_scope(rt) as session:
        ledger = DeliveryLedger(session, settings.retry, settings.lease_seconds)
        while max_batches is None or batches < max_batches:
            claimed = ledger.claim_due(settings.batch_size)
            if not claimed:
                break
            succeeded = []
            for delivery_id in claimed:
                if run_delivery(session, ledger, delivery_id, settings) == \
                        DeliveryStatus.SUCCEEDED:
                    succeeded.append(delivery_id)
                done += 1
            batches += 1
            if len(claimed) < settings.batch_size and not ledger.has_followers(succeeded):
                # The claim took everything due, and no success let a waiting next action
                # of its recipe become due: asking again would find nothing.
                break
    return done


def sweep_events(rt: Runtime | None = None, limit: int = 500) -> list[int]:
    """Ids of events nobody processed within the grace period."""
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return unprocessed_event_ids(session, rt.settings.sweep_grace_seconds, limit)


def next_due_at(rt: Runtime | None = None) -> dt.datetime | None:
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return DeliveryLedger(session, rt.settings.retry, rt.settings.lease_seconds).next_due_at()
