"""Screens of the e-mail channel: support addresses, mail templates, inbound mail (and the
rejected mail on its own), with the raw original and "process again"."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import TextAreaField

from triggers.email import intake
from webapp.access import mail as _mail_rule  # noqa: F401  (registers the visibility rule)
from webapp.access.interface import ScopedInterface
from webapp.extensions import db
from webapp.mail import intake_settings
from webapp.models import InboundMail, InboundStatus, MailTemplate, SupportAddress
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen
from webapp.views.setup_warnings import UnseenProjectWarning

_PERMISSIONS = {**METHOD_PERMISSIONS, "raw": "read", "process_again": "write"}
_TEMPLATE_HELP = ("Sandboxed template: {{ item.title }}, {{ item.id }}, {{ recipient.name }}, "
                  "{{ author.name }}, {{ message.body }}, {{ requester.name }}, "
                  "{{ brand.name }}, {{ brand.signature }}, {{ event.type }} …")


class SupportAddressView(UnseenProjectWarning, ScopedModelView):
    list_title = _l("Support addresses")
    show_title = _l("Support address")
    add_title = _l("New support address")
    edit_title = _l("Edit support address")
    route_base = "/support-addresses"
    class_permission_name = "SupportAddress"
    datamodel = ScopedInterface(SupportAddress)
    list_columns = ["address", "name", "project", "item_type", "enabled", "is_default"]
    add_columns = ["address", "name", "project", "item_type", "enabled", "is_default",
                   "signature"]
    edit_columns = add_columns
    show_columns = add_columns + ["created_at", "updated_at"]
    search_columns = ["address", "project", "item_type", "enabled"]
    description_columns = {
        "address": _l("Mail to this address becomes an item of the type below in the project"),
        "name": _l("Sender name of the mail sent for its items (branding)"),
        "signature": _l("Closes every mail sent for its items (branding)"),
        "is_default": _l("Catch-all: mail to none of the support addresses comes here"),
    }
    label_columns = {"is_default": _l("Catch-all"), "item_type": _l("Item type")}
    base_order = ("address", "asc")


class MailTemplateView(ScopedModelView):
    list_title = _l("Mail templates")
    show_title = _l("Mail template")
    add_title = _l("New mail template")
    edit_title = _l("Edit mail template")
    route_base = "/mail-templates"
    class_permission_name = "MailTemplate"
    datamodel = ScopedInterface(MailTemplate)
    list_columns = ["event_type", "name", "subject", "updated_at"]
    add_columns = ["event_type", "name", "subject", "body"]
    edit_columns = add_columns
    show_columns = add_columns + ["updated_at"]
    search_columns = ["event_type", "name"]
    description_columns = {"event_type": _l("ticket.created (acknowledgement), message.created "
                                            "(public reply), ticket.status_changed, …"),
                           "subject": _TEMPLATE_HELP}
    add_form_extra_fields = {"body": TextAreaField(_l("Body"), widget=BS3TextAreaFieldWidget(),
                                                   description=_TEMPLATE_HELP)}
    edit_form_extra_fields = add_form_extra_fields
    base_order = ("event_type", "asc")


_INBOUND_LIST = ["id", "received_at", "status", "sender", "subject", "reason", "item"]


def _raw_link(inbound_id: int) -> Markup:
    """The id, linked to the original message (the full mail, quotes and all)."""
    url = url_for("InboundMailView.raw", pk=inbound_id)
    return Markup('{} <a href="{}" title="{}">(.eml)</a>').format(
        inbound_id, url, gettext("the original message"))


class InboundMailView(ScopedModelView):
    list_title = _l("Inbound mail")
    show_title = _l("Inbound message")
    add_title = _l("New inbound message")
    edit_title = _l("Edit inbound message")
    route_base = "/inbound-mail"
    class_permission_name = "InboundMail"
    method_permission_name = _PERMISSIONS
    datamodel = ScopedInterface(InboundMail)
    include_route_methods = {"list", "show", "raw", "action", "action_post"}
    list_columns = _INBOUND_LIST
    show_columns = ["id", "received_at", "source", "status", "reason", "auto_reason", "notes",
                    "sender", "subject", "rfc_message_id", "envelope_from", "envelope_to",
                    "recipients", "support_address", "item", "message", "size", "sha256",
                    "processed_at"]
    search_columns = ["status", "sender", "subject", "source", "received_at",
                      "support_address"]
    label_columns = {"rfc_message_id": _l("Message-ID"), "auto_reason": _l("Automatic mail")}
    formatters_columns = {"id": _raw_link}
    base_order = ("id", "desc")

    @expose("/raw/<int:pk>")
    @has_access
    def raw(self, pk: int) -> Any:
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            flash(gettext("No such inbound mail"), "danger")
            return redirect(self.get_redirect())
        response = Response(row.raw, mimetype="message/rfc822")
        response.headers["Content-Disposition"] = f'attachment; filename="inbound-{row.id}.eml"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @action("process_again", _l("Process again"), _l("Process the selected mail again?"),
            "fa-repeat",
            multiple=True, single=True)
    def process_again(self, items: Any) -> Any:
        rows = items if isinstance(items, list) else [items]
        settings = intake_settings(current_app)
        outcomes: list[str] = []
        for row in rows:
            if row.status in (InboundStatus.TICKET, InboundStatus.REPLY):
                outcomes.append(f"{row.id}: already {row.status.value}")
                continue
            done = intake.process(db.session, row.id, settings, again=True)
            outcomes.append(f"{done.id}: {done.status.value}")
        flash(gettext("Processed again — %(outcomes)s", outcomes="; ".join(outcomes)), "info")
        return redirect(request.referrer or self.get_redirect())


class RejectedMailView(InboundMailView):
    route_base = "/rejected-mail"
    base_filters = [["status", FilterEqual, InboundStatus.REJECTED]]
    list_title = _l("Rejected mail")


def register_mail_views(appbuilder: AppBuilder) -> None:
    category = "Mail"
    add_screen(appbuilder, InboundMailView, "Inbound mail", _l("Inbound mail"),
               "fa-inbox", category)
    add_screen(appbuilder, RejectedMailView, "Rejected mail", _l("Rejected mail"),
               "fa-ban", category)
    add_screen(appbuilder, SupportAddressView, "Support addresses", _l("Support addresses"),
               "fa-at", category)
    add_screen(appbuilder, MailTemplateView, "Mail templates", _l("Mail templates"),
               "fa-envelope-o", category)
