"""Screens for outbound webhook endpoints (with their delivery log and replay, the secret and
its rotation), inbound endpoints and the requests they received, and API keys."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.automation import delivery_ledger, wake_workers
from webapp.commands.connections import app_cipher
from webapp.commands.errors import CommandError
from webapp.commands.webhooks import (
    KNOWN_EVENTS,
    rotate_secret,
    save_endpoint,
    save_inbound_endpoint,
    url_guard,
)
from webapp.extensions import db
from webapp.models import (
    INBOUND_SCHEMES,
    Delivery,
    DeliveryStatus,
    InboundEndpoint,
    InboundRequest,
    User,
    WebhookAttempt,
    WebhookEndpoint,
)
from webapp.models.connections import CredentialsError
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.automation import DeliveryView
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen

_READ_ONLY = {"list", "show"}


def _messages(exc: CommandError) -> str:
    messages = exc.messages
    if isinstance(messages, dict):
        return "; ".join(f"{field}: {reason}" for field, reason in messages.items())
    return str(messages)


class EventTypesField(StringField):
    """A list of event types edited as comma-separated text."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_data = valuelist
        text = valuelist[0] if valuelist else ""
        self.data = [part.strip() for part in text.split(",") if part.strip()]


class WebhookAttemptView(ScopedModelView):
    list_title = _l("Webhook log")
    show_title = _l("Webhook attempt")
    add_title = _l("New webhook attempt")
    edit_title = _l("Edit webhook attempt")
    route_base = "/webhook-attempts"
    class_permission_name = "WebhookAttempt"
    datamodel = ScopedInterface(WebhookAttempt)
    include_route_methods = _READ_ONLY | {"action", "action_post"}
    list_columns = ["created_at", "endpoint", "webhook_id", "attempt", "outcome",
                    "response_status", "error", "duration_ms"]
    show_columns = list_columns + ["url", "delivery", "request_headers", "request_body",
                                   "response_headers", "response_body"]
    search_columns = ["endpoint", "outcome", "response_status", "created_at"]
    label_columns = {"webhook_id": _l("webhook-id"), "response_status": _l("Answer")}
    base_order = ("id", "desc")

    @action("replay", _l("Replay"), _l("Send the selected attempts' deliveries again?"),
            "fa-repeat",
            multiple=True, single=True)
    def replay(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        ledger = delivery_ledger()
        done: set[int] = set()
        for attempt in items:
            delivery = db.session.get(Delivery, attempt.delivery_id) \
                if attempt.delivery_id else None
            if delivery is None or delivery.id in done or \
                    delivery.status == DeliveryStatus.RUNNING:
                continue
            ledger.replay(delivery)
            done.add(delivery.id)
        wake_workers()
        flash(gettext("%(count)d deliveries queued again", count=len(done)), "success")
        return redirect(request.referrer or self.get_redirect())


class WebhookEndpointView(ScopedModelView):
    list_title = _l("Webhook endpoints")
    show_title = _l("Webhook endpoint")
    add_title = _l("New webhook endpoint")
    edit_title = _l("Edit webhook endpoint")
    route_base = "/webhook-endpoints"
    class_permission_name = "WebhookEndpoint"
    method_permission_name = {**METHOD_PERMISSIONS, "rotate": "write", "reveal": "write"}
    datamodel = ScopedInterface(WebhookEndpoint)
    list_columns = ["name", "url", "event_types", "enabled", "owner", "failing_since",
                    "last_success_at", "disabled_reason"]
    show_columns = ["name", "url", "event_types", "enabled", "description", "owner",
                    "failing_since", "last_success_at", "disabled_at", "disabled_reason",
                    "previous_secret_expires_at", "created_at", "updated_at"]
    add_columns = ["name", "url", "event_types", "enabled", "description"]
    edit_columns = add_columns
    search_columns = ["name", "url", "enabled", "owner"]
    label_columns = {"url": _l("URL"), "owner": _l("REST hook of"),
                     "previous_secret_expires_at": _l("Old secret signs until")}
    related_views = [WebhookAttemptView, DeliveryView]
    show_template = "relaydesk/webhook_endpoint_show.html"
    base_order = ("name", "asc")
    _help = _l("Comma-separated, e.g. ticket.created, ticket.* or *. Known: %(events)s",
               events=", ".join(KNOWN_EVENTS))
    add_form_extra_fields = {"event_types": EventTypesField(_l("Event types"),
                                                            description=_help)}
    edit_form_extra_fields = add_form_extra_fields

    def _apply(self, item: WebhookEndpoint, is_new: bool) -> None:
        data = {key: getattr(item, key) for key in self.add_columns}
        try:
            _, secret = save_endpoint(db.session, app_cipher(current_app), url_guard(current_app),
                                      request_viewer(), data, None if is_new else item,
                                      new_row=item if is_new else None)
        except CommandError as exc:
            db.session.rollback()
            raise ValueError(_messages(exc)) from exc
        item.__dict__["_new_secret"] = secret

    def pre_add(self, item: WebhookEndpoint) -> None:
        self._apply(item, is_new=True)

    def post_add(self, item: WebhookEndpoint) -> None:
        secret = item.__dict__.pop("_new_secret", None)
        if secret:
            flash(gettext("Signing secret of %(name)r (shown once; see the endpoint's page to "
                          "rotate it): %(secret)s", name=item.name, secret=secret), "info")

    def pre_update(self, item: WebhookEndpoint) -> None:
        self._apply(item, is_new=False)

    @expose("/rotate/<int:pk>", methods=["POST"])
    @has_access
    def rotate(self, pk: int) -> Any:
        row = self.datamodel.get(pk)
        if row is None:
            flash(gettext("No such endpoint"), "danger")
            return redirect(self.get_redirect())
        grace = request.form.get("grace") or current_app.config["WEBHOOK_SECRET_GRACE"]
        try:
            secret = rotate_secret(db.session, app_cipher(current_app), row, grace)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            flash(_messages(exc), "danger")
        else:
            flash(gettext("New signing secret (the old one signs too for %(grace)s): %(secret)s",
                          grace=grace, secret=secret), "info")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))

    @expose("/reveal/<int:pk>", methods=["POST"])
    @has_access
    def reveal(self, pk: int) -> Any:
        row = self.datamodel.get(pk)
        if row is None:
            flash(gettext("No such endpoint"), "danger")
            return redirect(self.get_redirect())
        try:
            flash(gettext("Signing secret of %(name)r: %(secret)s", name=row.name,
                          secret=row.secret(app_cipher(current_app))),
                  "info")
        except (CredentialsError, CommandError) as exc:
            flash(str(exc), "danger")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))


