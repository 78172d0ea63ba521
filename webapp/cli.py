"""The ``relaydesk`` command."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask

from webapp.access.scope import ROLE_ADMIN


def _app() -> Flask:
    from webapp import create_app

    try:
        return create_app()
    except ValueError as exc:  # a bad environment variable
        raise click.ClickException(str(exc)) from exc


@contextmanager
def click_progress(length: int, label: str) -> Iterator[Any]:
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


def upgrade_database(app: Flask) -> None:
    """Apply migrations, then make sure roles and default workflows exist."""
    from flask_migrate import upgrade

    from webapp.automation_defaults import ensure_automation_user, ensure_default_recipes
    from webapp.extensions import db
    from webapp.seed import ensure_default_portal, ensure_roles, ensure_workflows

    with app.app_context():
        upgrade(revision="heads")  # independent branches (one per feature) may coexist
        ensure_roles()
        ensure_workflows(db.session)
        ensure_automation_user(app.appbuilder.sm, db.session)
        ensure_default_recipes(db.session)
        ensure_default_portal(db.session)


@click.group()
def main() -> None:
    """Relaydesk: helpdesk, projects and integration hub."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (creates the database on first use)."""
    app = _app()
    upgrade_database(app)
    click.echo(f"database is up to date: {_safe_url(app)}")


@main.command("create-admin")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--password", required=True)
def create_admin(username: str, email: str, password: str) -> None:
    """Create an Admin user."""
    app = _app()
    upgrade_database(app)
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username=username) is not None:
            raise click.ClickException(f"a user named {username!r} exists already")
        if sm.find_user(email=email) is not None:
            raise click.ClickException(f"a user with e-mail {email!r} exists already")
        if not sm.add_user(username, username, "Admin", email, sm.find_role(ROLE_ADMIN),
                           password=password):
            raise click.ClickException("could not create the user (see the log above)")
    click.echo(f"admin {username!r} created")


@main.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load demo teams, users, projects, tickets and tasks."""
    from webapp.extensions import db as database
    from webapp.seed import is_empty, seed_demo

    app = _app()
    upgrade_database(app)
    with app.app_context():
        if not is_empty(database.session):
            raise click.ClickException("the database has projects already; demo data is for "
                                       "an empty database")
        counts = seed_demo(database.session, progress=click_progress)
    click.echo("demo data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo("demo users alice/bob (Agent), carol (Collaborator), viewer (Read-only); "
               "password: demo")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the app (development server); sets up the database on first start."""
    from webapp.extensions import db as database
    from webapp.seed import create_user, is_empty, seed_demo

    app = _app()
    upgrade_database(app)
    cfg = app.config
    with app.app_context():
        if app.appbuilder.sm.find_user(username=cfg["ADMIN_USERNAME"]) is None:
            create_user(cfg["ADMIN_USERNAME"], cfg["ADMIN_EMAIL"], cfg["ADMIN_PASSWORD"],
                        ROLE_ADMIN)
        if cfg["SEED_DEMO"] and is_empty(database.session):
            seed_demo(database.session, progress=click_progress)
    click.echo(f"Relaydesk is running at http://{host}:{port}/")
    click.echo(f"Sign in as {cfg['ADMIN_USERNAME']} / {cfg['ADMIN_PASSWORD']}")
    click.echo(f"API docs: http://{host}:{port}/swagger/v1")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--fork", is_flag=True, help="Fork a work horse per job (RQ's Worker).")
def worker(burst: bool, fork: bool) -> None:
    """RQ worker on the hub queue (needs REDIS_URL)."""

    from redis import Redis
    from rq import Queue

    from hub import jobs, runtime
    from hub.rq_worker import HubSimpleWorker, HubWorker
    from webapp.automation import app_runtime

    app = _app()
    if not app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set; without Redis the web process "
                                   "runs the ledger itself (in-process runner)")
    cfg = app.config
    rt = app_runtime(app)
    runtime.configure(rt)
    # A long-running worker's jobs hand deliveries to its lanes and return; a burst worker's
    # (and a forked work horse's, which exits after its job) wait for them.
    jobs.WAIT_FOR_DELIVERIES = burst or fork
    connection = Redis.from_url(cfg["REDIS_URL"])
    queue = Queue(rt.settings.queue_name, connection=connection)
    worker_class = HubWorker if fork else HubSimpleWorker
    click.echo(f"worker on queue {queue.name!r} ({worker_class.__mro__[2].__name__}, "
               f"{rt.settings.lanes} lanes)", err=True)
    # Named <host>.<pid>: `relaydesk health --component worker` finds this host's worker by
    # its heartbeat even after Redis lost RQ's own registry.
    hub_worker = worker_class([queue], connection=connection,
                              name=f"{socket.gethostname()}.{os.getpid()}")
    hub_worker.heartbeat_queue = queue.name
    hub_worker.heartbeat_interval = max(0.5, cfg["HEALTH_WORKER_WINDOW_SECONDS"] / 3)
    hub_worker.stop_timeout = max(cfg["WEBHOOK_TIMEOUT_SECONDS"],
                                  cfg["CONNECTOR_TIMEOUT_SECONDS"]) + 5
    hub_worker.work(burst=burst, logging_level="WARNING")
    # The worker has handed back its work and deregistered. Tearing the interpreter down
    # (thousands of modules) takes another second or two on a busy machine: skip it, so that
    # a SIGTERM ends the process within the 2 s an orchestrator is promised.
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@main.command("scheduler")
@click.option("--once", is_flag=True, help="One pass, then exit.")
def scheduler(once: bool) -> None:
    """Sweep lost events, wake workers for due retries and expired leases, fire timers."""
    from hub.scheduler import Scheduler
    from webapp.automation import DISPATCHER_KEY, app_runtime, scan_timers_once

    app = _app()
    rt = app_runtime(app)
    sched = Scheduler(rt, app.extensions[DISPATCHER_KEY], scan_timers=scan_timers_once,
                      interval=app.config["SCHEDULER_INTERVAL_SECONDS"])
    if once:
        click.echo(f"scheduler pass: {sched.tick()}")
        return
    if app.config["REDIS_URL"]:
        sched.after_pass = _scheduler_heartbeat(app.config["REDIS_URL"])
    click.echo(f"scheduler every {sched.interval:g}s", err=True)
    sched.run_forever()


