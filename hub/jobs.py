"""RQ job functions (importable by name from the worker).

A job matches events and hands what is due to the worker's lanes (hub.lanes). A long-running
worker does not wait for the calls (its lanes go on while the next job matches the next
commits); a burst worker, and anything that calls the jobs directly, waits for them.
"""

from __future__ import annotations

from rq import get_current_job

from hub.work import process_events, process_pending, run_due_deliveries

#: False in a long-running ``relaydesk worker`` (set by the command).
WAIT_FOR_DELIVERIES = True


def work_pending(wake_key: str) -> int:
    """Match every unmatched event and run what is due.

    The wake-up flag is cleared first: a commit after this point queues a new job, so no
    event can fall between this job's look and the next one.
    """
    job = get_current_job()
    if job is not None:
        job.connection.delete(wake_key)
    return process_pending(wait=WAIT_FOR_DELIVERIES)


def process_event(event_id: int) -> int:
    """Match one event, then run whatever is due (amortising the job's overhead)."""
    process_events([event_id])
    return run_due_deliveries(wait=WAIT_FOR_DELIVERIES)


def process_event_batch(event_ids: list[int]) -> int:
    process_events(event_ids)
    return run_due_deliveries(wait=WAIT_FOR_DELIVERIES)


def run_due() -> int:
    return run_due_deliveries(wait=WAIT_FOR_DELIVERIES)
