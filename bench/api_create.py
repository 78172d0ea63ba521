"""Tickets created per second through the REST API, against a bare Flask insert of the same row.

Both sides run in the same run, on the same fresh PostgreSQL database, behind the same gunicorn
configuration, driven by the same client load:

* api:  ``POST /api/v1/ticket/`` of Relaydesk (``webapp.wsgi:app``) with a JWT of an Agent whose
  team owns the project: marshmallow validation, permission check, the scoped write check, commit.
* bare: ``POST /items/`` of ``bench/bare_insert_app.py``: Flask + Flask-SQLAlchemy inserting the
  same ``item`` row, no checks.

With the embedded default (no ``REDIS_URL``) the API's own workers also run the hub (the
in-process runner works each ticket's ``ticket.created`` event after the response), so an api
round ends only when the hub has drained: the api rate is the sustained rate, and none of its
background work spills into the bare rounds. ``--no-hub-runner`` measures the request alone.

The sides are measured in alternating rounds (api, bare, bare, api, api, bare, …) after a warm-up,
so that machine noise falls on both. The last line printed is ``ratio=<api rate / bare rate>``.

    .venv/bin/python bench/api_create.py [--requests 1000] [--threads 4] [--workers 2] [--rounds 10]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from bench.harness import ROOT, SECRET_KEY, fresh_database, log, migrated_app  # noqa: E402

USERNAME = "benchagent"
PASSWORD = "bench-Secret-1"
WARMUP = 50
START_TIMEOUT = 90.0


# --- the database -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """What the benchmark needs from the prepared database."""

    user_id: int
    project_id: int
    item_type_id: int
    status_id: int


def prepare_database(database_url: str, data_dir: Path) -> Fixture:
    """Migrate like ``relaydesk db upgrade``, then an Agent in a team that owns a project."""
    from webapp.access.scope import ROLE_AGENT
    from webapp.extensions import db
    from webapp.models import ItemKind, ItemType, Project, Status, Team
    from webapp.seed import create_user

    app = migrated_app(database_url, str(data_dir))
    with app.app_context():
        user = create_user(USERNAME, f"{USERNAME}@bench.example", PASSWORD, ROLE_AGENT)
        team = Team(name="Bench team", members=[user])
        project = Project(name="Bench project", teams=[team])
        db.session.add_all([team, project])
        db.session.commit()
        item_type = db.session.scalars(
            select(ItemType).where(ItemType.kind == ItemKind.TICKET, ItemType.name == "Ticket")
        ).one()
        status = db.session.scalars(
            select(Status).where(Status.item_type_id == item_type.id).order_by(Status.position)
        ).first()
        if status is None:
            raise Failure("the Ticket type has no status")
        fixture = Fixture(user.id, project.id, item_type.id, status.id)
        db.session.remove()
        db.engine.dispose()
    return fixture


def count_items(database_url: str, side: str) -> int:
    """How many tickets ``side`` created (their titles start with its name)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM item WHERE title LIKE :prefix"),
                                    {"prefix": f"{side} ticket %"}).scalar_one())
    finally:
        engine.dispose()


class HubBacklog:
    """Waits until the hub has worked every event and due delivery (the in-process runner
    works them after the response, in the API's own workers)."""

    QUERY = text(
        "SELECT (SELECT count(*) FROM event WHERE processed_at IS NULL)"
        " + (SELECT count(*) FROM delivery WHERE status IN ('pending', 'running')"
        "    AND (next_attempt_at IS NULL OR next_attempt_at <= now() AT TIME ZONE 'utc'))"
    )

    def __init__(self, database_url: str, timeout: float = 300.0) -> None:
        self.engine = create_engine(database_url, pool_size=1)  # one connection, kept
        self.timeout = timeout

    def applies(self) -> bool:
        """Whether this schema has the hub's ledger tables at all."""
        with self.engine.connect() as conn:
            return all(
                conn.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar()
                for name in ("event", "delivery")
            )

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self.QUERY).scalar_one())

    def wait(self) -> float:
        started = time.perf_counter()
        while self.pending():
            if time.perf_counter() - started > self.timeout:
                raise Failure(f"the hub still had work after {self.timeout:.0f}s")
            time.sleep(0.02)
        return time.perf_counter() - started

    def dispose(self) -> None:
        self.engine.dispose()


