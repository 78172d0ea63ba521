"""What every benchmark needs: a fresh PostgreSQL database and a migrated app on it."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``webapp`` and ``bench`` importable
    sys.path.insert(0, str(ROOT))

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-secret-key-of-at-least-32-bytes-long!"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database, dropped on exit; yields its URL."""
    name = f"relaydesk_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    log(f"created database {name}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"dropped database {name}")


def migrated_app(database_url: str, data_dir: str, **overrides: Any) -> Any:
    """A Relaydesk app on ``database_url``, migrated like ``relaydesk db upgrade``."""
    from webapp import create_app
    from webapp.cli import upgrade_database

    config = {"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": data_dir,
              "ATTACHMENT_DIR": os.path.join(data_dir, "attachments"),
              "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING", "SEED_DEMO": False,
              "HUB_INPROCESS_RUNNER": False}
    config.update(overrides)
    app = create_app(config)
    upgrade_database(app)
    return app


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
