"""Wires the customer-facing apps: portal, web forms, widget and chat, knowledge base,
satisfaction surveys — their blueprints, staff screens, template helpers and languages."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from webapp.i18n import CUSTOMER_LOCALES, init_i18n

LANGUAGE_NAMES = {"en": "English", "pt": "Português", "es": "Español"}


def register_customer_apps(app: Flask, appbuilder: Any) -> None:
    from webapp.portal import init_portal
    from webapp.views.customer_apps import register_customer_app_views
    from webapp.widget import init_widget

    init_i18n(app)
    init_portal(app)
    init_widget(app)
    register_customer_app_views(appbuilder)
    app.jinja_env.filters.setdefault("local_datetime", format_datetime)
    app.jinja_env.filters.setdefault("local_date", format_date)

    @app.context_processor
    def _customer_page_helpers() -> dict[str, Any]:
        return {
            "current_locale": lambda: str(get_locale() or "en"),
            "customer_languages": [(c, LANGUAGE_NAMES[c]) for c in CUSTOMER_LOCALES],
            "embedded": False,
        }
