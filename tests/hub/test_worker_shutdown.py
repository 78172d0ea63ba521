"""A burst worker exits promptly after its last job: RQ's command-channel thread polls every
second (hub/rq_worker.py), so its shutdown never waits out redis-py's 60 s poll (which made
``relaydesk worker --burst`` hang for up to a minute at random)."""

from __future__ import annotations

import time

from rq import Queue

from hub.rq_worker import POLL_SECONDS, HubSimpleWorker, HubWorker
from tests.hub.conftest import Hub


def test_the_command_thread_polls_every_second_and_stops_at_once(hub: Hub) -> None:
    for worker_class in (HubSimpleWorker, HubWorker):
        worker = worker_class([Queue("hub", connection=hub.redis)], connection=hub.redis)
        for _ in range(5):  # the race was in the thread's loop: try it a few times
            worker.subscribe()
            assert worker.pubsub_thread.sleep_time == POLL_SECONDS
            time.sleep(0.05)  # let the thread read the subscription's confirmation
            started = time.monotonic()
            worker.unsubscribe()
            assert not worker.pubsub_thread.is_alive()
            assert time.monotonic() - started < 30 * POLL_SECONDS


def test_a_burst_worker_with_nothing_to_do_exits(hub: Hub) -> None:
    for _ in range(3):
        hub.burst(timeout=30)
