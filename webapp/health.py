"""GET /health: the state of the database, Redis and workers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webapp.extensions import db

health_bp = Blueprint("health", __name__)


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # the point is to report any failure
        db.session.rollback()
        return {"ok": False, "error": str(exc).splitlines()[0]}


def _redis() -> dict[str, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "mode": "in-process runner (no REDIS_URL)"}
    import redis

    try:
        conn = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        conn.ping()
        from rq import Worker

        return {"ok": True, "workers": len(Worker.all(connection=conn))}
    except Exception as exc:
        return {"ok": False, "error": str(exc).splitlines()[0]}


@health_bp.get("/health")
def health() -> Any:
    checks = {"database": _database(), "redis": _redis()}
    ok = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ok else "degraded", **checks), 200 if ok else 503
