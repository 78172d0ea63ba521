"""Units of hub work shared by RQ jobs, the in-process runner and the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub import runtime
from hub.executor import run_delivery
from hub.lanes import pool, run_until_idle
from hub.ledger import DeliveryLedger
from hub.matching import match_events, unprocessed_event_ids
from hub.runtime import Runtime


def process_events(event_ids: Sequence[int], rt: Runtime | None = None) -> list[int]:
    """Match events against recipes; returns the ids of the deliveries written."""
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return match_events(session, event_ids, rt.settings.max_depth)


def process_pending(rt: Runtime | None = None, batch: int | None = None, *,
                    wait: bool = True) -> int:
    """Match every event not matched yet and have what is due run: one job's worth of work
    for however many commits woke it. ``wait``: return once the due deliveries ran (their
    count); otherwise hand them to this process's lanes and return 0."""
    rt = rt or runtime.get()
    batch = batch or rt.settings.batch_size
    while True:
        with runtime.session_scope(rt) as session:
            pending = unprocessed_event_ids(session, 0, batch)
            if pending:
                match_events(session, pending, rt.settings.max_depth)
        if len(pending) < batch:
            return run_due_deliveries(rt, wait=wait)
        run_due_deliveries(rt, wait=False)  # start on these while the next batch is matched


def run_due_deliveries(rt: Runtime | None = None, *, wait: bool = True) -> int:
    """Run what is due. On PostgreSQL the process's lanes run it (hub.lanes: no delivery
    waits on another destination's call); ``wait`` returns once nothing more is due and no
    call is in flight, with the count finished meanwhile. On SQLite (the embedded default,
    one writer at a time) the deliveries run one after the other in the caller's thread."""
    rt = rt or runtime.get()
    if _is_sqlite(rt):
        return _run_in_this_thread(rt)
    if not wait:
        pool(rt).kick()
        return 0
    return run_until_idle(rt)


def _run_in_this_thread(rt: Runtime) -> int:
    done = 0
    with runtime.session_scope(rt) as session:
        ledger = DeliveryLedger(session, rt.settings.retry, rt.settings.lease_seconds)
        while (claim := ledger.claim_one()) is not None:
            run_delivery(session, ledger, claim.id, rt.settings)
            done += 1
    return done


def _is_sqlite(rt: Runtime) -> bool:
    with runtime.session_scope(rt) as session:
        return session.get_bind().dialect.name == "sqlite"


def sweep_events(rt: Runtime | None = None, limit: int = 500) -> list[int]:
    """Ids of events nobody processed within the grace period."""
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return unprocessed_event_ids(session, rt.settings.sweep_grace_seconds, limit)


def next_due_at(rt: Runtime | None = None) -> dt.datetime | None:
    rt = rt or runtime.get()
    with runtime.session_scope(rt) as session:
        return DeliveryLedger(session, rt.settings.retry, rt.settings.lease_seconds).next_due_at()
