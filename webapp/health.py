"""GET /health: the state of the database, Redis, workers and the hub's backlog.

A load balancer or monitor acts on the status code, so it must be honest:

* ``workers`` counts the workers that sent a heartbeat within ``HEALTH_WORKER_WINDOW_SECONDS``
  (hub.heartbeat), not RQ's registry (which outlives killed workers and forgets live ones
  after a Redis restart);
* ``hub`` tells the oldest unmatched event's age and how many deliveries are due now;
* with ``REDIS_URL`` set and ``HEALTH_REQUIRE_WORKERS`` on, work waiting while no worker is
  alive answers 503 (``status: "no workers"``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from webapp.extensions import db

health_bp = Blueprint("health", __name__)


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # the point is to report any failure
        db.session.rollback()
        return {"ok": False, "error": str(exc).splitlines()[0]}


def _backlog() -> dict[str, Any]:
    """The oldest unmatched event's age (seconds) and the deliveries due now."""
    from webapp.automation import delivery_ledger
    from webapp.models import Event, utcnow

    try:
        now = utcnow()
        oldest = db.session.scalar(
            select(func.min(Event.created_at)).where(Event.processed_at.is_(None)))
        due = delivery_ledger().count_due(now)
        db.session.rollback()
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": str(exc).splitlines()[0]}
    age = round((now - oldest).total_seconds(), 1) if oldest is not None else None
    return {"ok": True, "oldest_unmatched_event_age_seconds": age, "due_deliveries": due or 0}


def redis_state() -> dict[str, Any]:
    """Redis reachable, and the workers whose heartbeat is recent (also the home's checklist)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "mode": "in-process runner (no REDIS_URL)"}
    import redis

    from hub.heartbeat import live_workers
    from webapp.automation import app_runtime

    window = float(current_app.config["HEALTH_WORKER_WINDOW_SECONDS"])
    try:
        conn = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        conn.ping()
        names = live_workers(conn, app_runtime(current_app).settings.queue_name, window)
        return {"ok": True, "workers": len(names), "worker_names": names,
                "worker_window_seconds": window}
    except Exception as exc:
        return {"ok": False, "error": str(exc).splitlines()[0]}


@health_bp.get("/health")
def health() -> Any:
    checks = {"database": _database(), "redis": redis_state()}
    backlog = _backlog() if checks["database"]["ok"] else {"ok": False}
    ok = all(c["ok"] for c in checks.values())
    status = "ok" if ok else "degraded"
    waiting = bool(backlog.get("due_deliveries")) or \
        backlog.get("oldest_unmatched_event_age_seconds") is not None
    if (ok and current_app.config.get("REDIS_URL") and current_app.config["HEALTH_REQUIRE_WORKERS"]
            and checks["redis"]["workers"] == 0 and waiting):
        ok, status = False, "no workers"
    return jsonify(status=status, hub=backlog, **checks), 200 if ok else 503
