"""The conversation panel of an item's show page and its reply endpoint (tickets and tasks).

Reading goes through the scoped visibility rule; the reply is a ``Message`` added through the
view's ``ScopedInterface`` (the same write check as ``POST /api/v1/message/``) and its files
through ``attach_file`` (the same rules as ``POST /api/v1/attachment/``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_appbuilder.widgets import RenderTemplateWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired

from webapp.access.interface import request_viewer
from webapp.commands.attach_file import attach_file, attachment_store
from webapp.commands.errors import CommandError
from webapp.content.sizes import limit_text, size_text
from webapp.models import Item, Message
from webapp.views.threads import describe_errors, load_conversation, reply_body_html

_LABELS = {"body_html": _l("Reply"), "item": _l("Item"), "file": _l("the file"),
           "message_id": _l("Message")}


def _not_sent(reason: str) -> str:
    return gettext("The reply was not sent: %(reason)s", reason=reason)


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply"), validators=[DataRequired(message=_l("Write something before sending."))]
    )
    visibility = RadioField(
        _l("Visibility"),
        choices=[("public", _l("Public reply (the customer sees it)")),
                 ("private", _l("Private note (staff only)"))],
        default="public",
    )
    files = MultipleFileField(_l("Attach files"))

    @property
    def is_public(self) -> bool:
        return self.visibility.data == "public"


class ConversationWidget(RenderTemplateWidget):
    template = "relaydesk/widgets/conversation.html"


def _upload_size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _file_errors(uploads: list[FileStorage]) -> list[str]:
    """What the attachment store would refuse, found before anything is written."""
    limit = attachment_store().max_bytes
    errors = []
    for upload in uploads:
        size = _upload_size(upload)
        if size == 0:
            errors.append(gettext("File %(name)s is empty.", name=upload.filename))
        elif size > limit:
            errors.append(gettext("File %(name)s (%(size)s) is larger than the limit of "
                                  "%(limit)s.", name=upload.filename, size=size_text(size),
                                  limit=limit_text(limit)))
    return errors


class ConversationMixin:
    """Adds the conversation panel to ``show`` and ``POST <route_base>/reply/<pk>``.

    Mix into a ``ScopedModelView`` over ``Item``, before it in the bases.
    """

    show_template = "relaydesk/item_show.html"
    conversation_widget = ConversationWidget
    reply_default_visibility = "public"

    def _get_show_widget(self, pk: Any, item: Item, widgets: dict | None = None,
                         actions: Any = None, show_fieldsets: Any = None,
                         reply_form: ReplyForm | None = None) -> dict:
        widgets = super()._get_show_widget(pk, item, widgets=widgets, actions=actions,
                                           show_fieldsets=show_fieldsets)
        can_reply = self.appbuilder.sm.has_access("can_write", self.class_permission_name)
        if reply_form is None and can_reply:
            reply_form = ReplyForm(formdata=None, visibility=self.reply_default_visibility)
        widgets["conversation"] = self.conversation_widget(
            conversation=load_conversation(self.datamodel.session, request_viewer(), item),
            form=reply_form,
            can_reply=can_reply,
            reply_url=url_for(f"{self.endpoint}.reply", pk=item.id),
        )
        return widgets

    def _visible_item(self, pk: int) -> Item:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    def _show_again(self, item: Item, form: ReplyForm, errors: list[str]) -> Any:
        """The show page with the typed reply kept and the errors flashed (422)."""
        for error in errors:
            flash(error, "danger")
        widgets = self._get_show_widget(item.id, item, reply_form=form)
        widgets = self._get_related_views_widgets(
            item, orders=get_order_args(), pages=get_page_args(),
            page_sizes=get_page_size_args(), widgets=widgets,
        )
        page = self.render_template(self.show_template, pk=item.id, title=self.show_title,
                                    widgets=widgets, related_views=self._related_views)
        return page, 422

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk: int) -> Any:
        item = self._visible_item(pk)
        show_url = url_for(f"{self.endpoint}.show", pk=pk)
        try:
            request.files  # noqa: B018  (parses the body; too large raises here)
        except RequestEntityTooLarge:
            flash(gettext("The reply was not sent: its files are too large together."), "danger")
            return redirect(show_url)
        form = ReplyForm()
        if not form.validate_on_submit():
            errors = [e for messages in form.errors.values() for e in messages]
            return self._show_again(item, form, [_not_sent(e) for e in errors])
        uploads = [u for u in form.files.data or [] if u and u.filename]
        errors = _file_errors(uploads)
        if errors:
            return self._show_again(item, form, [_not_sent(e) for e in errors])
        message = Message(item_id=item.id, is_public=form.is_public,
                          body_html=reply_body_html(form.body.data))
        try:
            self.datamodel.add(message)
        except CommandError as exc:
            text = describe_errors(exc.messages, _LABELS)
            return self._show_again(item, form, [_not_sent(f"{text}.")])
        failed = self._attach(item, message, uploads)
        done = gettext("Reply posted.") if message.is_public else gettext("Private note added.")
        flash(done, "success" if not failed else "warning")
        for text in failed:
            flash(text, "danger")
        return redirect(f"{show_url}#conversation")

    def _attach(self, item: Item, message: Message, uploads: list[FileStorage]) -> list[str]:
        failed = []
        fields = {"item_id": str(item.id), "message_id": str(message.id)}
        for upload in uploads:
            try:
                attach_file(self.datamodel.session, request_viewer(), fields, upload.stream,
                            upload.filename)
            except CommandError as exc:
                text = describe_errors(exc.messages, _LABELS)
                failed.append(gettext("File %(name)s was not attached: %(reason)s.",
                                      name=upload.filename, reason=text))
        return failed
