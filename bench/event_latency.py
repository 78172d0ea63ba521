"""Commit → action executed latency at a steady event rate, against raw RQ's enqueue → start.

Same run, same Redis, the same two ``relaydesk worker`` processes (RQ SimpleWorker):

* engine:   tickets committed at a steady rate (default 100/s); each commit's event is
  matched to a no-op recipe and run. Latency = delivery finished − event written.
* baseline: raw RQ jobs enqueued at the same rate; latency = job started − enqueued.

Prints p50/p95/p99 of both, then ``ratio=<engine p50 ÷ raw RQ p50>`` (lower is better).
Goals: engine p50 ≤ 30 ms, p99 ≤ 150 ms.

    .venv/bin/python bench/event_latency.py [--rate 100] [--seconds 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.harness import ROOT, fresh_database, log, migrated_app, percentile  # noqa: E402
from bench.hub_engine import create_ticket, prepare, ticket_type  # noqa: E402
from bench.slow_vendor import stop, wait_workers  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Delivery, DeliveryStatus, Event  # noqa: E402


def _paced(rate: float, seconds: float):  # type: ignore[no-untyped-def]
    """Yield n at the moments a steady ``rate`` per second calls for."""
    start = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield n


def _workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"], cwd=ROOT,
                             env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(count)]


def _report(name: str, millis: list[float]) -> float:
    p50 = percentile(millis, 0.50)
    print(f"{name}: n={len(millis)}  p50 {p50:.1f} ms  p95 {percentile(millis, 0.95):.1f} ms  "
          f"p99 {percentile(millis, 0.99):.1f} ms")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        app = migrated_app(url, data_dir, REDIS_URL=redis_url)
        project_id = prepare(app)
        workers = _workers(args.workers, {"DATABASE_URL": url, "REDIS_URL": redis_url,
                                          "RELAYDESK_DATA_DIR": data_dir,
                                          "LOG_LEVEL": "WARNING"})
        try:
            wait_workers(connection, args.workers)  # booted, not a fixed sleep
            key = f"bench:latency:{uuid.uuid4().hex}"
            queue = Queue("hub", connection=connection)
            log(f"baseline: raw RQ jobs at {args.rate:g}/s for {args.seconds:g}s")
            for _ in _paced(args.rate, args.seconds):
                queue.enqueue("bench.noop_jobs.stamp", key, time.time(), redis_url,
                              result_ttl=0)
            deadline = time.time() + 30
            expected = int(args.rate * args.seconds)
            while connection.llen(key) < expected and time.time() < deadline:
                time.sleep(0.2)
            raw = [float(v) * 1000 for v in connection.lrange(key, 0, -1)]

            log(f"engine: tickets at {args.rate:g}/s for {args.seconds:g}s")
            with app.app_context():
                kind = ticket_type()
                for n in _paced(args.rate, args.seconds):
                    create_ticket(project_id, kind, n)
                deadline = time.time() + 60
                query = select(Delivery.finished_at, Event.created_at).join(
                    Event, Event.id == Delivery.event_id).where(
                    Delivery.status == DeliveryStatus.SUCCEEDED)
                while time.time() < deadline:
                    rows = db.session.execute(query).all()
                    db.session.rollback()
                    if len(rows) >= expected:
                        break
                    time.sleep(0.2)
                engine = [(done - made).total_seconds() * 1000 for done, made in rows]
                db.session.remove()
        finally:
            stop(workers)  # a worker slow to stop is killed, not a crash
        connection.flushdb()
    if len(engine) < expected:
        raise SystemExit(f"only {len(engine)} of {expected} deliveries finished")
    base = _report("raw RQ enqueue → start", raw)
    eng = _report("engine commit → action executed", engine)
    print(f"ratio={eng / base:.3f}")


if __name__ == "__main__":
    main()
