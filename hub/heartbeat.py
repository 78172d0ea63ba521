"""Worker heartbeats in Redis, for an honest ``/health``.

RQ's own worker registry said ``workers: 1`` after both workers were SIGKILLed (their keys
live until a TTL runs out) and ``workers: 0`` after a Redis restart while two were alive (RQ
registers a worker once, at birth). Here every ``relaydesk worker`` writes its name and the
time (Redis server time, so the web process and the workers agree on the clock) into one
sorted set every few seconds: a killed worker stops appearing after the window, and a Redis
restart is healed by the next beat.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: Beats older than this are dropped from the set (a dead worker's name does not pile up).
FORGET_AFTER_SECONDS = 86400.0


def key(queue_name: str) -> str:
    return f"relaydesk:{queue_name}:heartbeats"


def _now(connection: Redis) -> float:
    seconds, micros = connection.time()
    return float(seconds) + micros / 1e6


def beat(connection: Redis, queue_name: str, worker: str) -> None:
    now = _now(connection)
    pipe = connection.pipeline()
    pipe.zadd(key(queue_name), {worker: now})
    pipe.zremrangebyscore(key(queue_name), 0, now - FORGET_AFTER_SECONDS)
    pipe.execute()


def forget(connection: Redis, queue_name: str, worker: str) -> None:
    connection.zrem(key(queue_name), worker)


def live_workers(connection: Redis, queue_name: str, window: float) -> list[str]:
    """Names of the workers that beat within the last ``window`` seconds."""
    now = _now(connection)
    names = connection.zrangebyscore(key(queue_name), now - window, "+inf")
    return sorted(n.decode() if isinstance(n, bytes) else str(n) for n in names)


class Heartbeat:
    """A daemon thread beating every ``interval`` seconds until stopped (then forgotten)."""

    def __init__(self, connection: Redis, queue_name: str, worker: str,
                 interval: float) -> None:
        self.connection = connection
        self.queue_name = queue_name
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="relaydesk-heartbeat")

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                beat(self.connection, self.queue_name, self.worker)
            except RedisError as exc:  # Redis down or restarting: the next beat retries
                log.warning("heartbeat failed", extra={"error": str(exc)})
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        try:
            forget(self.connection, self.queue_name, self.worker)
        except RedisError:
            pass  # the window ends its entry anyway