class InboundRequestView(ScopedModelView):
    list_title = _l("Inbound requests")
    show_title = _l("Inbound request")
    add_title = _l("New inbound request")
    edit_title = _l("Edit inbound request")
    route_base = "/inbound-requests"
    class_permission_name = "InboundRequest"
    datamodel = ScopedInterface(InboundRequest)
    include_route_methods = _READ_ONLY
    list_columns = ["id", "received_at", "slug", "status", "reason", "message_id", "event"]
    show_columns = list_columns + ["method", "remote_addr", "headers", "body_text",
                                   "processed_at"]
    search_columns = ["slug", "status", "message_id", "received_at"]
    label_columns = {"body_text": _l("Body (as text)")}
    base_order = ("id", "desc")


class InboundEndpointView(ScopedModelView):
    list_title = _l("Inbound webhooks")
    show_title = _l("Inbound webhook")
    add_title = _l("New inbound webhook")
    edit_title = _l("Edit inbound webhook")
    route_base = "/inbound-endpoints"
    class_permission_name = "InboundEndpoint"
    datamodel = ScopedInterface(InboundEndpoint)
    list_columns = ["slug", "name", "scheme", "enabled", "tolerance_seconds", "path"]
    show_columns = ["slug", "path", "name", "scheme", "enabled", "tolerance_seconds",
                    "description", "created_at", "updated_at"]
    add_columns = ["slug", "name", "scheme", "new_secret", "tolerance_seconds", "enabled",
                   "description"]
    edit_columns = add_columns
    search_columns = ["slug", "scheme", "enabled"]
    label_columns = {"path": _l("URL path"), "new_secret": _l("Secret"),
                     "tolerance_seconds": _l("Timestamp tolerance (s)")}
    related_views = [InboundRequestView]
    base_order = ("slug", "asc")
    _secret_help = _l("Write-only. Stripe: the endpoint's signing secret (whsec_…); Standard "
                      "Webhooks: the sender's whsec_… secret. Empty on add: one is made and "
                      "shown once; empty on edit: unchanged.")
    add_form_extra_fields = {
        "scheme": SelectField(_l("Scheme"), choices=[(s, s) for s in INBOUND_SCHEMES]),
        "new_secret": StringField(_l("Secret"), description=_secret_help),
    }
    edit_form_extra_fields = add_form_extra_fields

    def _apply(self, item: InboundEndpoint, is_new: bool) -> None:
        data: dict[str, Any] = {key: getattr(item, key) for key in
                                ("slug", "name", "scheme", "tolerance_seconds", "enabled",
                                 "description")}
        secret = item.__dict__.pop("new_secret", None)
        if secret:
            data["secret"] = secret
        try:
            _, made = save_inbound_endpoint(db.session, app_cipher(current_app),
                                            request_viewer(), data, None if is_new else item,
                                            new_row=item if is_new else None)
        except CommandError as exc:
            db.session.rollback()
            raise ValueError(_messages(exc)) from exc
        item.__dict__["_new_secret"] = made

    def pre_add(self, item: InboundEndpoint) -> None:
        self._apply(item, is_new=True)

    def post_add(self, item: InboundEndpoint) -> None:
        secret = item.__dict__.pop("_new_secret", None)
        note = gettext("Send to POST %(url)s.",
                       url=f"{request.host_url.rstrip('/')}/hooks/in/{item.slug}")
        if secret:
            note += " " + gettext("Its secret (shown once): %(secret)s", secret=secret)
        flash(note, "info")

    def pre_update(self, item: InboundEndpoint) -> None:
        self._apply(item, is_new=False)


