"""REST APIs of the e-mail channel: support addresses, mail templates, the inbound mail
list (with the rejected mail on its own), the raw original of a mail, processing a mail
again, and the inbound-parse endpoint ``POST /api/v1/mail/inbound`` for forwarding services.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import permission_name

from triggers.email import intake
from triggers.email.decode import is_address
from webapp.access import mail as _mail_rule  # noqa: F401  (registers the visibility rule)
from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi, raw_download
from webapp.content.files import limit_text
from webapp.extensions import db
from webapp.mail import intake_settings
from webapp.models import InboundMail, InboundStatus, MailTemplate, SupportAddress
from webapp.security.resources import METHOD_PERMISSIONS

MAIL_PERMISSIONS = {**METHOD_PERMISSIONS, "raw": "read", "process_again": "write",
                    "inbound": "write"}


class SupportAddressApi(ScopedModelRestApi):
    resource_name = "support_address"
    class_permission_name = "SupportAddress"
    datamodel = ScopedInterface(SupportAddress)
    list_columns = ["id", "address", "name", "project.id", "project.name", "item_type.id",
                    "item_type.name", "enabled", "is_default", "created_at"]
    show_columns = list_columns + ["signature", "updated_at"]
    add_columns = ["address", "name", "signature", "project", "item_type", "enabled",
                   "is_default"]
    edit_columns = add_columns
    search_columns = ["address", "project", "item_type", "enabled"]
    optional_on_add = ("enabled", "is_default")


class MailTemplateApi(ScopedModelRestApi):
    resource_name = "mail_template"
    class_permission_name = "MailTemplate"
    datamodel = ScopedInterface(MailTemplate)
    list_columns = ["id", "event_type", "name", "subject", "body", "updated_at"]
    show_columns = list_columns + ["created_at"]
    add_columns = ["event_type", "name", "subject", "body"]
    edit_columns = add_columns
    search_columns = ["event_type", "name"]
    base_order = ("event_type", "asc")


_INBOUND_LIST = ["id", "received_at", "source", "status", "reason", "sender", "subject",
                 "rfc_message_id", "auto_reason", "support_address.id",
                 "support_address.address", "item.id", "message.id", "size", "notes"]


class InboundMailApi(ScopedModelRestApi):
    resource_name = "inbound_mail"
    class_permission_name = "InboundMail"
    method_permission_name = MAIL_PERMISSIONS
    datamodel = ScopedInterface(InboundMail)
    include_route_methods = {"get", "get_list", "info", "raw", "process_again"}
    list_columns = _INBOUND_LIST
    show_columns = _INBOUND_LIST + ["envelope_from", "envelope_to", "recipients", "peer",
                                    "sha256", "processed_at"]
    search_columns = ["status", "sender", "subject", "source", "received_at", "item",
                      "support_address", "rfc_message_id"]
    order_columns = ["id", "received_at", "status", "sender"]
    base_order = ("id", "desc")

    @expose("/<int:pk>/raw", methods=("GET",))
    @protect()
    @safe
    @permission_name("raw")
    def raw(self, pk: int) -> Response:
        """The original message, byte for byte (message/rfc822).
        ---
        get:
          summary: Download the raw inbound mail
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the message as received
            404:
              $ref: '#/components/responses/404'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        return raw_download(row.raw, "message/rfc822", f"inbound-{row.id}.eml")

    @expose("/<int:pk>/process", methods=("POST",))
    @protect()
    @safe
    @permission_name("process_again")
    def process_again(self, pk: int) -> Response:
        """Process a rejected or ignored mail again (after adding its support address, say).
        ---
        post:
          summary: Process an inbound mail again
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the new outcome
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        row = self.datamodel.get(pk, self._base_filters)
        if row is None:
            return self.response_404()
        if row.status in (InboundStatus.TICKET, InboundStatus.REPLY):
            return self.response_422(message={"status": [
                f"is {row.status.value}: this mail is on item #{row.item_id} already"]})
        row = intake.process(db.session, row.id, intake_settings(current_app), again=True)
        return self.response(200, result=_outcome(row))


class RejectedMailApi(InboundMailApi):
    """The rejected mail only: kept with the reason, for an admin to act on."""

    resource_name = "rejected_mail"
    base_filters = [["status", FilterEqual, InboundStatus.REJECTED]]
    include_route_methods = {"get", "get_list", "info"}


def _outcome(row: InboundMail) -> dict:
    return {"id": row.id, "status": row.status.value, "reason": row.reason,
            "item_id": row.item_id, "message_id": row.message_id, "sender": row.sender,
            "subject": row.subject, "notes": row.notes}


class MailIntakeApi(BaseApi):
    """``POST /api/v1/mail/inbound``: a raw RFC 822 message from a forwarding service."""

    resource_name = "mail"
    class_permission_name = "InboundMail"
    method_permission_name = MAIL_PERMISSIONS
    allow_browser_login = True
    openapi_spec_tag = "Mail"

    @expose("/inbound", methods=("POST",))
    @protect()
    @safe
    @permission_name("inbound")
    def inbound(self) -> Response:
        """Take in one raw e-mail message: stored first, then made a ticket or reply, or
        kept as ignored/rejected mail with the reason.
        ---
        post:
          summary: Inbound-parse endpoint (raw RFC 822 message)
          parameters:
          - in: query
            name: to
            description: envelope recipient(s), comma-separated (the support address)
            schema: {type: string}
          - in: query
            name: from
            description: envelope sender ("" for a bounce)
            schema: {type: string}
          requestBody:
            required: true
            content:
              message/rfc822:
                schema: {type: string, format: binary}
              application/octet-stream:
                schema: {type: string, format: binary}
              multipart/form-data:
                schema:
                  type: object
                  required: [message]
                  properties:
                    message: {type: string, format: binary}
                    to: {type: string}
                    from: {type: string}
          responses:
            201:
              description: stored; the outcome (ticket, reply, ignored or rejected + reason)
            413:
              description: larger than MAIL_MAX_BYTES
            422:
              $ref: '#/components/responses/422'
        """
        raw, envelope_to, envelope_from, errors = _read_inbound()
        if errors:
            status = 413 if errors.pop("_status", None) == 413 else 422
            return self.response(status, message=errors)
        row = intake.receive(db.session, raw, intake_settings(current_app), source="http",
                             envelope_from=envelope_from, envelope_to=envelope_to,
                             peer=request.remote_addr)
        return self.response(201, id=row.id, result=_outcome(row))


def _read_inbound() -> tuple[bytes, list[str], str | None, dict]:
    """(raw message, envelope recipients, envelope sender, errors by field)."""
    errors: dict = {}
    form = request.form if request.mimetype == "multipart/form-data" else {}
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("message")
        raw = upload.read() if upload is not None else (form.get("message") or "").encode(
            "utf-8", "surrogateescape")
        missing = "is required: a multipart field 'message' holding the raw RFC 822 message"
    elif request.mimetype in ("application/json", "application/x-www-form-urlencoded"):
        raw = b""
        missing = (f"must be the raw RFC 822 message as the request body (message/rfc822), "
                   f"not {request.mimetype}")
    else:
        raw = request.get_data(cache=False)
        missing = ("is required: the raw RFC 822 message as the request body "
                   "(message/rfc822), or a multipart field 'message'")
    limit = current_app.config["MAIL_MAX_BYTES"]
    if not raw.strip():
        errors["message"] = [missing]
    elif len(raw) > limit:
        errors["message"] = [f"is larger than the limit of {limit_text(limit)}"]
        errors["_status"] = 413
    raw_to = form.get("to") if form else None
    raw_to = raw_to if raw_to is not None else request.args.get("to", "")
    envelope_to = [a.strip() for a in raw_to.replace(";", ",").split(",") if a.strip()]
    bad = [a for a in envelope_to if not is_address(a)]
    if bad:
        errors["to"] = [f"{a!r} is not an e-mail address" for a in bad]
    envelope_from = form.get("from") if form else None
    if envelope_from is None:
        envelope_from = request.args.get("from")
    if envelope_from:
        envelope_from = envelope_from.strip().strip("<>")
        if envelope_from and not is_address(envelope_from):
            errors["from"] = [f"{envelope_from!r} is not an e-mail address"]
    return raw, envelope_to, envelope_from, errors


MAIL_APIS = (SupportAddressApi, MailTemplateApi, InboundMailApi, RejectedMailApi,
             MailIntakeApi)


def register_mail_apis(appbuilder: AppBuilder) -> None:
    for api in MAIL_APIS:
        appbuilder.add_api(api)
