"""Shared fixtures: an app per database backend (real PostgreSQL and SQLite), clients, factories.

Backends come from RELAYDESK_TEST_BACKENDS (default "postgresql,sqlite"). PostgreSQL is the
server at TEST_POSTGRES_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/postgres);
each test session creates its own database there and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import Factory

BACKENDS = [b.strip() for b in os.environ.get("RELAYDESK_TEST_BACKENDS",
                                              "postgresql,sqlite").split(",") if b.strip()]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
def _shared_data() -> Path:
    """``../shared/data`` beside the checkout (RELAYDESK_SHARED_DATA overrides it); a clone
    elsewhere falls back to the workplace's copy."""
    if os.environ.get("RELAYDESK_SHARED_DATA"):
        return Path(os.environ["RELAYDESK_SHARED_DATA"])
    beside = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


SHARED_DATA = _shared_data()


def _create_pg_database() -> tuple[str, str]:
    name = f"relaydesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build_app(database_url: str, data_dir: Path, **extra: object) -> Flask:
    """A migrated app on ``database_url`` (the same path ``relaydesk db upgrade`` takes)."""
    from webapp import create_app
    from webapp.cli import upgrade_database

    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATA_DIR": str(data_dir),
        "ATTACHMENT_DIR": str(data_dir / "attachments"),
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key-of-at-least-32-bytes!",
        # Failed staff sign-ins: generous, so tests of wrong passwords never lock each other
        # out (tests/webapp/security sets small limits of its own).
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
        "LOG_LEVEL": "WARNING",
        "SEED_DEMO": False,
        # Tests that exercise the hub start real workers; the rest must not run it.
        "HUB_INPROCESS_RUNNER": False,
        "REDIS_URL": "",
        # Webhook receivers in tests are local servers; every other private target is refused.
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    overrides.update(extra)
    app = create_app(overrides)
    upgrade_database(app)
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    backend = request.param
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    pg_name = None
    if backend == "postgresql":
        pg_name, url = _create_pg_database()
    elif backend == "sqlite":
        url = f"sqlite:///{data_dir / 'relaydesk.db'}"
    else:
        raise pytest.UsageError(f"unknown backend {backend!r} in RELAYDESK_TEST_BACKENDS")
    application = build_app(url, data_dir)
    application.config["TEST_BACKEND"] = backend
    yield application
    from webapp.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if pg_name:
        _drop_pg_database(pg_name)


KEEP_TABLES = {"ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
               "ab_permission_view_role", "alembic_version"}


def reset_database(application: Flask) -> None:
    """Back to a fresh install: roles, default workflows, automation defaults; no other rows."""
    from webapp.automation_defaults import ensure_automation_user, ensure_default_recipes
    from webapp.extensions import db
    from webapp.models import Model
    from webapp.seed import ensure_default_portal, ensure_workflows

    with application.app_context():
        db.session.rollback()
        # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of ~40 tables costs ~1 s a test.
        for table in reversed(Model.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        ensure_workflows(db.session)
        ensure_automation_user(application.appbuilder.sm, db.session)
        ensure_default_recipes(db.session)
        ensure_default_portal(db.session)
        db.session.remove()
    # Rate-limit counters (memory or Redis) start afresh with the data.
    application.appbuilder.sm.limiter.reset()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with only roles and the default workflows."""
    yield
    if "app" in request.fixturenames:
        reset_database(request.getfixturevalue("app"))


@pytest.fixture(scope="session")
def mail_sink(app: Flask) -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 that ``app`` sends its mail to (sign-in links …)."""
    from tests.hub.conftest import SmtpSink, free_port

    sink = SmtpSink(port=free_port()).start()
    before = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = "127.0.0.1", sink.port
    yield sink
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = before
    sink.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Iterator[Factory]:
    """Builds rows directly (users with roles and teams, projects, items …)."""
    with app.app_context():
        yield Factory(app)