# --- the servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(name: str, wsgi_app: str, env: dict[str, str], workers: int,
             log_dir: Path) -> Iterator[str]:
    """Serve ``wsgi_app`` with gunicorn on a free local port; yields the base URL."""
    port = free_port()
    log_path = log_dir / f"gunicorn-{name}.log"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "1",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning",
        wsgi_app,
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, f"{base_url}/health", log_path)
        log(f"{name}: gunicorn pid {process.pid} serving {wsgi_app} at {base_url}")
        yield base_url
    finally:
        stop(process)


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n"
                               f"{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:.0f}s:\n"
                       f"{log_path.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate gunicorn's process group (arbiter and workers)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


# --- the load -----------------------------------------------------------------------------


@dataclass
class Side:
    """One server under test and what was measured of it."""

    name: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    settle: Callable[[], float] | None = None
    """Called after each round; waits for the server's background work, returns the seconds."""
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    settled: float = 0.0
    round_rates: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Failure(RuntimeError):
    pass


def run_round(side: Side, sessions: list[requests.Session], count: int,
              sequence: Iterator[int]) -> tuple[list[float], float]:
    """Send ``count`` creates with one thread per session; returns (latencies, wall time)."""
    lock = threading.Lock()
    remaining = iter(range(count))
    latencies: list[float] = []
    failures: list[str] = []

    def work(session: requests.Session) -> None:
        while not failures:
            with lock:
                if next(remaining, None) is None:
                    return
                number = next(sequence)
            body = {**side.body, "title": f"{side.name} ticket {number}"}
            started = time.perf_counter()
            response = session.post(side.url, json=body, headers=side.headers, timeout=60)
            took = time.perf_counter() - started
            if response.status_code != 201:
                failures.append(f"{side.name}: {response.status_code} {response.text[:500]}")
                return
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=work, args=(s,), daemon=True) for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise Failure(failures[0])
    return latencies, elapsed


def drive(sides: list[Side], requests_per_side: int, rounds: int, threads: int) -> None:
    """Warm up each side, then alternate measured rounds between the sides."""
    sequence = itertools.count(1)
    sessions = {side.name: [requests.Session() for _ in range(threads)] for side in sides}
    try:
        for side in sides:
            run_round(side, sessions[side.name], WARMUP, sequence)
            if side.settle is not None:
                side.settle()
            log(f"warm-up: {WARMUP} requests to {side.name}")
        sizes = [requests_per_side // rounds + (1 if i < requests_per_side % rounds else 0)
                 for i in range(rounds)]
        for number, size in enumerate(sizes, start=1):
            # api, bare, bare, api, …: a drift in machine speed falls on both sides alike
            for side in sides if number % 2 else reversed(sides):
                latencies, elapsed = run_round(side, sessions[side.name], size, sequence)
                settled = side.settle() if side.settle is not None else 0.0
                side.latencies.extend(latencies)
                side.elapsed += elapsed + settled
                side.settled += settled
                side.round_rates.append(size / (elapsed + settled))
                log(f"round {number}/{rounds} {side.name:>4}: {size} requests, "
                    f"{size / (elapsed + settled):7.1f} req/s"
                    + (f" (incl. {settled:.2f}s hub drain)" if settled else ""))
    finally:
        for group in sessions.values():
            for session in group:
                session.close()


