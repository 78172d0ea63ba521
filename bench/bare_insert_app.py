"""The baseline of ``bench/api_create.py``: bare Flask + Flask-SQLAlchemy inserting a ticket row.

No authentication, no validation, no permission or visibility checks: it parses the same JSON
body the REST API gets, inserts the same ``item`` row with the ORM, commits and answers
``201 {"id": …}``. Served by gunicorn as ``bench.bare_insert_app:app`` with the environment
variables ``BENCH_DATABASE_URL`` and ``BENCH_USER_ID`` (the ``created_by_id`` of every row).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class BareItem(db.Model):  # type: ignore[name-defined,misc]
    """The columns of Relaydesk's ``item`` table that a new ticket fills in."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    item_type_id: Mapped[int] = mapped_column(Integer, nullable=False)
    status_id: Mapped[int] = mapped_column(Integer, nullable=False)
    project_id: Mapped[int] = mapped_column(Integer, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False)
    custom_values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow,
                                                           nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, nullable=False)


def create_bare_app(database_url: str, user_id: int) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    db.init_app(app)

    @app.post("/items/")
    def create_item() -> tuple[dict[str, Any], int]:
        body = request.get_json()
        row = BareItem(
            kind="ticket",
            title=body["title"],
            item_type_id=body["item_type"],
            status_id=body["status"],
            project_id=body["project"],
            priority=body.get("priority", 0),
            custom_values=body.get("custom_values") or {},
            created_by_id=user_id,
        )
        db.session.add(row)
        db.session.commit()
        return {"id": row.id}, 201

    @app.get("/health")
    def health() -> dict[str, bool]:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}

    return app


def _app_from_environment() -> Flask | None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:  # imported for its model only
        return None
    return create_bare_app(url, int(os.environ["BENCH_USER_ID"]))


app = _app_from_environment()
