"""Event → webhook lag under a sustained ticket load through the API (gunicorn -w 2).

One fresh database, the shipped recipes, one webhook endpoint (a local receiver answering at
once), Redis, ``--workers`` ``relaydesk worker`` processes (2):

1. probe: ``--clients`` (50) client threads create tickets as fast as the API answers for
   ``--probe-seconds``: the sustainable create rate on this machine;
2. load:  the same clients create tickets at ``--share`` (50 %) of that rate for
   ``--seconds`` (60), paced.

Prints the API's p50/p99 of the load phase, the event → webhook received p50/p99, whether
every webhook arrived exactly once, then ``ratio=<lag p99 in seconds>`` (goal ≤ 2).

    .venv/bin/python bench/sustained_load.py [--seconds 60] [--clients 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from bench.api_create import Failure, gunicorn, login, prepare_database  # noqa: E402
from bench.harness import SECRET_KEY, fresh_database, log, migrated_app, percentile  # noqa: E402
from bench.slow_vendor import Peer, add_endpoint, emptied_redis, wait_workers, workers  # noqa: E402


def _clients(url: str, headers: dict[str, str], body: dict, clients: int, seconds: float,
             rate: float | None) -> tuple[list[float], int, float]:
    """``clients`` threads creating tickets for ``seconds``: as fast as answered, or paced
    at ``rate`` per second. Returns (latencies in s, errors, wall time)."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    slot = [0]
    started = time.perf_counter()
    end = started + seconds

    def work() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    number = slot[0]
                    slot[0] += 1
                at = started + number / rate if rate else time.perf_counter()
                if at >= end:
                    return
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                begun = time.perf_counter()
                try:
                    answer = session.post(url, headers=headers, timeout=60,
                                          json={**body, "title": f"load {number}"})
                    ok = answer.status_code == 201
                except requests.RequestException:
                    ok = False
                took = time.perf_counter() - begun
                with lock:
                    if ok:
                        latencies.append(took)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


def _lags(database_url: str, since: dt.datetime, peer: Peer, timeout: float = 180.0,
          ) -> tuple[list[float], int]:
    """Event → received (s) of the ticket.created events since ``since``; and how many of
    them arrived more than once."""
    from sqlalchemy import create_engine

    from webapp.models import Delivery, Event

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            made = dict(conn.execute(select(Event.id, Event.created_at).where(
                Event.type == "ticket.created", Event.created_at >= since)).all())
        deadline = time.time() + timeout
        while sum(1 for e in made if e in peer.received) < len(made) and time.time() < deadline:
            time.sleep(0.2)
        missing = [e for e in made if e not in peer.received]
        if missing:
            with engine.connect() as conn:
                states = conn.execute(select(Delivery.status, Delivery.last_error).where(
                    Delivery.event_id.in_(missing[:5]),
                    Delivery.webhook_endpoint_id.is_not(None))).all()
            raise Failure(f"{len(missing)} of {len(made)} webhooks never arrived; "
                          f"their deliveries: {states}")
    finally:
        engine.dispose()
    lags = [peer.received[e] - t.replace(tzinfo=dt.UTC).timestamp() for e, t in made.items()]
    twice = sum(1 for e in made if peer.count.get(e, 0) > 1)
    return lags, twice


def _drained(api_url: str, timeout: float = 300.0) -> None:
    """Until /health shows no unmatched event and no due delivery."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hub = requests.get(f"{api_url}/health", timeout=10).json().get("hub", {})
        if hub.get("oldest_unmatched_event_age_seconds") is None and \
                hub.get("due_deliveries") == 0:
            return
        time.sleep(0.5)
    raise Failure(f"the hub still had work {timeout:g}s after the probe")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--probe-seconds", type=float, default=15.0)
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=14)
    args = parser.parse_args()
    redis_url, connection = emptied_redis(args.redis_db)
    key = Fernet.generate_key().decode()
    peer = Peer()
    with ExitStack() as stack:
        stack.callback(connection.flushdb)
        stack.callback(peer.close)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="relaydesk-bench-")))
        database_url = stack.enter_context(fresh_database())
        fixture = prepare_database(database_url, tmp)
        app = migrated_app(database_url, str(tmp), CONNECTION_KEY=key)
        with app.app_context():
            add_endpoint("receiver", peer.url, key, str(tmp))
        env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "ERROR",
               "RELAYDESK_DATA_DIR": str(tmp), "RELAYDESK_SEED_DEMO": "false",
               "REDIS_URL": redis_url, "CONNECTION_KEY": key,
               "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}
        # Workers first: /health (which gunicorn's start waits for) answers 503 while events
        # wait and no worker is alive.
        stack.enter_context(workers(args.workers, env))
        wait_workers(connection, args.workers)
        api_url = stack.enter_context(gunicorn("api", "webapp.wsgi:app", env,
                                               args.web_workers, tmp))
        token = login(api_url)
        url = f"{api_url}/api/v1/ticket/"
        headers = {"Authorization": f"Bearer {token}"}
        body = {"item_type": fixture.item_type_id, "status": fixture.status_id,
                "project": fixture.project_id, "priority": 2, "custom_values": {}}

        log(f"probe: {args.clients} clients as fast as answered for {args.probe_seconds:g}s")
        probe, errors, wall = _clients(url, headers, body, args.clients, args.probe_seconds,
                                       None)
        sustainable = len(probe) / wall
        log(f"probe: {sustainable:.1f} tickets/s ({errors} errors); letting the hub drain")
        _drained(api_url)
        rate = sustainable * args.share
        log(f"load: {rate:.1f} tickets/s ({args.share:.0%}) for {args.seconds:g}s")
        since = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        api, errors, wall = _clients(url, headers, body, args.clients, args.seconds, rate)
        lags, twice = _lags(database_url, since, peer)
    print(f"sustainable create rate: {sustainable:.1f}/s; load {len(api) / wall:.1f}/s for "
          f"{wall:.0f}s, {errors} errors, gunicorn -w {args.web_workers}, "
          f"{args.workers} hub workers")
    print(f"API create: n={len(api)}  p50 {percentile(api, 0.5) * 1000:.0f} ms  "
          f"p99 {percentile(api, 0.99) * 1000:.0f} ms")
    p99 = percentile(lags, 0.99)
    print(f"event → webhook received: n={len(lags)}  p50 {percentile(lags, 0.5):.3f} s  "
          f"p99 {p99:.3f} s  max {max(lags):.3f} s; received more than once: {twice}")
    print(f"ratio={p99:.3f}")


if __name__ == "__main__":
    main()
