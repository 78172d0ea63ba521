"""Staff screen for customer portals: settings and branding (colours, logo), the public
address, and the one-click presets for internal help desks and external customers."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import filetype
from flask import flash, redirect, request, url_for
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import update
from wtforms import BooleanField, SelectField
from wtforms.validators import NumberRange, Optional, Regexp, ValidationError

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.commands.errors import CommandError
from webapp.content.sizes import limit_text, size_text
from webapp.extensions import db
from webapp.i18n import CUSTOMER_LOCALES
from webapp.models import Portal
from webapp.portal.links import external_url
from webapp.portal.presets import PRESETS, apply_preset
from webapp.views.base import ScopedModelView
from webapp.views.labels import COLUMN_LABELS, add_screen
from webapp.views.setup_warnings import UnseenProjectWarning
from webapp.widget.bot_settings import CHAT_BOT_COLUMNS, CHAT_BOT_HELP, CHAT_BOT_LABELS

LOGO_MAX_BYTES = 512 * 1024
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_COLOUR = Regexp(r"^#[0-9a-fA-F]{6}$", message="Use a colour as #rrggbb, e.g. #1f6feb.")
_SLUG = Regexp(r"^[a-z0-9][a-z0-9-]{0,59}$",
               message="Use lower-case letters, digits and dashes (at most 60), e.g. help.")

_LABELS = {
    "slug": _l("Address name"), "is_default": _l("Default portal"),
    "self_signup": _l("Self sign-up"), "item_type": _l("Item type"),
    "logo_content_type": _l("Logo"), "welcome_text": _l("Welcome text"),
    "default_locale": _l("Default language"), "logo_file": _l("Logo"),
    "remove_logo": _l("Remove the logo"),
}
_HELP = {
    "slug": _l("The portal's address: /portal/<name>/."),
    "login_required": _l("Off: the knowledge base and web forms are open to anyone (my "
                         "requests always need a sign-in)."),
    "self_signup": _l("Anyone may ask for a sign-in link and so become a customer."),
    "visibility": _l("own: requested or followed by the customer; organization: also their "
                     "colleagues'; all: every ticket."),
    "project": _l("Where requests made through the portal and its widget land."),
    "welcome_text": _l("Plain text on the portal's front page (empty lines separate "
                       "paragraphs)."),
}

def _checkbox(name: str) -> BooleanField:
    return BooleanField(_LABELS.get(name) or COLUMN_LABELS.get(name, name),
                        description=_HELP.get(name, ""))


def _known_time_zone(_form: Any, field: Any) -> None:
    if field.data not in available_timezones():
        raise ValidationError(f"Unknown time zone {field.data!r}: use an IANA name such as "
                              "Europe/Lisbon or UTC.")


def read_logo(upload: Any) -> tuple[bytes, str] | None:
    """An uploaded logo's bytes and type (from the bytes, not the name); None without one."""
    if upload is None or not upload.filename:
        return None
    data = upload.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"Logo: the file is larger than {limit_text(LOGO_MAX_BYTES)}.")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in LOGO_TYPES:
        raise ValueError("Logo: upload a PNG, JPEG, GIF or WebP image.")
    return data, kind.mime


def portal_public_url(pk: Any) -> str:
    """The portal's address for customers (on the show page)."""
    portal = db.session.get(Portal, int(pk))
    return external_url("portal.home", portal_slug=portal.slug) if portal else ""


def portal_widget_snippet(pk: Any) -> str:
    """The one <script> tag that puts the messenger widget on any website."""
    from webapp.widget import snippet

    portal = db.session.get(Portal, int(pk))
    return snippet(portal) if portal else ""


class PortalView(UnseenProjectWarning, ScopedModelView):
    list_title = _l("Portals")
    show_title = _l("Portal")
    add_title = _l("New portal")
    edit_title = _l("Edit portal")
    route_base = "/portals"
    class_permission_name = "Portal"
    datamodel = ScopedInterface(Portal)
    list_columns = ["name", "slug", "is_default", "visibility", "login_required", "project",
                    "chat_enabled", "survey_enabled"]
    add_columns = ["name", "slug", "is_default", "login_required", "self_signup", "visibility",
                   "project", "item_type", "chat_enabled", "survey_enabled", "primary_colour",
                   "accent_colour", "logo_file", "remove_logo", "welcome_text",
                   "default_locale", "time_zone", *CHAT_BOT_COLUMNS]
    edit_columns = add_columns
    show_columns = ["name", "slug", "is_default", "login_required", "self_signup",
                    "visibility", "project", "item_type", "chat_enabled", "survey_enabled",
                    "primary_colour", "accent_colour", "logo_content_type", "welcome_text",
                    "default_locale", "time_zone", *CHAT_BOT_COLUMNS, "created_at",
                    "updated_at"]
    search_columns = ["name", "slug", "visibility", "project"]
    label_columns = {**_LABELS, **CHAT_BOT_LABELS}
    description_columns = {**_HELP, **CHAT_BOT_HELP}
    validators_columns = {"primary_colour": [_COLOUR], "accent_colour": [_COLOUR],
                          "slug": [_SLUG], "time_zone": [_known_time_zone],
                          "chat_away_after_minutes": [Optional(), NumberRange(min=1)]}
    # Non-null booleans as plain checkboxes: FAB would require them to be ticked.
    add_form_extra_fields = {
        **{name: _checkbox(name) for name in ("is_default", "login_required", "self_signup",
                                              "chat_enabled", "survey_enabled")},
        "default_locale": SelectField(_l("Default language"),
                                      choices=[(c, c) for c in CUSTOMER_LOCALES]),
        "logo_file": FileField(_l("Logo"), description=_l(
            "PNG, JPEG, GIF or WebP, at most %(size)s.", size=size_text(LOGO_MAX_BYTES))),
        "remove_logo": BooleanField(_l("Remove the logo")),
    }
    edit_form_extra_fields = add_form_extra_fields
    show_template = "relaydesk/portal_show.html"
    extra_args = {"portal_public_url": portal_public_url, "portal_presets": PRESETS,
                  "portal_widget_snippet": portal_widget_snippet}
    base_order = ("name", "asc")

    def _prepare(self, item: Portal) -> None:
        # The form's extra fields are not columns: take them off the row.
        item.__dict__.pop("logo_file", None)
        remove = bool(item.__dict__.pop("remove_logo", False))
        logo = read_logo(request.files.get("logo_file"))
        if logo is not None:
            item.logo, item.logo_content_type = logo
        elif remove:
            item.logo = item.logo_content_type = None
        if item.is_default:
            db.session.execute(update(Portal).where(Portal.id != item.id)
                               .values(is_default=False))

    def pre_add(self, item: Portal) -> None:
        self._prepare(item)

    def pre_update(self, item: Portal) -> None:
        self._prepare(item)

    @expose("/apply_preset/<int:pk>", methods=["POST"])
    @has_access
    def apply_preset(self, pk: int) -> Any:
        """Apply a preset and show what it changed."""
        portal = self.datamodel.get(pk)
        if portal is None:
            flash(gettext("No such portal"), "danger")
            return redirect(self.get_redirect())
        key = request.form.get("preset") or ""
        try:
            result = apply_preset(db.session, request_viewer(), portal, key)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            flash(gettext("Preset not applied: %(reason)s", reason=exc.messages), "danger")
            return redirect(url_for("PortalView.show", pk=pk))
        return self.render_template("relaydesk/portal_preset.html", portal=portal,
                                    preset=PRESETS[key], result=result, pk=pk)


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, PortalView, "Portals", _l("Portals"), "fa-life-ring", menu)
