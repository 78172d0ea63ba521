"""RQ job functions (importable by name from the worker)."""

from __future__ import annotations

from rq import get_current_job

from hub.work import process_events, process_pending, run_due_deliveries


def work_pending(wake_key: str) -> int:
    """Match every unmatched event and run what is due.

    The wake-up flag is cleared first: a commit after this point queues a new job, so no
    event can fall between this job's look and the next one.
    """
    job = get_current_job()
    if job is not None:
        job.connection.delete(wake_key)
    return process_pending()


def process_event(event_id: int) -> int:
    """Match one event, then run whatever is due (amortising the job's overhead)."""
    process_events([event_id])
    return run_due_deliveries()


def process_event_batch(event_ids: list[int]) -> int:
    process_events(event_ids)
    return run_due_deliveries()


def run_due() -> int:
    return run_due_deliveries()
