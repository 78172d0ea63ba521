"""The hub end to end: a PostgreSQL app with real Redis, RQ workers as subprocesses, SMTP sink.

``hub_app`` is a session-wide app on a PostgreSQL database of its own, with ``REDIS_URL``
pointing at a Redis database (11, 12, 13 or 15 of ``TEST_REDIS_URL``, default the machine's
Redis) that this session locks for itself and empties around each test; a short lease (2 s) and a fast
retry schedule (0, 1 s, 1 s, no jitter).
Committed changes are enqueued to RQ by the app itself; the tests then run
``python -m webapp.cli worker --burst`` (the ``relaydesk worker`` command) in a subprocess with
the same settings, and look at the ledger and the effects.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import _create_pg_database, _drop_pg_database, build_app, reset_database
from tests.factories import Factory

REPO = Path(__file__).resolve().parents[2]
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: Redis databases the hub tests may use (14 is bench/hub_throughput.py's); a test session
#: locks one of them for itself, so that sessions running at the same time never take each
#: other's jobs or empty each other's queues.
HUB_REDIS_DBS = (11, 12, 13, 15)
_LOCK_KEY = "relaydesk:test-session"

#: What the test app and every worker it starts run with.
HUB_SETTINGS: dict[str, Any] = {
    "HUB_LEASE_SECONDS": 2.0,
    "HUB_RETRY_SCHEDULE": "0,1s,1s",
    "HUB_RETRY_JITTER": 0.0,
    "HUB_MAX_DEPTH": 3,
    "HUB_SWEEP_GRACE_SECONDS": 1.0,
    "HUB_BATCH_SIZE": 50,
}


def _claim_redis_db() -> tuple[str, str]:
    token = uuid.uuid4().hex
    for number in HUB_REDIS_DBS:
        url = f"{REDIS_BASE}/{number}"
        if Redis.from_url(url).set(_LOCK_KEY, token, nx=True, ex=3600):
            return url, token
    raise RuntimeError(f"every Redis database {HUB_REDIS_DBS} of {REDIS_BASE} is locked by "
                       f"another test session (key {_LOCK_KEY!r})")


def _release_redis_db(url: str, token: str) -> None:
    connection = Redis.from_url(url)
    if connection.get(_LOCK_KEY) == token.encode():
        connection.delete(_LOCK_KEY)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- SMTP peers


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    _controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        self.messages.clear()
        self.recipients.clear()

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


class StallingServer:
    """Accepts TCP connections and never says a word (an SMTP relay that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)
            self.accepted += 1
            self.connected.set()

    def hang_up(self) -> None:
        """Close the connections held so far (the client sees the relay disconnect)."""
        for conn in self._held:
            conn.close()
        self._held.clear()

    def close(self) -> None:
        self.hang_up()
        self.sock.close()


# ---------------------------------------------------------------- the hub harness


