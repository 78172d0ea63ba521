"""REST APIs of the webhooks: outbound endpoints (secrets write-only, shown when made), their
delivery log and replay; inbound endpoints and the requests they received; and what a
Zapier-style integration needs: REST hook subscriptions (``/api/v1/hooks/``), polling
triggers (``/api/v1/triggers/<event>``), the ``/api/v1/me`` test call, and API keys made by
admins (``/api/v1/api_key/``; sent as ``X-API-Key: rdk_…`` or ``Authorization: Bearer rdk_…``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from sqlalchemy import select

from hub.payload import Companions
from hub.webhooks import event_data, iso
from webapp.access.interface import ScopedInterface, request_viewer
from webapp.access.scope import visibility_clause
from webapp.api.base import ScopedModelRestApi, raw_download
from webapp.automation import delivery_ledger, wake_workers
from webapp.commands.connections import app_cipher
from webapp.commands.errors import CommandError
from webapp.commands.webhooks import (
    event_problem,
    own_subscription,
    rotate_secret,
    save_endpoint,
    save_inbound_endpoint,
    subscribe,
    url_guard,
)
from webapp.extensions import db
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    InboundEndpoint,
    InboundRequest,
    User,
    WebhookAttempt,
    WebhookEndpoint,
)
from webapp.models.connections import CredentialsError
from webapp.security.resources import METHOD_PERMISSIONS

ENDPOINT_COLUMNS = ["id", "name", "url", "event_types", "enabled", "owner.id", "owner.username",
                    "failing_since", "last_success_at", "disabled_at", "disabled_reason",
                    "previous_secret_expires_at", "description", "created_at", "updated_at"]
ATTEMPT_COLUMNS = ["id", "endpoint_id", "delivery_id", "attempt", "webhook_id", "url",
                   "outcome", "response_status", "error", "duration_ms", "created_at"]
_ATTEMPT_API = ["id", "endpoint.id", "endpoint.name", "delivery.id", "attempt", "webhook_id",
                "url", "outcome", "response_status", "error", "duration_ms", "created_at"]
MAX_POLL = 100
ID_MAX = 2**31 - 1  # primary keys are 32-bit integers


def _body() -> Any:
    return request.get_json(silent=True)


def _int_arg(name: str, default: int | None, low: int, high: int,
             problems: dict[str, list[str]]) -> int | None:
    """Query argument ``name`` as an integer from ``low`` to ``high``; a bad one is recorded
    in ``problems`` (answered 422) rather than silently replaced by the default."""
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        problems[name] = [f"must be an integer from {low} to {high}, not {text[:40]!r}"]
        return default
    return value


def _attempt(row: WebhookAttempt, delivery: Delivery | None = None) -> dict[str, Any]:
    data = {key: getattr(row, key) for key in ATTEMPT_COLUMNS}
    data["created_at"] = iso(row.created_at)
    data.update(request_headers=row.request_headers, request_body=row.request_body,
                response_headers=row.response_headers, response_body=row.response_body)
    if delivery is not None:
        data["delivery_status"] = delivery.status.value
        data["event_id"] = delivery.event_id
    return data


class _SecretBearingApi(ScopedModelRestApi):
    """Writes go through a command that may hand out a new secret, shown once in the answer."""

    def save_row(self, body: dict[str, Any], row: Any) -> tuple[Any, str | None]:
        raise NotImplementedError

    def shown(self, saved: Any) -> dict[str, Any]:
        return self.show_model_schema.dump(saved)

    def _save(self, row: Any) -> Response:
        body = _body()
        if body is None:
            return self.response_400(message="Request is not JSON")
        try:
            saved, secret = self.save_row(body, row)
            result = self.shown(saved)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            return self.response(exc.status, message=exc.messages)
        extra = {"secret": secret} if secret else {}
        return self.response(201 if row is None else 200, id=saved.id, result=result, **extra)

    def post_headless(self) -> Response:
        return self._save(None)

    def put_headless(self, pk: Any) -> Response:
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        return self._save(row)


class WebhookEndpointApi(_SecretBearingApi):
    """Outbound webhook endpoints. A new endpoint's ``secret`` (``whsec_…``) is in the answer
    to the POST that makes it, and to ``rotate_secret``; never in a read."""

    resource_name = "webhook_endpoint"
    class_permission_name = "WebhookEndpoint"
    datamodel = ScopedInterface(WebhookEndpoint)
    list_columns = ENDPOINT_COLUMNS
    show_columns = ENDPOINT_COLUMNS
    add_columns = ["name", "url", "event_types", "enabled", "description"]
    edit_columns = add_columns
    search_columns = ["name", "url", "enabled"]
    order_columns = ["id", "name", "created_at"]
    base_order = ("id", "asc")

    def save_row(self, body: dict[str, Any], row: Any) -> tuple[Any, str | None]:
        return save_endpoint(db.session, app_cipher(current_app), url_guard(current_app),
                             request_viewer(), body, row)

    @expose("/<int:pk>/rotate_secret", methods=("POST",))
    @protect()
    @safe
    @permission_name("rotate_secret")
    def rotate_secret(self, pk: int) -> Response:
        """A new signing secret; the current one keeps signing beside it for a grace period.
        ---
        post:
          summary: Rotate an endpoint's signing secret
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    grace: {type: string, description: "e.g. 24h (default WEBHOOK_SECRET_GRACE)"}
          responses:
            200:
              description: the new secret (shown once) and when the old one stops signing
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        body = _body() or {}
        grace = str(body.get("grace") or current_app.config["WEBHOOK_SECRET_GRACE"])
        try:
            secret = rotate_secret(db.session, app_cipher(current_app), row, grace)
            expires = iso(row.previous_secret_expires_at)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            return self.response(exc.status, message=exc.messages)
        return self.response(200, id=pk, secret=secret, previous_secret_expires_at=expires)

    @expose("/<int:pk>/secret", methods=("GET",))
    @protect()
    @safe
    @permission_name("reveal_secret")
    def reveal_secret(self, pk: int) -> Response:
        """The endpoint's current signing secret (needs the write right).
        ---
        get:
          summary: Show an endpoint's signing secret
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the secret
            404:
              $ref: '#/components/responses/404'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        try:
            secret = row.secret(app_cipher(current_app))
        except (CredentialsError, CommandError) as exc:
            return self.response_422(message={"secret": [str(exc)]})
        return self.response(200, id=pk, secret=secret)

    @expose("/<int:pk>/log", methods=("GET",))
    @protect()
    @safe
    @permission_name("get")
    def log(self, pk: int) -> Response:
        """The endpoint's delivery log, newest first: each POST with excerpts of the request
        and the answer, and the state of its delivery.
        ---
        get:
          summary: An endpoint's delivery log
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          - in: query
            name: limit
            schema: {type: integer}
          responses:
            200:
              description: attempts, newest first
            404:
              $ref: '#/components/responses/404'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), 500)
        rows = db.session.execute(
            select(WebhookAttempt, Delivery).outerjoin(
                Delivery, Delivery.id == WebhookAttempt.delivery_id)
            .where(WebhookAttempt.endpoint_id == row.id)
            .order_by(WebhookAttempt.id.desc()).limit(limit)).all()
        return self.response(200, result=[_attempt(a, d) for a, d in rows])

    @expose("/<int:pk>/replay", methods=("POST",))
    @protect()
    @safe
    @permission_name("replay")
    def replay(self, pk: int) -> Response:
        """Replay one delivery of the endpoint (``delivery_id``), or every dead one.
        ---
        post:
          summary: Replay an endpoint's deliveries
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    delivery_id: {type: integer}
          responses:
            200:
              description: the replayed delivery ids
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        body = _body() or {}
        query = select(Delivery).where(Delivery.webhook_endpoint_id == row.id)
        if body.get("delivery_id") is not None:
            query = query.where(Delivery.id == body["delivery_id"])
            chosen = list(db.session.scalars(query))
            if not chosen:
                return self.response_422(message={"delivery_id": [
                    f"no delivery {body['delivery_id']} of this endpoint"]})
            if chosen[0].status == DeliveryStatus.RUNNING:
                return self.response_422(message={"delivery_id": ["is running; wait for it"]})
        else:
            chosen = list(db.session.scalars(query.where(
                Delivery.status == DeliveryStatus.DEAD).order_by(Delivery.id)))
        ledger = delivery_ledger()
        for delivery in chosen:
            ledger.replay(delivery)
        wake_workers()
        return self.response(200, result={"replayed": [d.id for d in chosen]})


class WebhookAttemptApi(ScopedModelRestApi):
    """Every POST made to an endpoint (read-only)."""

    resource_name = "webhook_attempt"
    class_permission_name = "WebhookAttempt"
    datamodel = ScopedInterface(WebhookAttempt)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = _ATTEMPT_API
    show_columns = _ATTEMPT_API + ["request_headers", "request_body", "response_headers",
                                      "response_body"]
    search_columns = ["endpoint", "outcome", "response_status", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "desc")


INBOUND_COLUMNS = ["id", "slug", "name", "scheme", "tolerance_seconds", "enabled",
                   "description", "created_at", "updated_at"]


class InboundEndpointApi(_SecretBearingApi):
    """Inbound webhook endpoints (``POST /hooks/in/<slug>``). ``secret`` is write-only: give
    the sender's signing secret, or leave it out to get one made (answered once)."""

    resource_name = "inbound_endpoint"
    class_permission_name = "InboundEndpoint"
    datamodel = ScopedInterface(InboundEndpoint)
    list_columns = INBOUND_COLUMNS
    show_columns = INBOUND_COLUMNS
    add_columns = ["slug", "name", "scheme", "tolerance_seconds", "enabled", "description"]
    edit_columns = add_columns
    search_columns = ["slug", "scheme", "enabled"]
    base_order = ("slug", "asc")

    def save_row(self, body: dict[str, Any], row: Any) -> tuple[Any, str | None]:
        return save_inbound_endpoint(db.session, app_cipher(current_app), request_viewer(),
                                     body, row)

    def shown(self, saved: Any) -> dict[str, Any]:
        return {**super().shown(saved), "url": f"/hooks/in/{saved.slug}"}


