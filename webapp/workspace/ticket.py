"""The ticket page (tickets and tasks), its preview for the inbox, the composer's endpoint,
the new-ticket screen, and attachments shown in place.

Reads go through the visibility rule (an item the viewer may not see is a 404); property
changes are made by the page's script through ``PUT /api/v1/<kind>/<id>`` (the one write
path), replies through ``composer.send_reply``, new tickets through ``new_ticket``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import lazy_gettext
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from webapp.access.interface import ScopedInterface
from webapp.access.scope import current_viewer
from webapp.commands.attach_file import attachment_store
from webapp.commands.errors import CommandError, Invalid
from webapp.commands.merge_ticket import merge_ticket
from webapp.commands.split_message import split_message
from webapp.content.html import sanitize_html
from webapp.extensions import db
from webapp.models import Attachment, Item
from webapp.workspace import composer, new_ticket, panels
from webapp.workspace.present import (
    customer_name,
    full_time,
    initials,
    iso_utc,
    person_name,
    relative_time,
    stars,
)
from webapp.workspace.queues import BY_KEY, next_item_id
from webapp.workspace.seen import mark_seen
from webapp.workspace.timeline import PREVIEWS, build_timeline, last_messages


def _queue_url(queue: str) -> str | None:
    """The inbox of the queue the agent came from."""
    return url_for("InboxView.queue", key=queue) if queue in BY_KEY else None


def _template_helpers() -> dict[str, Any]:
    return {"relative_time": relative_time, "full_time": full_time, "iso_utc": iso_utc,
            "person_name": person_name, "customer_name": customer_name,
            "initials": initials, "stars": stars}


class WorkspaceTicketView(BaseView):
    """``/workspace/ticket/<id>``: one page to read and work an item."""

    route_base = "/workspace/ticket"
    default_view = "new"
    class_permission_name = "Ticket"
    method_permission_name = {"page": "read", "preview": "read", "reply": "write",
                              "new": "write", "requesters": "read", "merge": "write",
                              "split": "write"}
    # Not used for writes: names the model whose id the routes take (the URL sweep reads it).
    datamodel = ScopedInterface(Item)

    def _visible(self, pk: int) -> Item:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        return item

    @expose("/<int:pk>")
    @has_access
    def page(self, pk: int) -> Any:
        session = db.session
        item = self._visible(pk)
        mark_seen(session, current_viewer().user_id, item.id)
        session.commit()
        return self._render_page(item, request.args.get("queue") or "")

    def _render_page(self, item: Item, queue: str, draft: Any = None) -> str:
        session = db.session
        viewer = current_viewer()
        kind = item.kind.value
        return self.render_template(
            "workspace/ticket.html", item=item, kind=kind, queue=queue, draft=draft or {},
            # Sanitized on write already; again here so no stored row can inject markup.
            description=Markup(sanitize_html(item.description)) if item.description else None,
            back_url=_queue_url(queue),
            timeline=build_timeline(session, viewer, item),
            options=panels.property_options(session, viewer, item),
            timers=panels.sla_timers(session, item),
            requester=panels.requester_panel(session, viewer, item),
            api_url=url_for(f"{'Ticket' if kind == 'ticket' else 'Task'}Api.put", pk=item.id),
            convert_url=url_for("TicketApi.convert_to_task", pk=item.id)
            if kind == "ticket" else None,
            reply_url=url_for("WorkspaceTicketView.reply", pk=item.id),
            latest_message_id=composer.latest_message_id(session, item.id),
            can_write=self.appbuilder.sm.has_access(
                "can_write", "Ticket" if kind == "ticket" else "Task"),
            **_template_helpers())

    @expose("/<int:pk>/preview")
    @has_access
    def preview(self, pk: int) -> Any:
        """A fragment for the inbox's preview pane; does not mark the item seen."""
        item = self._visible(pk)
        return self.render_template(
            "workspace/preview.html", item=item,
            messages=last_messages(db.session, current_viewer(), item),
            page_url=url_for("WorkspaceTicketView.page", pk=item.id,
                             queue=request.args.get("queue") or None),
            **_template_helpers())

    @expose("/<int:pk>/reply", methods=["POST"])
    @has_access
    def reply(self, pk: int) -> Any:
        session = db.session
        viewer = current_viewer()
        item = self._visible(pk)
        queue = request.form.get("queue") or None
        back = url_for("WorkspaceTicketView.page", pk=item.id, queue=queue)
        try:
            files = request.files
        except RequestEntityTooLarge:
            flash(str(lazy_gettext("Nothing was sent: the files are too large together.")),
                  "danger")
            return redirect(back + "#rd-composer")
        try:
            reply = composer.parse_reply(request.form, files, item)
            arrived = composer.arrived_meanwhile(session, viewer, item, reply)
            if arrived:
                # Freshdesk's guard: the customer (or a colleague) wrote while this reply
                # was typed. Shown again with the new messages in the timeline; sending
                # once more (now that they are seen) sends it.
                flash(str(lazy_gettext(
                    "Not sent yet: %(count)s new message(s) arrived while you were writing. "
                    "Read them below, then send again.", count=arrived)), "warning")
                return self._render_page(item, queue or "", request.form), 409
            failed = composer.send_reply(session, viewer, item, reply)
        except CommandError as exc:
            # Shown again with the typed text kept; 422 names what was wrong.
            session.rollback()
            for text in composer.error_sentences(exc):
                flash(str(lazy_gettext("Nothing was sent: %(reason)s", reason=text)), "danger")
            return self._render_page(self._visible(pk), queue or "", request.form), 422
        flash(str(lazy_gettext("Reply sent.") if reply.is_public
                  else lazy_gettext("Private note added.")), "success")
        for text in failed:
            flash(text, "warning")
        if reply.open_next:
            next_id = next_item_id(db.session, current_viewer(), reply.queue, item.id)
            if next_id is not None:
                return redirect(url_for("WorkspaceTicketView.page", pk=next_id, queue=queue))
            flash(str(lazy_gettext("Nothing else is waiting in this queue.")), "info")
        return redirect(back + "#rd-timeline-end")

    @expose("/<int:pk>/merge", methods=["POST"])
    @has_access
    def merge(self, pk: int) -> Any:
        """Merge this ticket into the one named in ``target`` ("123" or "#123")."""
        item = self._visible(pk)
        raw = (request.form.get("target") or "").strip().lstrip("#")
        try:
            if not raw.isdigit():
                raise Invalid({"target": [str(lazy_gettext("Give the number of a ticket."))]})
            target = merge_ticket(db.session, current_viewer(), item.id, int(raw))
        except CommandError as exc:
            return self._refused(item, exc, str(lazy_gettext("The ticket was not merged")))
        flash(str(lazy_gettext("Ticket #%(source)s was merged into this one.",
                               source=item.id)), "success")
        return redirect(url_for("WorkspaceTicketView.page", pk=target.id))

    @expose("/<int:pk>/split", methods=["POST"])
    @has_access
    def split(self, pk: int) -> Any:
        """Move the message ``message_id`` of this ticket into a new ticket."""
        item = self._visible(pk)
        raw = request.form.get("message_id") or ""
        try:
            if not raw.isdigit():
                raise Invalid({"message_id": [str(lazy_gettext("is required"))]})
            new = split_message(db.session, current_viewer(), item.id, int(raw))
        except CommandError as exc:
            return self._refused(item, exc, str(lazy_gettext("The message was not split")))
        flash(str(lazy_gettext("The message is now ticket #%(id)s.", id=new.id)), "success")
        return redirect(url_for("WorkspaceTicketView.page", pk=new.id))

    def _refused(self, item: Item, exc: CommandError, what: str) -> Any:
        """The ticket page again, the reason flashed, with the refusal's status (4xx)."""
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        for text in composer.error_sentences(exc):
            flash(f"{what}: {text}", "danger")
        return self._render_page(self._visible(item.id), request.form.get("queue") or ""), \
            exc.status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Any:
        session = db.session
        viewer = current_viewer()
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                item = new_ticket.create_ticket(session, viewer, request.form)
            except CommandError as exc:
                errors = exc.messages if isinstance(exc.messages, dict) else {
                    "_schema": [str(exc.messages)]}
            else:
                flash(str(lazy_gettext("Ticket #%(id)s created.", id=item.id)), "success")
                return redirect(url_for("WorkspaceTicketView.page", pk=item.id))
        options = new_ticket.form_options(session, viewer)
        page = self.render_template(
            "workspace/new_ticket.html", options=options, errors=errors, form=request.form,
            default_priority=new_ticket.DEFAULT_PRIORITY,
            search_url=url_for("WorkspaceTicketView.requesters"))
        return (page, 422) if errors else page

    @expose("/requesters")
    @has_access_api
    def requesters(self) -> Response:
        """``{"result": [{"id", "name", "email", "organization"}]}`` for the requester field."""
        query = request.args.get("q", "")
        if len(query) > 200:
            response = jsonify(errors={"q": ["is longer than 200 characters"]})
            response.status_code = 422
            return response
        return jsonify(result=new_ticket.search_requesters(db.session, current_viewer(), query))


