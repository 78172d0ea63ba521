"""Units of hub work shared by RQ jobs, the in-process runner and the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub import runtime
from hub.executor import run_delivery
from hub.ledger import DeliveryLedger
from hub.matching import match_event, unprocessed_event_ids
from hub.runtime import Runtime


def process_events(event_ids: Sequence[int], rt: Runtime | None = None) -> list[int]:
    """Match events against recipes; returns the ids of the deliveries written."""
    rt = rt or runtime.get()
    created: list[int] = []
    with runtime.session_scope(rt) as session:
        for event_id in event_ids:
            created += match_event(session, event_id, rt.settings.max_depth)
    return created


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
            for delivery_id in claimed:
                run_delivery(session, ledger, delivery_id, settings)
                done += 1
            batches += 1
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