REQUEST_COLUMNS = ["id", "endpoint.id", "slug", "received_at", "method", "remote_addr",
                   "status", "reason", "message_id", "event.id", "processed_at"]


class InboundRequestApi(ScopedModelRestApi):
    """What inbound endpoints received, as received (read-only)."""

    resource_name = "inbound_request"
    class_permission_name = "InboundRequest"
    datamodel = ScopedInterface(InboundRequest)
    include_route_methods = {"get", "get_list", "info", "raw"}
    list_columns = REQUEST_COLUMNS
    show_columns = REQUEST_COLUMNS + ["headers"]
    search_columns = ["slug", "status", "message_id", "received_at"]
    order_columns = ["id", "received_at"]
    base_order = ("id", "desc")

    @expose("/<int:pk>/raw", methods=("GET",))
    @protect()
    @safe
    @permission_name("raw")
    def raw(self, pk: int) -> Response:
        """The request's body, byte for byte.
        ---
        get:
          summary: Download an inbound request's raw body
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the body as received
            404:
              $ref: '#/components/responses/404'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        return raw_download(row.body, "application/octet-stream", f"inbound-{row.id}.bin")


# ---------------------------------------------------------------- Zapier-style


class _Plain(BaseApi):
    method_permission_name = METHOD_PERMISSIONS
    allow_browser_login = True


def _subscription(row: WebhookEndpoint) -> dict[str, Any]:
    return {"id": row.id, "event": (row.event_types or [None])[0], "target_url": row.url,
            "enabled": row.enabled, "disabled_reason": row.disabled_reason,
            "created_at": iso(row.created_at)}


class HookApi(_Plain):
    """REST hooks: subscribe a target URL to an event type; events the caller may see are
    POSTed to it, signed like every webhook. A target answering 410 is unsubscribed."""

    resource_name = "hooks"
    class_permission_name = "Hook"
    openapi_spec_tag = "REST hooks"

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("subscribe")
    def subscribe(self) -> Response:
        """Subscribe.
        ---
        post:
          summary: Subscribe a target URL to an event type
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [event, target_url]
                  properties:
                    event: {type: string, example: ticket.created}
                    target_url: {type: string, format: uri}
          responses:
            201:
              description: the subscription's id (and its signing secret)
            422:
              $ref: '#/components/responses/422'
        """
        body = _body()
        if body is None:
            return self.response_400(message="Request is not JSON")
        try:
            row, secret = subscribe(db.session, app_cipher(current_app), url_guard(current_app),
                                    request_viewer(), body)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            return self.response(exc.status, message=exc.messages)
        return self.response(201, id=row.id, secret=secret, result=_subscription(row))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get_list")
    def get_list(self) -> Response:
        """The caller's subscriptions.
        ---
        get:
          summary: List my REST hook subscriptions
          responses:
            200:
              description: subscriptions
        """
        viewer = request_viewer()
        rows = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.owner_user_id == viewer.user_id).order_by(WebhookEndpoint.id))
        return self.response(200, result=[_subscription(r) for r in rows])

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("unsubscribe")
    def unsubscribe(self, pk: int) -> Response:
        """Unsubscribe.
        ---
        delete:
          summary: Remove a REST hook subscription
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: removed
            404:
              $ref: '#/components/responses/404'
        """
        try:
            row = own_subscription(db.session, request_viewer(), pk)
        except CommandError:
            return self.response_404()
        db.session.delete(row)
        db.session.commit()
        return self.response(200, message="unsubscribed")


class TriggerApi(_Plain):
    """Polling triggers: the newest events of a type the caller may see, newest first, each
    with a stable ``id`` to deduplicate by, in the same shape as a webhook's ``data``."""

    resource_name = "triggers"
    class_permission_name = "Trigger"
    openapi_spec_tag = "Polling triggers"

    @expose("/<event>", methods=["GET"])
    @protect()
    @safe
    @permission_name("poll")
    def poll(self, event: str) -> Response:
        """Poll.
        ---
        get:
          summary: The newest events of a type (newest first)
          parameters:
          - in: path
            name: event
            schema: {type: string, example: ticket.created}
          - in: query
            name: limit
            schema: {type: integer, minimum: 1, maximum: 100, default: 50}
          - in: query
            name: since_id
            schema: {type: integer, minimum: 0}
          responses:
            200:
              description: items with stable ids
            422:
              $ref: '#/components/responses/422'
        """
        problems: dict[str, list[str]] = {}
        problem = event_problem(db.session, event)
        if problem:
            problems["event"] = [problem]
        limit = _int_arg("limit", 50, 1, MAX_POLL, problems)
        since = _int_arg("since_id", None, 0, ID_MAX, problems)
        if problems:
            return self.response_422(message=problems)
        query = select(Event).where(visibility_clause(Event, request_viewer()))
        if event.endswith(".*"):
            query = query.where(Event.type.like(event[:-1] + "%"))
        elif event != "*":
            query = query.where(Event.type == event)
        if since is not None:
            query = query.where(Event.id > since)
        rows = db.session.scalars(query.order_by(Event.id.desc()).limit(limit))
        companions = Companions(db.session)  # one lookup per status, project … per page
        return self.response(200, result=[event_data(row, db.session, companions)
                                          for row in rows])


