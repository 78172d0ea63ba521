"""Wiring the outbox and the hub into the Flask app: actor, settings, dispatcher."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context

from hub import runtime
from hub.dispatch import NullDispatcher, RQDispatcher
from hub.retry import RetryPolicy
from hub.runner import InProcessRunner
from hub.runtime import HubSettings, Runtime
from triggers import outbox
from webapp.config import duration_seconds
from webapp.extensions import db

DISPATCHER_KEY = "relaydesk_dispatcher"
RUNTIME_KEY = "relaydesk_hub_runtime"
_MAIL_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_STARTTLS",
              "MAIL_FROM", "MAIL_BRAND_NAME", "MAIL_NEVER_FOLLOW", "MAIL_AUTOREPLY_LIMIT",
              "MAIL_AUTOREPLY_WINDOW_MINUTES", "ATTACHMENT_DIR", "PUBLIC_URL")
_CONNECTOR_KEYS = ("CONNECTION_KEY", "DATA_DIR", "REDIS_URL", "CONNECTOR_TIMEOUT_SECONDS",
                   "WEBHOOK_ALLOWED_NETWORKS", "WEBHOOK_TIMEOUT_SECONDS")


def hub_settings(config: dict[str, Any]) -> HubSettings:
    policy = RetryPolicy.parse(config["HUB_RETRY_SCHEDULE"])
    policy = RetryPolicy(schedule=policy.schedule, jitter=config["HUB_RETRY_JITTER"])
    return HubSettings(
        retry=policy, lease_seconds=config["HUB_LEASE_SECONDS"],
        max_depth=config["HUB_MAX_DEPTH"], batch_size=config["HUB_BATCH_SIZE"],
        lanes=config["HUB_LANES"], lanes_per_destination=config["HUB_LANES_PER_DESTINATION"],
        sweep_grace_seconds=config["HUB_SWEEP_GRACE_SECONDS"],
        extra={**{key: config[key] for key in _MAIL_KEYS + _CONNECTOR_KEYS},
               "WEBHOOK_DISABLE_AFTER_SECONDS": duration_seconds(config["WEBHOOK_DISABLE_AFTER"])},
    )


def request_actor() -> outbox.Actor:
    """Changes made while serving a request are the signed-in user's."""
    if has_request_context():
        from webapp.access.scope import current_viewer

        viewer = current_viewer()
        return outbox.Actor(user_id=viewer.user_id)
    return outbox.Actor()


def _dispatch_committed(event_ids: list[int]) -> None:
    if has_app_context():
        current_app.extensions[DISPATCHER_KEY].events_committed(event_ids)


def app_runtime(app: Flask) -> Runtime:
    return app.extensions[RUNTIME_KEY]


def init_automation(app: Flask) -> None:
    import hub.actions  # noqa: F401  (registers the actions)

    rt = Runtime(session_factory=lambda: db.session, release_session=db.session.remove,
                 settings=hub_settings(app.config), context=app.app_context)
    app.extensions[RUNTIME_KEY] = rt
    outbox.install()
    outbox.actor_provider = request_actor
    outbox.on_committed = _dispatch_committed
    if app.config["REDIS_URL"]:
        dispatcher: Any = RQDispatcher(app.config["REDIS_URL"], rt.settings.queue_name)
    elif app.config["HUB_INPROCESS_RUNNER"]:
        dispatcher = InProcessRunner(rt, app.config["SCHEDULER_INTERVAL_SECONDS"],
                                     on_tick=lambda: scan_timers_once(rt))
    else:
        dispatcher = NullDispatcher()
    app.extensions[DISPATCHER_KEY] = dispatcher


def scan_timers_once(rt: Runtime) -> int:
    from triggers.timers import scan_timers
    from webapp.models import utcnow
    from webapp.work_views.reports import send_due_reports

    with runtime.session_scope(rt) as session:
        fired = scan_timers(session)
    with runtime.session_scope(rt) as session:
        send_due_reports(session, utcnow())  # scheduled view reports (each slot once)
    return fired


def delivery_ledger() -> Any:
    """The current app's delivery ledger, on the request's session."""
    from hub.ledger import DeliveryLedger

    settings = app_runtime(current_app).settings
    return DeliveryLedger(db.session, settings.retry, settings.lease_seconds)


def wake_workers() -> None:
    """Tell whoever works the ledger that deliveries are due now (after a replay)."""
    current_app.extensions[DISPATCHER_KEY].deliveries_due()
