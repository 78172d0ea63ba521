"""Relaydesk web application: the app factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder

from webapp import config
from webapp.extensions import db, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``overrides``."""
    app = Flask(__name__)
    app.config.update(config.fixed())
    app.config.update(config.load())
    if overrides:
        app.config.update(overrides)
    _derive(app)
    if app.config["TRUSTED_PROXIES"]:  # client address and scheme as the proxies saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only For and Proto: the proxy overwrites those; a Host/Prefix header it passes
        # through unchanged would be the client's to choose.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    from webapp.logging import configure_logging

    configure_logging(app.config["LOG_LEVEL"])
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)

    from webapp.commands import rules as _rules  # noqa: F401  (registers write rules)
    from webapp.content import cleanup as _cleanup  # noqa: F401  (removes deleted files)
    from webapp.content.sizes import size_text
    from webapp.security import RelaydeskSecurityManager

    app.add_template_filter(size_text, "size_text")  # every size on a page, one formatter

    with app.app_context():
        from webapp.workspace.home import WorkspaceHomeView  # the agent's landing page

        appbuilder = AppBuilder(security_manager_class=RelaydeskSecurityManager,
                                indexview=WorkspaceHomeView)
        appbuilder.init_app(app, db.session)
        from webapp.api import register_apis
        from webapp.api.connections import register_connection_apis
        from webapp.views import register_views
        from webapp.views.automation import register_automation_views
        from webapp.views.connections import register_connection_views

        register_views(appbuilder)
        register_automation_views(appbuilder)
        register_apis(appbuilder)
        register_connection_apis(appbuilder)
        register_connection_views(appbuilder)
        from webapp.mail import register_mail  # the e-mail channel's screens and APIs

        register_mail(appbuilder)
        from webapp.api.webhooks import register_webhook_apis
        from webapp.views.recipe_editor import register_recipe_editor
        from webapp.views.webhooks import register_webhook_views

        register_webhook_apis(appbuilder)
        register_webhook_views(appbuilder)
        register_recipe_editor(appbuilder)
        from webapp.customer_apps import register_customer_apps

        register_customer_apps(app, appbuilder)
        from webapp.work_views.registry import register_work_views

        register_work_views(app, appbuilder)
        from webapp.workspace import register as register_workspace

        register_workspace(appbuilder)

    from webapp.automation import init_automation
    from webapp.csrf import init_csrf
    from webapp.health import health_bp
    from webapp.inbound import inbound_bp

    init_csrf(app)
    from webapp.request_guard import init_request_guard
    init_request_guard(app)

    init_automation(app)

    app.register_blueprint(health_bp)
    app.register_blueprint(inbound_bp)
    return app


def _derive(app: Flask) -> None:
    """Settings computed from others."""
    from datetime import timedelta

    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=app.config["JWT_ACCESS_TOKEN_MINUTES"])
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["REQUEST_MAX_BYTES"],
                                           app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024)
    app.config.setdefault("FAB_ROLES", _roles())
    from webapp.logging import configure_logging
    from webapp.security.secret_key import resolve

    configure_logging(app.config["LOG_LEVEL"])  # so where the secret key came from is logged
    app.config["SECRET_KEY"] = resolve(app.config.get("SECRET_KEY"), app.config["DATA_DIR"])
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    # Rate limits (Flask-Limiter, created by Flask-AppBuilder) count in Redis when there is one.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    from webapp.i18n import TRANSLATIONS_DIR

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS_DIR)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # PostgreSQL's JIT compiles any query its planner prices high; for our short OLTP
        # queries (queue counts, dashboard figures) compiling costs 5-10x the query itself
        # (bench/workspace.py: every queue counted in 58 ms without, 470 ms with).
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("options", "-c jit=off")
    sqlite = config.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)


def _roles() -> dict[str, list[list[str]]]:
    from webapp.security.roles import builtin_roles

    return builtin_roles()
