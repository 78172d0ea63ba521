"""RQ job functions (importable by name from the worker)."""

from __future__ import annotations

from hub.work import process_events, run_due_deliveries


def process_event(event_id: int) -> int:
    """Match one event, then run whatever is due (amortising the job's overhead)."""
    process_events([event_id])
    return run_due_deliveries()


def process_event_batch(event_ids: list[int]) -> int:
    process_events(event_ids)
    return run_due_deliveries()


def run_due() -> int:
    return run_due_deliveries()
