"""REST APIs for connections (credentials write-only), what we know of vendor objects, billing
runs, and the connector catalogue."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe

from connectors.registry import CONNECTORS
from hub.actions import REGISTRY, describe
from hub.actions.connector import connector_of
from webapp.access.interface import ScopedInterface, request_viewer
from webapp.api.base import ScopedModelRestApi
from webapp.commands.connections import app_cipher, save_connection
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import BillingRun, Connection, ExternalLink
from webapp.security.resources import METHOD_PERMISSIONS

#: What is shown of a connection: never its credentials, only which are set.
CONNECTION_COLUMNS = ["id", "name", "connector", "base_url", "enabled", "credential_names",
                      "paused_until", "notes", "created_at", "updated_at"]


class ConnectionApi(ScopedModelRestApi):
    """Connections to external systems. ``credentials`` (an object of the connector's auth
    fields) is accepted on POST and PUT and never returned."""

    resource_name = "connection"
    class_permission_name = "Connection"
    datamodel = ScopedInterface(Connection)
    list_columns = CONNECTION_COLUMNS
    show_columns = CONNECTION_COLUMNS
    add_columns = ["name", "connector", "base_url", "enabled", "notes"]
    edit_columns = ["name", "base_url", "enabled", "notes"]
    search_columns = ["name", "connector", "enabled"]
    order_columns = ["id", "name", "connector", "created_at"]
    base_order = ("name", "asc")

    def _public(self, row: Connection) -> dict[str, Any]:
        result: dict[str, Any] = self.show_model_schema.dump(row)
        return result

    def _save(self, row: Connection | None) -> Response:
        body = request.get_json(silent=True)
        if body is None:
            return self.response_400(message="Request is not JSON")
        try:
            saved = save_connection(db.session, app_cipher(current_app), request_viewer(), body,
                                    row)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            return self.response(exc.status, message=exc.messages)
        status = 201 if row is None else 200
        return self.response(status, id=saved.id, result=self._public(saved))

    def post_headless(self) -> Response:
        return self._save(None)

    def put_headless(self, pk: Any) -> Response:
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        return self._save(row)


class ExternalLinkApi(ScopedModelRestApi):
    """Which vendor object each of our rows is (read-only; kept by the connector actions)."""

    resource_name = "external_link"
    class_permission_name = "ExternalLink"
    datamodel = ScopedInterface(ExternalLink)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "connection.id", "connection.name", "local_type", "local_id",
                    "remote_type", "remote_id", "created_at", "updated_at"]
    show_columns = list_columns
    search_columns = ["connection", "local_type", "local_id", "remote_type", "remote_id"]


class BillingRunApi(ScopedModelRestApi):
    """Invoices made from hours (read-only): planned, invoiced or released."""

    resource_name = "billing_run"
    class_permission_name = "BillingRun"
    datamodel = ScopedInterface(BillingRun)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "delivery.id", "connection.id", "connection.name", "organization.id",
                    "organization.name", "status", "currency", "total_minor",
                    "stripe_customer_id", "stripe_invoice_id", "invoice_url", "created_at",
                    "finished_at"]
    show_columns = list_columns + ["lines"]
    search_columns = ["organization", "connection", "status", "created_at"]
    base_order = ("id", "desc")


def connector_catalogue(name: str | None = None) -> list[dict[str, Any]]:
    """Each connector with its auth fields and the forms of its recipe actions."""
    result = []
    for connector in CONNECTORS.values():
        if name is not None and connector.name != name:
            continue
        entry = connector.describe()
        entry["actions"] = [describe(spec) for spec in REGISTRY.values()
                            if connector_of(spec.name) == connector.name]
        result.append(entry)
    return result


class ConnectorApi(BaseApi):
    resource_name = "connector"
    class_permission_name = "Connector"
    method_permission_name = METHOD_PERMISSIONS
    allow_browser_login = True
    openapi_spec_tag = "Connectors"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self) -> Response:
        """The connectors, their auth fields and their actions' input forms.
        ---
        get:
          summary: Every connector with its auth fields and recipe action forms
          responses:
            200:
              description: connectors
            401:
              $ref: '#/components/responses/401'
        """
        return self.response(200, result=connector_catalogue())

    @expose("/<name>", methods=["GET"])
    @protect()
    @safe
    def get(self, name: str) -> Response:
        """One connector.
        ---
        get:
          summary: One connector with its auth fields and recipe action forms
          parameters:
          - in: path
            name: name
            schema: {type: string}
          responses:
            200:
              description: the connector
            404:
              $ref: '#/components/responses/404'
        """
        found = connector_catalogue(name)
        if not found:
            return self.response_404()
        return self.response(200, result=found[0])


def register_connection_apis(appbuilder: AppBuilder) -> None:
    for api in (ConnectionApi, ExternalLinkApi, BillingRunApi, ConnectorApi):
        appbuilder.add_api(api)