class MeApi(_Plain):
    """Who the credentials belong to (an integration's connection test)."""

    resource_name = "me"
    class_permission_name = "Me"
    openapi_spec_tag = "Me"

    @expose("", methods=["GET"])
    @protect()
    @safe
    @permission_name("me")
    def me(self) -> Response:
        """Me.
        ---
        get:
          summary: The signed-in user
          responses:
            200:
              description: the user and how they signed in
            401:
              $ref: '#/components/responses/401'
        """
        user = current_app.appbuilder.sm.current_user
        how = "api_key" if getattr(g, "_api_key_user", False) else (
            "jwt" if request.headers.get("Authorization", "").lower().startswith("bearer ")
            else "session")
        return self.response(200, result={
            "id": user.id, "username": user.username, "email": user.email,
            "first_name": user.first_name, "last_name": user.last_name,
            "roles": sorted(role.name for role in user.roles), "auth": how})


def _key(row: Any) -> dict[str, Any]:
    return {"uuid": row.uuid, "name": row.name, "user_id": row.user_id,
            "username": row.user.username if row.user else None, "key_prefix": row.key_prefix,
            "created_on": iso(row.created_on), "expires_on": iso(row.expires_on),
            "revoked_on": iso(row.revoked_on), "last_used_on": iso(row.last_used_on),
            "active": bool(row.is_active)}