class ApiKeyView(BaseView):
    """API keys for integrations (admins): make one for a user (shown once), revoke."""

    route_base = "/api-keys"
    default_view = "keys"
    class_permission_name = "ApiKey"
    method_permission_name = {"keys": "read", "make": "write", "revoke": "write"}

    @expose("/")
    @has_access
    def keys(self) -> Any:
        from flask_appbuilder.security.sqla.models import ApiKey

        rows = list(db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
        users = list(db.session.scalars(select(User).where(User.active.is_(True))
                                        .order_by(User.username)))
        return self.render_template("relaydesk/api_keys.html", keys=rows, users=users)

    @expose("/make", methods=["POST"])
    @has_access
    def make(self) -> Any:
        sm = current_app.appbuilder.sm
        name = (request.form.get("name") or "").strip()
        user = db.session.get(User, request.form.get("user_id", type=int) or 0)
        if not name or user is None or not user.active:
            flash(gettext("Name the key and choose an active user"), "danger")
            return redirect(url_for("ApiKeyView.keys"))
        made = sm.create_api_key(user, name)
        if not made:
            flash(gettext("The key could not be made"), "danger")
        else:
            flash(gettext("API key for %(user)s (shown once; send it as X-API-Key): %(key)s",
                          user=user.username, key=made["key"]), "info")
        return redirect(url_for("ApiKeyView.keys"))

    @expose("/revoke/<uuid>", methods=["POST"])
    @has_access
    def revoke(self, uuid: str) -> Any:
        if current_app.appbuilder.sm.revoke_api_key(uuid):
            flash(gettext("Key revoked"), "success")
        else:
            flash(gettext("No such key"), "danger")
        return redirect(url_for("ApiKeyView.keys"))


def register_webhook_views(appbuilder: AppBuilder) -> None:
    cat = "Automation"
    add_screen(appbuilder, WebhookEndpointView, "Webhook endpoints", _l("Webhook endpoints"),
               "fa-share-square", cat)
    add_screen(appbuilder, WebhookAttemptView, "Webhook log", _l("Webhook log"), "fa-list-alt", cat)
    add_screen(appbuilder, InboundEndpointView, "Inbound webhooks", _l("Inbound webhooks"),
               "fa-sign-in", cat)
    add_screen(appbuilder, InboundRequestView, "Inbound requests", _l("Inbound requests"),
               "fa-inbox", cat)
    # "API Keys" is one of the security menus staff do not see (webapp.security.roles).
    add_screen(appbuilder, ApiKeyView, "API Keys", _l("API Keys"), "fa-key", cat)
