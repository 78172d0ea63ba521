"""A fast webhook receiver's latency with and without slow neighbours (head-of-line blocking).

Same run, same Redis, the same two ``relaydesk worker`` processes (8 lanes each):

* without: one fast endpoint (answers at once) gets every ``ticket.created``;
* with:    the same, plus an endpoint answering after 8 s and one that never answers within
  the webhook timeout (10 s), subscribed to the same events.

Latency = the fast receiver got the POST − the event was written. Prints p50/p99 of both
phases (and of the no-op internal action beside them), then
``ratio=<fast p99 with ÷ fast p99 without>`` (goal ≤ 2: the slow ones delay nobody).

    .venv/bin/python bench/slow_vendor.py [--rate 10] [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from cryptography.fernet import Fernet  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from bench.harness import ROOT, fresh_database, log, migrated_app, percentile  # noqa: E402
from bench.hub_engine import create_ticket, prepare, ticket_type  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Delivery, DeliveryStatus, Event, WebhookEndpoint  # noqa: E402
from webapp.models.connections import connection_cipher  # noqa: E402


class Peer:
    """A webhook receiver on 127.0.0.1 answering after ``delay`` seconds; it keeps the time
    each event (by id) first arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: dict[int, float] = {}
        self.count: dict[int, int] = {}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event_id = int(json.loads(body)["data"]["id"])
                peer.received.setdefault(event_id, at)
                peer.count[event_id] = peer.count.get(event_id, 0) + 1
                if peer.delay:
                    time.sleep(peer.delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def add_endpoint(name: str, url: str, key: str, data_dir: str,
                 events: tuple[str, ...] = ("ticket.created",)) -> int:
    """A webhook endpoint (inside an app context); returns its id."""
    endpoint = WebhookEndpoint(name=name, url=url, event_types=list(events))
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    endpoint.set_secret(secret, connection_cipher(key, data_dir))
    db.session.add(endpoint)
    db.session.commit()
    return endpoint.id


@contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``relaydesk worker`` processes, stopped at the end however long their calls take: a
    SIGTERM lets each finish its calls in flight; after ``stop_after`` s it is killed."""
    started = [subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"], cwd=ROOT,
                                env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(count)]
    try:
        yield started
    finally:
        stop(started)


def stop(processes: list[subprocess.Popen[bytes]], stop_after: float = 20.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + stop_after
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"worker {process.pid} still busy {stop_after:g}s after SIGTERM: killed")
            process.kill()
            process.wait(10)


def emptied_redis(number: int) -> tuple[str, Redis]:
    """The bench's Redis database, emptied: its URL and a connection."""
    url = f"redis://127.0.0.1:6379/{number}"
    connection = Redis.from_url(url)
    connection.flushdb()
    return url, connection


def wait_workers(connection: Redis, count: int, timeout: float = 120.0) -> None:
    """Until ``count`` workers sent their first heartbeat (booted and listening)."""
    from hub.heartbeat import live_workers

    deadline = time.monotonic() + timeout
    while len(live_workers(connection, "hub", 30)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} workers did not start within {timeout:g}s")
        time.sleep(0.2)


def paced(rate: float, seconds: float) -> Iterator[int]:
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield n


def _phase(name: str, project_id: int, rate: float, seconds: float, fast: Peer,
           offset: int) -> tuple[list[float], list[float]]:
    """Tickets at ``rate``; the fast receiver's and the no-op's latencies (ms)."""
    log(f"{name}: tickets at {rate:g}/s for {seconds:g}s")
    kind = ticket_type()
    first_event = db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    db.session.rollback()
    for n in paced(rate, seconds):
        create_ticket(project_id, kind, offset + n)
    expected = int(rate * seconds)
    made = dict(db.session.execute(select(Event.id, Event.created_at).where(
        Event.id > first_event, Event.type == "ticket.created")).all())
    db.session.rollback()
    deadline = time.time() + 120
    while sum(1 for e in made if e in fast.received) < expected and time.time() < deadline:
        time.sleep(0.2)
    fast_ms = [(fast.received[e] - t.replace(tzinfo=dt.UTC).timestamp()) * 1000
               for e, t in made.items() if e in fast.received]
    rows: list = []
    while time.time() < deadline:
        rows = db.session.execute(select(Delivery.finished_at, Event.created_at).join(
            Event, Event.id == Delivery.event_id).where(
            Event.id > first_event, Delivery.action_type == "noop",
            Delivery.status == DeliveryStatus.SUCCEEDED)).all()
        db.session.rollback()
        if len(rows) >= expected:
            break
        time.sleep(0.2)
    noop_ms = [(done - at).total_seconds() * 1000 for done, at in rows]
    if len(fast_ms) < expected or len(noop_ms) < expected:
        errors = db.session.execute(select(Delivery.action_type, Delivery.status,
                                           Delivery.last_error).limit(5)).all()
        log(f"deliveries: {errors}")
        raise SystemExit(f"{name}: only {len(fast_ms)} webhooks and {len(noop_ms)} no-ops of "
                         f"{expected} arrived within 120 s")
    return fast_ms, noop_ms


def _report(name: str, millis: list[float]) -> float:
    p99 = percentile(millis, 0.99)
    print(f"{name}: n={len(millis)}  p50 {percentile(millis, 0.50):.1f} ms  p99 {p99:.1f} ms  "
          f"max {max(millis):.1f} ms")
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    redis_url, connection = emptied_redis(args.redis_db)
    key = Fernet.generate_key().decode()
    fast, slow, stalled = Peer(), Peer(delay=8.0), Peer(delay=60.0)
    try:
        with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
            settings = {"REDIS_URL": redis_url, "CONNECTION_KEY": key,
                        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
                        "WEBHOOK_TIMEOUT_SECONDS": 10.0}
            app = migrated_app(url, data_dir, **settings)
            project_id = prepare(app)
            env = {"DATABASE_URL": url, "RELAYDESK_DATA_DIR": data_dir, "LOG_LEVEL": "ERROR",
                   **{k: str(v) for k, v in settings.items()}}
            with app.app_context(), workers(args.workers, env):
                add_endpoint("fast", fast.url, key, data_dir)
                wait_workers(connection, args.workers)
                create_ticket(project_id, ticket_type(), -1)  # warm-up: first job's imports
                time.sleep(2)
                without = _phase("without slow endpoints", project_id, args.rate,
                                 args.seconds, fast, 0)
                for name, peer in (("slow (8 s)", slow), ("timing out", stalled)):
                    add_endpoint(name, peer.url, key, data_dir)
                with_slow = _phase("with slow endpoints", project_id, args.rate, args.seconds,
                                   fast, 100000)
                log(f"slow endpoint received {len(slow.received)}, timing-out one "
                    f"{len(stalled.received)} (each holds at most half of a worker's lanes)")
                db.session.execute(update(WebhookEndpoint).values(enabled=False))
                db.session.commit()
                db.session.remove()
    finally:
        for peer in (fast, slow, stalled):
            peer.close()
        connection.flushdb()
    base = _report("fast endpoint, alone: event → received", without[0])
    _report("no-op action, alone: event → done", without[1])
    loaded = _report("fast endpoint, beside slow ones: event → received", with_slow[0])
    _report("no-op action, beside slow ones: event → done", with_slow[1])
    print(f"ratio={loaded / base:.3f}")


if __name__ == "__main__":
    main()