class Hub:
    """The hub test app, and the processes and waits the tests need around it."""

    def __init__(self, app: Flask, redis_url: str, database_url: str, data_dir: Path,
                 smtp: SmtpSink) -> None:
        self.app = app
        self.redis_url = redis_url
        self.database_url = database_url
        self.data_dir = data_dir
        self.smtp = smtp
        self.redis = Redis.from_url(redis_url)
        self.processes: list[subprocess.Popen[str]] = []

    # -- environment of worker / scheduler processes

    def env(self, **overrides: Any) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RELAYDESK_DATA_DIR": str(self.data_dir),
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": self.app.config["SECRET_KEY"],
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp.port),
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        })
        env.update({key: str(value) for key, value in HUB_SETTINGS.items()})
        env.update({key: str(value) for key, value in overrides.items()})
        return env

    def command(self, *args: str, timeout: float = 60, **env: Any) -> subprocess.CompletedProcess:
        """``relaydesk <args>`` to completion; fails the test on a non-zero exit."""
        done = subprocess.run([sys.executable, "-m", "webapp.cli", *args], cwd=REPO,
                              env=self.env(**env), capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"relaydesk {' '.join(args)} failed:\n{done.stderr}"
        return done

    def burst(self, timeout: float = 60, **env: Any) -> subprocess.CompletedProcess:
        """One ``relaydesk worker --burst``: works the queue until it is empty."""
        done = self.command("worker", "--burst", timeout=timeout, **env)
        self.assert_no_failed_jobs(env.get("REDIS_URL"))
        return done

    def start_worker(self, **env: Any) -> subprocess.Popen[str]:
        """A long-running ``relaydesk worker`` (stopped at the end of the test)."""
        process = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"], cwd=REPO,
                                   env=self.env(**env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.processes.append(process)
        return process

    def start_burst(self, **env: Any) -> subprocess.Popen[str]:
        """A ``relaydesk worker --burst`` in the background."""
        process = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker", "--burst"],
                                   cwd=REPO, env=self.env(**env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.processes.append(process)
        return process

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)
        self.processes.clear()

    # -- Redis

    def flush_redis(self) -> None:
        """Drop every RQ key (queues, jobs, registries, workers) and the wake-up flag of this
        session's database."""
        keys = list(self.redis.scan_iter("rq:*", count=1000))
        # The app's wake-up flag (hub.dispatch.wake_key) goes with the jobs it stands for:
        # left set, the next test's commits would queue no job for its workers.
        keys += list(self.redis.scan_iter("relaydesk:*:wake", count=1000))
        if keys:
            self.redis.delete(*keys)

    def queue(self, redis_url: str | None = None) -> Any:
        from rq import Queue

        connection = Redis.from_url(redis_url) if redis_url else self.redis
        return Queue("hub", connection=connection)

    def failed_jobs(self, redis_url: str | None = None) -> list[str]:
        from rq.job import Job

        queue = self.queue(redis_url)
        registry = queue.failed_job_registry
        jobs = Job.fetch_many(registry.get_job_ids(), connection=queue.connection)
        return [job.exc_info or job.id for job in jobs if job is not None]

    def assert_no_failed_jobs(self, redis_url: str | None = None) -> None:
        failed = self.failed_jobs(redis_url)
        assert not failed, "RQ jobs failed:\n" + "\n".join(failed)

    def enqueue(self, function: str, *args: Any) -> None:
        self.queue().enqueue(function, *args, result_ttl=0, failure_ttl=86400)

    # -- the database, as a fresh reader sees it

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session of its own app context (sees everything committed so far)."""
        from webapp.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def read(self, fn: Callable[[Session], Any]) -> Any:
        with self.session() as session:
            return fn(session)

    def wait_until(self, condition: Callable[[Session], Any], timeout: float = 30,
                   interval: float = 0.1, message: str = "condition") -> Any:
        """Poll ``condition(session)`` (a fresh session each time) until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.read(condition)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}")
            time.sleep(interval)

    def deliveries(self, **where: Any) -> list[Any]:
        """Delivery rows (detached snapshots as dicts) matching column == value."""
        from webapp.models import Delivery

        def query(session: Session) -> list[dict[str, Any]]:
            stmt = select(Delivery).order_by(Delivery.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(Delivery, key) == value)
            return [_row(d) for d in session.scalars(stmt)]

        return self.read(query)

    def events(self, **where: Any) -> list[dict[str, Any]]:
        from webapp.models import Event

        def query(session: Session) -> list[dict[str, Any]]:
            stmt = select(Event).order_by(Event.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(Event, key) == value)
            return [_row(e) for e in session.scalars(stmt)]

        return self.read(query)


def _row(obj: Any) -> dict[str, Any]:
    from sqlalchemy import inspect

    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def hub_session(tmp_path_factory: pytest.TempPathFactory, smtp_sink: SmtpSink) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("data-hub")
    pg_name, url = _create_pg_database()
    redis_url, lock = _claim_redis_db()
    try:
        app = build_app(url, data_dir, REDIS_URL=redis_url, SMTP_HOST="127.0.0.1",
                        SMTP_PORT=smtp_sink.port, **HUB_SETTINGS)
    except BaseException:
        _release_redis_db(redis_url, lock)
        _drop_pg_database(pg_name)
        raise
    app.config["TEST_BACKEND"] = "postgresql"
    hub = Hub(app, redis_url, url, data_dir, smtp_sink)
    hub.flush_redis()
    yield hub
    hub.stop_processes()
    from webapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    hub.flush_redis()
    _release_redis_db(redis_url, lock)
    _drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def hub_app(hub_session: Hub) -> Flask:
    """A PostgreSQL app whose commits are enqueued to a real Redis (RQ queue "hub")."""
    return hub_session.app


@pytest.fixture
def hub(hub_session: Hub, hub_app: Flask) -> Hub:
    return hub_session


@pytest.fixture(autouse=True)
def _reset_hub(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests on ``hub_app`` start with an empty queue and a fresh install, and leave no
    worker running."""
    if "hub_app" not in request.fixturenames:
        yield
        return
    hub: Hub = request.getfixturevalue("hub_session")
    hub.flush_redis()
    hub.smtp.clear()
    yield
    hub.stop_processes()
    hub.flush_redis()
    hub.smtp.clear()
    reset_database(hub.app)


@pytest.fixture
def hub_make(hub_app: Flask) -> Iterator[Factory]:
    """Builds rows in the hub app (its commits are enqueued like any other)."""
    with hub_app.app_context():
        yield Factory(hub_app)
