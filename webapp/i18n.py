"""Languages: staff screens keep Flask-AppBuilder's choice; customer pages choose their own."""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask, g, has_request_context, request, session

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
CUSTOMER_LOCALES = ("en", "pt", "es")
# Blueprints whose pages customers and visitors see.
CUSTOMER_BLUEPRINTS = frozenset({"portal", "widget"})
LOCALE_SESSION_KEY = "portal_locale"
TIME_ZONE_COOKIE = "tz"


def is_customer_page() -> bool:
    return request.blueprint in CUSTOMER_BLUEPRINTS


def customer_locale() -> str:
    """``?lang=`` (remembered), the customer's setting, the remembered choice, the browser's
    Accept-Language, then the portal's default."""
    asked = request.args.get("lang")
    if asked in CUSTOMER_LOCALES:
        session[LOCALE_SESSION_KEY] = asked
        return asked
    customer = getattr(g, "portal_customer", None)
    if customer is not None and customer.locale in CUSTOMER_LOCALES:
        return str(customer.locale)
    remembered = session.get(LOCALE_SESSION_KEY)
    if remembered in CUSTOMER_LOCALES:
        return str(remembered)
    best = request.accept_languages.best_match(CUSTOMER_LOCALES)
    if best:
        return best
    portal = getattr(g, "portal", None)
    return portal.default_locale if portal is not None else "en"


def customer_time_zone() -> str:
    """The customer's setting, the browser's (a cookie set by the page's script), the portal's."""
    from zoneinfo import available_timezones

    customer = getattr(g, "portal_customer", None)
    if customer is not None and customer.time_zone:
        return str(customer.time_zone)
    browser = request.cookies.get(TIME_ZONE_COOKIE)
    if browser and browser in _zones(available_timezones):
        return browser
    portal = getattr(g, "portal", None)
    return portal.time_zone if portal is not None else "UTC"


_ZONES: frozenset[str] | None = None


def _zones(source: Callable[[], set[str]]) -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(source())
    return _ZONES


def init_i18n(app: Flask) -> None:
    """Route Flask-Babel's selectors: customer pages use ours, staff screens FAB's."""
    state = app.extensions["babel"]
    staff_locale = state.locale_selector
    staff_zone = state.timezone_selector

    def select_locale() -> str | None:
        if has_request_context() and is_customer_page():
            return customer_locale()
        return staff_locale() if staff_locale else None

    def select_time_zone() -> str | None:
        if has_request_context() and is_customer_page():
            return customer_time_zone()
        return staff_zone() if staff_zone else None

    state.locale_selector = select_locale
    state.timezone_selector = select_time_zone
