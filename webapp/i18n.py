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


#: Where a staff user's profile choices are kept for the rest of their session.
PROFILE_APPLIED_KEY = "staff_profile_applied"
STAFF_ZONE_KEY = "staff_time_zone"


def apply_staff_profile(user_id: int, locale: str | None, time_zone: str | None) -> None:
    """Use a staff user's saved language and time zone for the rest of the session (the
    language menu still switches the language until the next sign-in)."""
    if locale in CUSTOMER_LOCALES:
        session["locale"] = locale
    session[STAFF_ZONE_KEY] = time_zone or ""
    session[PROFILE_APPLIED_KEY] = user_id


def _load_staff_profile() -> None:
    """Once per session: the signed-in staff user's profile, if any."""
    from flask import current_app
    from flask_login import current_user

    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # a script's request: no screens, no session
    if not getattr(current_user, "is_authenticated", False) or \
            session.get(PROFILE_APPLIED_KEY) == current_user.id:
        return
    from webapp.extensions import db
    from webapp.models import StaffProfile

    profile = db.session.get(StaffProfile, current_user.id)
    apply_staff_profile(current_user.id, profile.locale if profile else None,
                        profile.time_zone if profile else None)


def staff_time_zone() -> str | None:
    """The profile's time zone, else the browser's (the ``tz`` cookie), else UTC."""
    from zoneinfo import available_timezones

    _load_staff_profile()
    chosen = session.get(STAFF_ZONE_KEY) or request.cookies.get(TIME_ZONE_COOKIE)
    return chosen if chosen and chosen in _zones(available_timezones) else None


def init_i18n(app: Flask) -> None:
    """Route Flask-Babel's selectors: customer pages use ours; staff screens FAB's language
    (after the staff profile's, once per session) and the profile's or browser's zone."""
    state = app.extensions["babel"]
    staff_locale = state.locale_selector

    def select_locale() -> str | None:
        if has_request_context() and is_customer_page():
            return customer_locale()
        if has_request_context():
            _load_staff_profile()
        return staff_locale() if staff_locale else None

    def select_time_zone() -> str | None:
        if has_request_context() and is_customer_page():
            return customer_time_zone()
        return staff_time_zone() if has_request_context() else None

    state.locale_selector = select_locale
    state.timezone_selector = select_time_zone