def _scheduler_heartbeat(redis_url: str) -> Callable[[], None]:
    """Beats ``<host>.<pid>`` into the scheduler's heartbeat set (``SCHEDULER_BEATS``)."""
    from redis import Redis

    from hub.heartbeat import beat

    connection = Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
    name = f"{socket.gethostname()}.{os.getpid()}"
    return lambda: beat(connection, SCHEDULER_BEATS, name)


@main.command("smtpd")
@click.option("--host", default=None, help="Address to listen on (default: SMTPD_HOST).")
@click.option("--port", default=None, type=int, help="Port (default: SMTPD_PORT).")
def smtpd(host: str | None, port: int | None) -> None:
    """Mail intake: an SMTP server that stores every message, then files it as a ticket or
    a reply (or keeps it as ignored/rejected mail with the reason)."""
    import signal
    import threading

    from webapp.mail import process_backlog, smtp_server

    app = _app()
    host = host or app.config["SMTPD_HOST"]
    port = app.config["SMTPD_PORT"] if port is None else port
    server = smtp_server(app, host, port)
    backlog = process_backlog(app)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    click.echo(f"mail intake listening on {host}:{server.port} (processed {backlog} stored "
               "mail left from before)", err=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    click.echo("mail intake stopped", err=True)


@main.command("config")
@click.option("--env-template", is_flag=True,
              help="Print a production .env with freshly generated secrets instead.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="With --env-template: write it to this new file (mode 600), not stdout.")
def config_table(env_template: bool, output: str | None) -> None:
    """Print every environment variable the app reads, with its default."""
    from webapp.config import markdown_table

    if not env_template:
        if output:
            raise click.UsageError("--output goes with --env-template")
        click.echo(markdown_table())
        return
    text = render_env_template()
    if not output:
        click.echo(text, nl=False)
        return
    try:  # O_EXCL: never overwrite the secrets of a running installation
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{output} exists already: it may hold the keys of an "
                                   "installation; move it away first") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    click.echo(f"wrote {output} (mode 600): edit PUBLIC_URL, the admin's e-mail and the mail "
               "relay, keep it out of version control and in your backups", err=True)


def render_env_template(generate: bool = True) -> str:
    """A production ``.env``: fresh random keys and passwords (``generate``; else empty, as
    in .env.example), and the settings an operator must look at. Every name in it is a setting
    of webapp/config.py except POSTGRES_PASSWORD, which docker-compose.yml gives the database
    and builds DATABASE_URL from."""
    import secrets
    from datetime import UTC, datetime

    from cryptography.fernet import Fernet

    def fresh(make: Callable[[], str]) -> str:
        return make() if generate else ""

    header = (f"# Relaydesk production environment, written by `relaydesk config --env-template` "
              f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC." if generate else
              "# Relaydesk production environment: an example without secrets. Write your own "
              "with\n# `relaydesk config --env-template --output .env` (fresh keys and passwords).")
    lines = [
        header,
        "# Secret: keep it out of version control, readable by the operator only (chmod 600),",
        "# and in your backups (a restored database needs the same SECRET_KEY and "
        "CONNECTION_KEY).",
        "# docker compose reads it for every service; bare processes: export it (set -a; . ./.env)",
        "# and add DATABASE_URL and REDIS_URL.",
        "",
        "# Signs sessions, API tokens and mailed links (changing it signs everyone out).",
        f"SECRET_KEY={fresh(lambda: secrets.token_urlsafe(48))}",
        "# Encrypts connector credentials; to rotate, put a new key first: NEW,OLD.",
        f"CONNECTION_KEY={fresh(lambda: Fernet.generate_key().decode())}",
        "# docker compose only: the database password (DATABASE_URL is built from it).",
        f"POSTGRES_PASSWORD={fresh(lambda: secrets.token_urlsafe(24))}",
        "",
        "# The first admin, created by the migrate step (`relaydesk setup`) when missing.",
        "RELAYDESK_ADMIN_USERNAME=admin",
        "RELAYDESK_ADMIN_EMAIL=admin@example.com",
        f"RELAYDESK_ADMIN_PASSWORD={fresh(lambda: secrets.token_urlsafe(18))}",
        "",
        "# Where customers reach Relaydesk (links in mail), served over HTTPS by nginx.",
        "PUBLIC_URL=https://helpdesk.example.com",
        "SESSION_COOKIE_SECURE=true",
        "# nginx in front of gunicorn: one proxy (0 when nothing stands in front).",
        "TRUSTED_PROXIES=1",
        "",
        "# Outgoing mail.",
        "MAIL_FROM=support@example.com",
        "SMTP_HOST=smtp.example.com",
        "SMTP_PORT=587",
        "SMTP_STARTTLS=true",
        "SMTP_USERNAME=",
        "SMTP_PASSWORD=",
    ]
    return "\n".join(lines) + "\n"


@main.command("setup")
def setup() -> None:
    """Apply migrations, then create the first admin from RELAYDESK_ADMIN_USERNAME, _EMAIL and
    _PASSWORD when no user has that name (an existing one is left as it is): the one-shot step
    a deployment runs before its web, worker, scheduler and smtpd processes."""
    from webapp.config import SETTINGS
    from webapp.seed import create_user

    app = _app()
    cfg = app.config
    username, email, password = (cfg["ADMIN_USERNAME"], cfg["ADMIN_EMAIL"],
                                 cfg["ADMIN_PASSWORD"])
    published = next(s.default for s in SETTINGS if s.key == "ADMIN_PASSWORD")
    wanted = bool(password) and password != published  # unset, or the one `relaydesk run` prints
    if wanted and len(password) < ADMIN_PASSWORD_MIN:  # refused before anything is written
        raise click.ClickException(f"RELAYDESK_ADMIN_PASSWORD is shorter than "
                                   f"{ADMIN_PASSWORD_MIN} characters")
    upgrade_database(app)
    click.echo(f"database is up to date: {_safe_url(app)}")
    with app.app_context():
        if app.appbuilder.sm.find_user(username=username) is not None:
            click.echo(f"admin {username!r} exists already: left as it is")
            return
        if not wanted:
            click.echo("no admin created: set RELAYDESK_ADMIN_PASSWORD (e.g. from `relaydesk "
                       "config --env-template`), or run `relaydesk create-admin --username U "
                       "--email E --password P`", err=True)
            return
        try:
            create_user(username, email, password, ROLE_ADMIN)
        except RuntimeError as exc:  # e.g. the e-mail belongs to another user
            raise click.ClickException(str(exc)) from None
    click.echo(f"admin {username!r} created")


ADMIN_PASSWORD_MIN = 12
"""``relaydesk setup`` creates no admin with a shorter password (it faces the internet)."""


@main.command("health")
@click.option("--component", type=click.Choice(["worker", "scheduler"]), required=True)
@click.option("--max-age", type=float, default=None,
              help="Seconds since the last heartbeat that still count as alive (default: "
                   "HEALTH_WORKER_WINDOW_SECONDS; scheduler: 3 intervals + 30 s).")
def health(component: str, max_age: float | None) -> None:
    """Exit 0 when a worker (or the scheduler) of this host heartbeated recently, 1 if not:
    the check of a container's or a process supervisor's health probe."""
    from webapp.config import load

    try:
        config = load()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: workers and their heartbeats need "
                                   "Redis")
    check = _worker_alive if component == "worker" else _scheduler_alive
    alive, detail = check(config, max_age)
    click.echo(detail, err=not alive)
    sys.exit(0 if alive else 1)


