"""Deliveries per second of a no-op action through the whole engine, against raw RQ no-op jobs.

Same run, same Redis, same worker class (RQ's SimpleWorker in burst mode, in this process):

* baseline: N jobs of ``bench.noop_jobs.noop`` enqueued, then worked.
* engine:   N tickets committed (the outbox writes N events, each commit enqueues a job), then
  worked: each job matches its event against the recipes, writes the delivery, claims it
  under a lease, runs the no-op action and records the outcome.

Rounds alternate (baseline, engine, engine, baseline, …); the last line is
``ratio=<engine deliveries/s ÷ baseline jobs/s>`` from the medians.

    .venv/bin/python bench/hub_throughput.py [--events 1000] [--rounds 4] [--redis-db 14]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from redis import Redis  # noqa: E402
from rq import Queue, SimpleWorker  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.harness import fresh_database, log, migrated_app  # noqa: E402
from bench.hub_engine import create_ticket, prepare, ticket_type  # noqa: E402
from hub import runtime  # noqa: E402
from webapp.automation import app_runtime  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Delivery, DeliveryStatus  # noqa: E402


def _work(queue: Queue, connection: Redis) -> float:
    started = time.perf_counter()
    SimpleWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
    return time.perf_counter() - started


def _succeeded() -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.status == DeliveryStatus.SUCCEEDED)) or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        app = migrated_app(url, data_dir, REDIS_URL=redis_url)
        project_id = prepare(app)
        rt = app_runtime(app)
        runtime.configure(rt)
        queue = Queue(rt.settings.queue_name, connection=connection)
        baseline: list[float] = []
        engine: list[float] = []
        for round_no in range(args.rounds):
            order = ("baseline", "engine") if round_no % 2 == 0 else ("engine", "baseline")
            for side in order:
                if side == "baseline":
                    for _ in range(args.events):
                        queue.enqueue("bench.noop_jobs.noop", result_ttl=0)
                    rate = args.events / _work(queue, connection)
                    baseline.append(rate)
                else:
                    with app.app_context():
                        kind = ticket_type()
                        before = _succeeded()
                        for n in range(args.events):
                            create_ticket(project_id, kind, n)
                        db.session.remove()
                    elapsed = _work(queue, connection)
                    with app.app_context():
                        done = _succeeded() - before
                        db.session.remove()
                    if done != args.events:
                        raise SystemExit(f"engine round delivered {done} of {args.events}")
                    rate = done / elapsed
                    engine.append(rate)
                log(f"round {round_no + 1} {side}: {rate:.1f}/s")
        connection.flushdb()
    base, eng = statistics.median(baseline), statistics.median(engine)
    print(f"raw RQ no-op jobs/s (median of {len(baseline)}): {base:.1f}")
    print(f"engine no-op deliveries/s (median of {len(engine)}): {eng:.1f}")
    print(f"ratio={eng / base:.3f}")


if __name__ == "__main__":
    main()