def login(base_url: str) -> str:
    response = requests.post(f"{base_url}/api/v1/security/login", timeout=30, json={
        "username": USERNAME, "password": PASSWORD, "provider": "db"})
    if response.status_code != 200:
        raise Failure(f"login failed: {response.status_code} {response.text[:500]}")
    return str(response.json()["access_token"])


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000,
                        help="measured creates per side (default 1000)")
    parser.add_argument("--threads", type=int, default=4,
                        help="concurrent client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn sync workers per server (default 2)")
    parser.add_argument("--hub", choices=("redis", "inprocess", "off"), default="redis",
                        help="where the events of the created tickets go: 'redis' (default, "
                             "as deployed: enqueued to RQ for workers elsewhere; none run "
                             "here), 'inprocess' (the embedded default: a runner thread in "
                             "each API worker, waited for after each round), 'off'")
    parser.add_argument("--redis-db", type=int, default=15,
                        help="Redis database for --hub redis (flushed; default 15)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds the requests are split into (default 10)")
    args = parser.parse_args(argv)
    for name in ("requests", "threads", "workers", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    args.rounds = min(args.rounds, args.requests)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="relaydesk-bench-")))
        database_url = stack.enter_context(fresh_database())
        fixture = prepare_database(database_url, tmp)
        log(f"prepared: agent id {fixture.user_id}, project id {fixture.project_id}")
        api_env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "LOG_LEVEL": "WARNING",
            "RELAYDESK_DATA_DIR": str(tmp),
            "RELAYDESK_SEED_DEMO": "false",
            "REDIS_URL": "",
        }
        if args.hub == "redis":
            redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
            Redis.from_url(redis_url).flushdb()
            stack.callback(lambda: Redis.from_url(redis_url).flushdb())
            api_env["REDIS_URL"] = redis_url
        elif args.hub == "off":
            api_env["HUB_INPROCESS_RUNNER"] = "false"
        bare_env = {"BENCH_DATABASE_URL": database_url, "BENCH_USER_ID": str(fixture.user_id)}
        api_url = stack.enter_context(gunicorn("api", "webapp.wsgi:app", api_env,
                                               args.workers, tmp))
        bare_url = stack.enter_context(gunicorn("bare", "bench.bare_insert_app:app", bare_env,
                                                args.workers, tmp))
        body = {"item_type": fixture.item_type_id, "status": fixture.status_id,
                "project": fixture.project_id, "priority": 2, "custom_values": {}}
        token = login(api_url)
        settle: Callable[[], float] | None = None
        if args.hub == "inprocess":
            backlog = HubBacklog(database_url)
            stack.callback(backlog.dispose)
            if backlog.applies():
                settle = backlog.wait
        sides = [
            Side("api", f"{api_url}/api/v1/ticket/", {"Authorization": f"Bearer {token}"}, body,
                 settle=settle),
            Side("bare", f"{bare_url}/items/", {}, body),
        ]
        log(f"load: {args.requests} creates per side in {args.rounds} alternating rounds, "
            f"{args.threads} client threads, gunicorn -w {args.workers} --threads 1")
        drive(sides, args.requests, args.rounds, args.threads)

        for side in sides:
            stored = count_items(database_url, side.name)
            if stored != WARMUP + args.requests:
                raise Failure(f"{side.name}: expected {WARMUP + args.requests} tickets in the "
                              f"item table, found {stored}")

        print(f"tickets created per second, gunicorn -w {args.workers} --threads 1, "
              f"{args.threads} client threads, {args.requests} requests per side, "
              f"{args.rounds} alternating rounds, {os.cpu_count()} CPUs, events: {args.hub}")
        for side in sides:
            print(f"{side.name:>4}: {side.rate:8.1f} req/s   "
                  f"p50 {side.percentile(50) * 1000:6.1f} ms   "
                  f"p95 {side.percentile(95) * 1000:6.1f} ms"
                  + (f"   (rate includes {side.settled:.1f}s waiting for the hub to drain)"
                     if side.settle is not None else ""))
        api, bare = sides
        pairs = sorted(a / b for a, b in zip(api.round_rates, bare.round_rates, strict=True))
        print(f"per-round ratios: min {pairs[0]:.3f}  median {statistics.median(pairs):.3f}  "
              f"max {pairs[-1]:.3f}")
        print(f"ratio={api.rate / bare.rate:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
