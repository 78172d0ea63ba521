"""Screens for connections (credentials write-only), external links and billing runs."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from connectors.registry import CONNECTORS
from webapp.access.interface import ScopedInterface, request_viewer
from webapp.commands.connections import app_cipher, save_connection
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import BillingRun, Connection, ExternalLink
from webapp.views.base import ScopedModelView
from webapp.views.json_field import JsonTextField
from webapp.views.labels import add_screen

_READ_ONLY = {"list", "show"}
_EDITABLE = ("name", "base_url", "enabled", "notes")


def _credentials_help() -> str:
    parts = []
    for connector in CONNECTORS.values():
        names = ", ".join(f'"{f.name}"' for f in connector.auth_fields)
        parts.append(f"{connector.name}: {names}")
    return ("Write-only, as JSON, e.g. {\"api_key\": \"sk_live_…\"}. On edit, only the fields "
            "given change (empty: keep them all; null removes one). Fields — "
            + "; ".join(parts))


def _messages(exc: CommandError) -> str:
    messages = exc.messages
    if isinstance(messages, dict):
        return "; ".join(f"{field}: {reason}" for field, reason in messages.items())
    return str(messages)


class ExternalLinkView(ScopedModelView):
    list_title = _l("External links")
    show_title = _l("External link")
    add_title = _l("New external link")
    edit_title = _l("Edit external link")
    route_base = "/external-links"
    class_permission_name = "ExternalLink"
    datamodel = ScopedInterface(ExternalLink)
    include_route_methods = _READ_ONLY
    list_columns = ["connection", "local_type", "local_id", "remote_type", "remote_id",
                    "updated_at"]
    show_columns = list_columns + ["created_at"]
    search_columns = ["connection", "local_type", "local_id", "remote_type", "remote_id"]


class BillingRunView(ScopedModelView):
    list_title = _l("Billing runs")
    show_title = _l("Billing run")
    add_title = _l("New billing run")
    edit_title = _l("Edit billing run")
    route_base = "/billing-runs"
    class_permission_name = "BillingRun"
    datamodel = ScopedInterface(BillingRun)
    include_route_methods = _READ_ONLY
    list_columns = ["id", "organization", "status", "currency", "total_minor",
                    "stripe_invoice_id", "created_at", "finished_at"]
    show_columns = list_columns + ["connection", "delivery", "stripe_customer_id",
                                   "invoice_url", "lines"]
    search_columns = ["organization", "connection", "status", "created_at"]
    base_order = ("id", "desc")


class ConnectionView(ScopedModelView):
    list_title = _l("Connections")
    show_title = _l("Connection")
    add_title = _l("New connection")
    edit_title = _l("Edit connection")
    route_base = "/connections"
    class_permission_name = "Connection"
    datamodel = ScopedInterface(Connection)
    list_columns = ["name", "connector", "base_url", "enabled", "credential_names",
                    "paused_until"]
    show_columns = ["name", "connector", "base_url", "enabled", "credential_names",
                    "paused_until", "notes", "created_at", "updated_at"]
    add_columns = ["name", "connector", "base_url", "enabled", "notes", "new_credentials"]
    edit_columns = ["name", "base_url", "enabled", "notes", "new_credentials"]
    search_columns = ["name", "connector", "enabled"]
    label_columns = {"credential_names": "Credentials set", "base_url": "Base URL",
                     "new_credentials": "Credentials"}
    related_views = [ExternalLinkView]
    base_order = ("name", "asc")

    add_form_extra_fields = {
        "connector": SelectField("Connector", choices=[
            (c.name, c.label) for c in CONNECTORS.values()]),
        "new_credentials": JsonTextField("Credentials", description=_credentials_help()),
    }
    edit_form_extra_fields = {
        "new_credentials": JsonTextField("Credentials", description=_credentials_help()),
    }

    def _apply(self, item: Connection, columns: tuple[str, ...], is_new: bool) -> None:
        """The form's values go through the same command as the API's (and the credentials
        never stay on the row in the clear)."""
        data: dict[str, Any] = {key: getattr(item, key) for key in columns}
        credentials = item.__dict__.pop("new_credentials", None)
        if credentials is not None:
            data["credentials"] = credentials
        elif is_new:
            data["credentials"] = {}
        try:
            save_connection(db.session, app_cipher(current_app), request_viewer(), data,
                            None if is_new else item, new_row=item if is_new else None)
        except CommandError as exc:
            db.session.rollback()
            raise ValueError(_messages(exc)) from exc

    def pre_add(self, item: Connection) -> None:
        self._apply(item, ("name", "connector", "base_url", "enabled", "notes"), is_new=True)

    def pre_update(self, item: Connection) -> None:
        self._apply(item, _EDITABLE, is_new=False)


def register_connection_views(appbuilder: AppBuilder) -> None:
    cat = "Automation"
    add_screen(appbuilder, ConnectionView, "Connections", _l("Connections"), "fa-plug", cat)
    add_screen(appbuilder, ExternalLinkView, "External links", _l("External links"), "fa-link", cat)
    add_screen(appbuilder, BillingRunView, "Billing runs", _l("Billing runs"),
               "fa-file-text-o", cat)