class WorkspaceAttachmentView(BaseView):
    """``/workspace/attachment/<id>/inline``: an attachment shown in the timeline.

    The Attachment visibility rule applies; only types a browser renders safely are served
    inline (with nosniff and a sandboxing CSP), everything else as a download."""

    route_base = "/workspace/attachment"
    class_permission_name = "Attachment"
    method_permission_name = {"inline": "read"}
    datamodel = ScopedInterface(Attachment)

    @expose("/<int:pk>/inline")
    @has_access
    def inline(self, pk: int) -> Any:
        attachment = self.datamodel.get(pk)
        if attachment is None:
            abort(404)
        path = attachment_store().path(attachment.storage_key)
        if not path.exists():
            abort(404)
        inline = attachment.content_type in PREVIEWS
        response = send_file(path, mimetype=attachment.content_type if inline
                             else "application/octet-stream",
                             download_name=attachment.filename, as_attachment=not inline,
                             conditional=True, max_age=300)
        response.headers["X-Content-Type-Options"] = "nosniff"
        # A PDF needs the browser's viewer (scripts in its own origin); everything else
        # gets a sandbox with no rights at all.
        response.headers["Content-Security-Policy"] = (
            "sandbox allow-scripts" if attachment.content_type == "application/pdf"
            else "sandbox")
        response.headers["Cache-Control"] = "private, max-age=300"
        return response


def register(appbuilder: Any) -> None:
    """Adds the ticket page's views (no menu entries: the inbox and home link to them)."""
    appbuilder.add_view_no_menu(WorkspaceTicketView)
    appbuilder.add_view_no_menu(WorkspaceAttachmentView)
    appbuilder.add_link("New ticket", href="WorkspaceTicketView.new", icon="fa-plus",
                        category="Work", label=lazy_gettext("New ticket"))
