"""The per-connection rate budget, shared by every worker.

When a vendor answers 429, the connection is paused for its ``Retry-After``: the delivery that
got the 429 is rescheduled after it (the ledger honours ``after``), and every other delivery to
the same connection finds the pause before calling and is rescheduled to its end, instead of
spending the vendor's patience (and our attempts) on more 429s.

The pause lives in Redis when the installation has one (``REDIS_URL``: all RQ workers share
it), else in the database (``connection.paused_until``: the in-process runner and any worker
on the same database share it).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.retry import MAX_RETRY_AFTER
from webapp.models import Connection, utcnow

log = logging.getLogger(__name__)


class Budget(Protocol):
    def wait_seconds(self) -> float:
        """How long calls to the connection must still wait (0: go ahead)."""

    def pause(self, seconds: float) -> None:
        """Nobody calls the connection for ``seconds`` (a pause only ever grows)."""


def _bounded(seconds: float) -> float:
    return max(0.0, min(float(seconds), MAX_RETRY_AFTER))


# Only lengthen the pause: SET with the new expiry if it ends later than the current one.
_PAUSE_SCRIPT = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return ttl
"""

_clients: dict[str, Redis] = {}
_clients_lock = threading.Lock()


def _redis(url: str) -> Redis:
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            _clients[url] = client
        return client


class RedisBudget:
    def __init__(self, client: Redis, connection_id: int) -> None:
        self.client = client
        self.key = f"relaydesk:connection:{connection_id}:paused"

    def wait_seconds(self) -> float:
        try:
            ttl = int(self.client.pttl(self.key))
        except RedisError as exc:  # Redis down: call and let the vendor say
            log.warning("rate budget unreadable", extra={"key": self.key, "error": str(exc)})
            return 0.0
        return ttl / 1000.0 if ttl > 0 else 0.0

    def pause(self, seconds: float) -> None:
        milliseconds = int(_bounded(seconds) * 1000)
        if milliseconds <= 0:
            return
        try:
            self.client.eval(_PAUSE_SCRIPT, 1, self.key, milliseconds)
        except RedisError as exc:
            log.warning("rate budget not recorded", extra={"key": self.key, "error": str(exc)})


class DatabaseBudget:
    """The pause as ``connection.paused_until``, written in a transaction of its own."""

    def __init__(self, session: Session, connection_id: int) -> None:
        self.session = session
        self.connection_id = connection_id

    def wait_seconds(self) -> float:
        until = self.session.scalar(select(Connection.paused_until).where(
            Connection.id == self.connection_id))
        if until is None:
            return 0.0
        return max(0.0, (until - utcnow()).total_seconds())

    def pause(self, seconds: float) -> None:
        """Called as the action fails: what it changed is rolled back first (the executor
        would roll it back anyway), so only the pause is committed."""
        until = utcnow() + dt.timedelta(seconds=_bounded(seconds))
        self.session.rollback()
        self.session.execute(
            update(Connection).where(
                Connection.id == self.connection_id,
                or_(Connection.paused_until.is_(None), Connection.paused_until < until),
            ).values(paused_until=until).execution_options(synchronize_session=False))
        self.session.commit()


def budget_for(session: Session, connection_id: int, redis_url: str | None) -> Budget:
    if redis_url:
        return RedisBudget(_redis(redis_url), connection_id)
    return DatabaseBudget(session, connection_id)
