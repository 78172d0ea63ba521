"""The ``relaydesk`` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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

    from hub import runtime
    from hub.rq_worker import HubSimpleWorker, HubWorker
    from webapp.automation import app_runtime

    app = _app()
    if not app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set; without Redis the web process "
                                   "runs the ledger itself (in-process runner)")
    rt = app_runtime(app)
    runtime.configure(rt)
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(rt.settings.queue_name, connection=connection)
    worker_class = HubWorker if fork else HubSimpleWorker
    click.echo(f"worker on queue {queue.name!r} ({worker_class.__mro__[2].__name__})",
               err=True)
    worker_class([queue], connection=connection).work(burst=burst, logging_level="WARNING")


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
    click.echo(f"scheduler every {sched.interval:g}s", err=True)
    sched.run_forever()


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
def config_table() -> None:
    """Print every environment variable the app reads, with its default."""
    from webapp.config import markdown_table

    click.echo(markdown_table())


def _safe_url(app: Flask) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