def _worker_alive(config: dict[str, Any], max_age: float | None) -> tuple[bool, str]:
    """A worker of this host whose process runs and whose heartbeat (hub.heartbeat, every
    few seconds) is recent. A container's probe judges its own worker, not any worker."""
    from hub.heartbeat import live_workers
    from hub.runtime import HubSettings

    window = max_age if max_age is not None else config["HEALTH_WORKER_WINDOW_SECONDS"]
    return _beating_here(config, "worker", window,
                         lambda conn: live_workers(conn, HubSettings.queue_name, window))


SCHEDULER_BEATS = "scheduler"
"""The hub.heartbeat set the scheduler beats into after each pass, as ``<host>.<pid>``."""


def _scheduler_alive(config: dict[str, Any], max_age: float | None) -> tuple[bool, str]:
    """The scheduler of this host finished a pass recently (its heartbeat)."""
    from hub.heartbeat import live_workers

    window = (max_age if max_age is not None
              else 3 * config["SCHEDULER_INTERVAL_SECONDS"] + 30)
    return _beating_here(config, "scheduler", window,
                         lambda conn: live_workers(conn, SCHEDULER_BEATS, window))


def _beating_here(config: dict[str, Any], what: str, window: float,
                  beating: Callable[[Any], list[str]]) -> tuple[bool, str]:
    import socket

    from redis import Redis
    from redis.exceptions import RedisError

    host = socket.gethostname()
    try:
        connection = Redis.from_url(config["REDIS_URL"], socket_connect_timeout=3,
                                    socket_timeout=5)
        names = beating(connection)
        places = _hosts_and_pids(connection, names)
    except RedisError as exc:
        return False, f"Redis does not answer: {exc}"
    for name in names:
        place = places.get(name)
        if place and place[0] == host and _process_running(place[1]):
            return True, f"{what} {name} (pid {place[1]}) beat within {window:g}s"
    return False, (f"no {what} of {host} beat within {window:g}s ({len(names)} on other "
                   f"hosts or gone)")


def _hosts_and_pids(connection: Any, names: list[str]) -> dict[str, tuple[str, int]]:
    """Where each beating process runs: from a ``<host>.<pid>`` name, else from RQ's worker
    registry (which a Redis restart empties until the worker registers again)."""
    from rq import Worker

    places: dict[str, tuple[str, int]] = {}
    for name in names:
        host, _, pid = name.rpartition(".")
        if host and pid.isdigit():
            places[name] = (host, int(pid))
    missing = [n for n in names if n not in places]
    if missing:
        for worker in Worker.all(connection=connection):
            if worker.name in missing and worker.hostname and worker.pid:
                places[worker.name] = (worker.hostname, worker.pid)
    return places


def _process_running(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _safe_url(app: Flask) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
