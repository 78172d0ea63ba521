"""REST APIs for messages and attachments (multipart upload, permission-checked download)."""

from __future__ import annotations

from flask import Response, request, send_file
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.api.base import ScopedModelRestApi
from webapp.commands.attach_file import attach_file, attachment_store
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import Attachment, Message

# Types a browser may show inline; everything else is downloaded (no stored-XSS via HTML/SVG).
_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                 "text/plain"}


class MessageApi(ScopedModelRestApi):
    resource_name = "message"
    class_permission_name = "Message"
    datamodel = ScopedInterface(Message)
    list_columns = ["id", "item.id", "is_public", "body_html", "author_user.id",
                    "author_user.username", "author_customer.id", "author_customer.email",
                    "created_at"]
    show_columns = list_columns + ["attachments.id", "attachments.filename"]
    add_columns = ["item", "is_public", "body_html"]
    edit_columns = ["is_public", "body_html"]
    search_columns = ["item", "is_public", "author_user", "author_customer"]
    base_order = ("id", "asc")


class AttachmentApi(ScopedModelRestApi):
    resource_name = "attachment"
    class_permission_name = "Attachment"
    datamodel = ScopedInterface(Attachment)
    include_route_methods = {"get", "get_list", "info", "delete", "upload", "download"}
    list_columns = ["id", "item.id", "message.id", "filename", "content_type", "size",
                    "sha256", "uploaded_by.id", "created_at"]
    show_columns = list_columns
    search_columns = ["item", "message", "filename", "content_type"]

    @expose("/", methods=("POST",))
    @protect()
    @safe
    @permission_name("upload")
    def upload(self) -> Response:
        """Upload a file (multipart/form-data: file, item_id, optional message_id).
        ---
        post:
          summary: Attach a file to an item
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [file, item_id]
                  properties:
                    file: {type: string, format: binary}
                    item_id: {type: integer}
                    message_id: {type: integer}
          responses:
            201:
              description: the attachment
            422:
              $ref: '#/components/responses/422'
        """
        upload = request.files.get("file")
        try:
            attachment = attach_file(
                db.session, request_viewer(), request.form.to_dict(),
                upload.stream if upload else None, upload.filename if upload else None,
            )
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)
        return self.response(201, id=attachment.id,
                             result=self.show_model_schema.dump(attachment))

    @expose("/<int:pk>/download", methods=("GET",))
    @protect()
    @safe
    @permission_name("download")
    def download(self, pk: int) -> Response:
        """Download the file of an attachment one may see (404 otherwise).
        ---
        get:
          summary: Download an attachment's file
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the file
            404:
              $ref: '#/components/responses/404'
        """
        attachment = self.datamodel.get(pk)
        if attachment is None:
            return self.response_404()
        path = attachment_store().path(attachment.storage_key)
        if not path.exists():
            return self.response_404()
        response = send_file(
            path, mimetype=attachment.content_type, download_name=attachment.filename,
            as_attachment=attachment.content_type not in _INLINE_TYPES, conditional=True,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox"
        return response

    def post_delete(self, item: Attachment) -> None:
        attachment_store().delete(item.storage_key)
