"""A staff user's own preferences: language and time zone (``StaffProfile``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext
from flask_login import current_user

from webapp.extensions import db
from webapp.i18n import CUSTOMER_LOCALES, apply_staff_profile
from webapp.models import StaffProfile

LANGUAGE_NAMES = {"en": "English", "pt": "Português (Brasil)", "es": "Español"}


def _zones() -> list[str]:
    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


class ProfileView(BaseView):
    route_base = "/workspace/profile"
    default_view = "profile"
    class_permission_name = "Me"
    # Choosing one's own language is no work write: read-only users may do it too.
    method_permission_name = {"profile": "read", "save": "read"}

    @expose("/")
    @has_access
    def profile(self) -> Any:
        profile = db.session.get(StaffProfile, current_user.id)
        return self.render_template(
            "workspace/profile.html", languages=LANGUAGE_NAMES, zones=_zones(),
            locale=profile.locale if profile else "", time_zone=profile.time_zone if profile
            else "")

    @expose("/", methods=["POST"])
    @has_access
    def save(self) -> Any:
        locale = request.form.get("locale", "")
        time_zone = request.form.get("time_zone", "")
        errors = []
        if locale and locale not in CUSTOMER_LOCALES:
            errors.append(lazy_gettext("Choose one of the languages offered."))
        if time_zone and time_zone not in available_timezones():
            errors.append(lazy_gettext("%(zone)s is not a time zone.", zone=time_zone))
        if errors:
            for error in errors:
                flash(str(error), "danger")
            return redirect(url_for("ProfileView.profile")), 303
        session = db.session
        profile = session.get(StaffProfile, current_user.id)
        if profile is None and (locale or time_zone):
            profile = StaffProfile(user_id=current_user.id)
            session.add(profile)
        if profile is not None:
            profile.locale = locale or None
            profile.time_zone = time_zone or None
            session.commit()
        apply_staff_profile(current_user.id, locale or None, time_zone or None)
        flash(str(lazy_gettext("Your preferences are saved.")), "success")
        return redirect(url_for("ProfileView.profile"))


def register(appbuilder: Any) -> None:
    appbuilder.add_view(ProfileView, "My preferences", icon="fa-sliders", category="Work")
