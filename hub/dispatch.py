"""Handing committed events to whatever works the ledger: RQ workers or the in-process runner."""

from __future__ import annotations

import logging
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def events_committed(self, event_ids: list[int]) -> None: ...
    def events_lost(self, event_ids: list[int]) -> None: ...

    def deliveries_due(self) -> None: ...


def wake_key(queue_name: str) -> str:
    """Set while a ``work_pending`` job is queued and not started yet."""
    return f"relaydesk:{queue_name}:wake"


WAKE_TTL_SECONDS = 10
"""A queued wake-up older than this no longer holds back a new one (a lost job)."""


class RQDispatcher:
    """Fast path: after a commit, make sure a job is queued that matches every unmatched
    event and runs what is due. Commits that arrive while such a job waits in the queue share
    it, so a burst costs a few jobs rather than one per event; the events themselves are in
    the database (the ledger), RQ only carries the wake-up. A Redis outage only delays work:
    the scheduler's sweeper enqueues what was missed."""

    def __init__(self, redis_url: str, queue_name: str = "hub") -> None:
        self.connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self.queue = Queue(queue_name, connection=self.connection)
        self.wake_key = wake_key(queue_name)

    def events_committed(self, event_ids: list[int]) -> None:
        try:
            if self.connection.set(self.wake_key, 1, nx=True, ex=WAKE_TTL_SECONDS):
                try:
                    self.queue.enqueue("hub.jobs.work_pending", self.wake_key, result_ttl=0,
                                       failure_ttl=86400)
                except RedisError:
                    # A wake-up flag with no job behind it would hold back every commit's
                    # wake-up until it expires: take it back.
                    self.connection.delete(self.wake_key)
                    raise
        except RedisError as exc:
            log.warning("could not enqueue events; the sweeper will pick them up",
                        extra={"event_ids": event_ids, "error": str(exc)})

    def events_lost(self, event_ids: list[int]) -> None:
        """The sweeper's safe path: always queue a wake-up. A wake-up key whose job was lost
        (a Redis restart, a flushed queue) must not hold the sweep back until it expires."""
        try:
            self.connection.set(self.wake_key, 1, ex=WAKE_TTL_SECONDS)
            self.queue.enqueue("hub.jobs.work_pending", self.wake_key, result_ttl=0,
                               failure_ttl=86400)
        except RedisError as exc:
            log.warning("could not enqueue swept events; the next sweep retries",
                        extra={"event_ids": event_ids, "error": str(exc)})

    def deliveries_due(self) -> None:
        try:
            self.queue.enqueue("hub.jobs.run_due", result_ttl=0, failure_ttl=86400)
        except RedisError as exc:
            log.warning("could not enqueue due deliveries", extra={"error": str(exc)})


class NullDispatcher:
    """For processes that only write (tests, CLI): the sweeper finds their events."""

    def events_committed(self, event_ids: list[int]) -> None:
        return None

    def events_lost(self, event_ids: list[int]) -> None:
        return None

    def deliveries_due(self) -> None:
        return None
