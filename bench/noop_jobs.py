"""Job functions of the raw-RQ baselines (importable by name from a worker)."""

from __future__ import annotations

import time

from redis import Redis


def noop() -> None:
    return None


def stamp(key: str, enqueued_at: float, redis_url: str) -> None:
    """Record how long after its enqueue this job started (raw RQ latency baseline)."""
    Redis.from_url(redis_url).rpush(key, time.time() - enqueued_at)