class ApiKeyApi(_Plain):
    """API keys (admins only): made for a user, shown once; send as ``X-API-Key`` or
    ``Authorization: Bearer``. A key acts with its user's roles and visibility."""

    resource_name = "api_key"
    class_permission_name = "ApiKey"
    openapi_spec_tag = "API keys"

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self) -> Response:
        """Make a key.
        ---
        post:
          summary: Make an API key for a user
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    username: {type: string, description: "default: the caller"}
                    expires_on: {type: string, format: date-time}
          responses:
            201:
              description: the key (shown once)
            422:
              $ref: '#/components/responses/422'
        """
        sm = current_app.appbuilder.sm
        body = _body()
        if not isinstance(body, dict):
            return self.response_400(message="Request is not JSON")
        errors: dict[str, list[str]] = {}
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 256:
            errors["name"] = ["is required (up to 256 characters)"]
        user = sm.current_user
        if body.get("username"):
            user = db.session.scalars(select(User).where(
                User.username == str(body["username"]))).first()
            if user is None:
                errors["username"] = [f"no user {body['username']!r}"]
        expires = None
        if body.get("expires_on"):
            try:
                expires = dt.datetime.fromisoformat(str(body["expires_on"]))
            except ValueError:
                errors["expires_on"] = ["must be an ISO date-time"]
            else:
                if expires.tzinfo is not None:
                    expires = expires.astimezone(dt.UTC).replace(tzinfo=None)
        if user is not None and not user.active:
            errors["username"] = ["is not an active user"]
        if errors:
            return self.response_422(message=errors)
        made = sm.create_api_key(user, name.strip(), expires_on=expires)
        if not made:
            return self.response_422(message={"_schema": ["the key could not be made"]})
        return self.response(201, result={
            "uuid": made["uuid"], "key": made["key"], "name": made["name"],
            "username": user.username, "key_prefix": made["key_prefix"],
            "expires_on": iso(made["expires_on"])})

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get_list")
    def get_list(self) -> Response:
        """Every key (never the key itself).
        ---
        get:
          summary: List API keys
          responses:
            200:
              description: keys
        """
        from flask_appbuilder.security.sqla.models import ApiKey

        rows = db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc()))
        return self.response(200, result=[_key(row) for row in rows])

    @expose("/<uuid>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, uuid: str) -> Response:
        """Revoke a key.
        ---
        delete:
          summary: Revoke an API key
          parameters:
          - in: path
            name: uuid
            schema: {type: string}
          responses:
            200:
              description: revoked
            404:
              $ref: '#/components/responses/404'
        """
        if not current_app.appbuilder.sm.revoke_api_key(uuid):
            return self.response_404()
        return self.response(200, message="revoked")


def register_webhook_apis(appbuilder: AppBuilder) -> None:
    for api in (WebhookEndpointApi, WebhookAttemptApi, InboundEndpointApi, InboundRequestApi,
                HookApi, TriggerApi, MeApi, ApiKeyApi):
        appbuilder.add_api(api)

