"""The composer at the bottom of the ticket page: a public reply or a private note, with
files, an optional new status ("Send and set status"), and time spent.

The message, the status change and the timesheet row are written through the same write
check as the REST API (``ScopedInterface``) and committed together, so a refused part leaves
nothing half-written; files follow through ``attach_file`` (the attachment API's rules).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from webapp.access.interface import ScopedInterface
from webapp.access.scope import Viewer, visibility_clause
from webapp.commands.attach_file import attach_file, attachment_store
from webapp.commands.errors import CommandError, Invalid
from webapp.content.sizes import limit_text, size_text
from webapp.models import Item, Message, Timesheet
from webapp.views.conversation import _upload_size
from webapp.views.threads import describe_errors, reply_body_html

MAX_MINUTES = 24 * 60


@dataclass
class Reply:
    """A parsed composer form."""

    body_html: str
    is_public: bool
    status_id: int | None
    minutes: int | None
    open_next: bool
    queue: str | None
    uploads: list[FileStorage] = field(default_factory=list)
    # The newest message the agent had on screen when they began (``None``: not known).
    seen_message_id: int | None = None


def parse_reply(form: MultiDict[str, str], files: MultiDict[str, FileStorage],
                item: Item) -> Reply:
    """The composer's fields, checked; ``Invalid`` names every problem at once."""
    errors: dict[str, list[str]] = {}
    body = reply_body_html(form.get("body", ""))
    uploads = [u for u in files.getlist("files") if u and u.filename]
    if not body and not uploads:
        errors["body"] = [str(lazy_gettext("Write something before sending."))]
    if not body:
        body = "<p>" + ", ".join(u.filename or "" for u in uploads) + "</p>"
    visibility = form.get("visibility", "public")
    if visibility not in ("public", "private"):
        errors["visibility"] = [str(lazy_gettext("must be public or private"))]
    status_id = None
    if form.get("status"):
        try:
            status_id = int(form["status"])
        except ValueError:
            errors["status"] = [str(lazy_gettext("is not a status"))]
        else:
            if status_id not in {s.id for s in item.item_type.statuses}:
                errors["status"] = [str(lazy_gettext("is not a status of this type"))]
    minutes = None
    if form.get("minutes", "").strip():
        try:
            minutes = int(form["minutes"])
        except ValueError:
            minutes = -1
        if not 0 < minutes <= MAX_MINUTES:
            errors["minutes"] = [str(lazy_gettext("must be a whole number of minutes from 1 "
                                                  "to 1440"))]
    limit = attachment_store().max_bytes
    for upload in uploads:
        size = _upload_size(upload)
        if size == 0:
            errors.setdefault("files", []).append(str(lazy_gettext(
                "%(name)s is empty", name=upload.filename)))
        elif size > limit:
            errors.setdefault("files", []).append(str(lazy_gettext(
                "%(name)s (%(size)s) is larger than the limit of %(limit)s",
                name=upload.filename, size=size_text(size), limit=limit_text(limit))))
    if errors:
        raise Invalid(errors)
    seen = form.get("seen_message", "")
    return Reply(body_html=body, is_public=visibility == "public", status_id=status_id,
                 minutes=minutes, open_next=form.get("next") == "1",
                 queue=form.get("queue") or None, uploads=uploads,
                 seen_message_id=int(seen) if seen.isascii() and seen.isdigit() else None)


def latest_message_id(session: Session, item_id: int) -> int:
    """The newest message of an item (0 when it has none): what the composer has seen."""
    return int(session.scalar(select(func.max(Message.id)).where(
        Message.item_id == item_id)) or 0)


def arrived_meanwhile(session: Session, viewer: Viewer, item: Item, reply: Reply) -> int:
    """How many messages by someone else arrived after the composer's page was shown (public
    replies only: a private note never answers the customer)."""
    if not reply.is_public or reply.seen_message_id is None:
        return 0
    return int(session.scalar(select(func.count(Message.id)).where(
        Message.item_id == item.id, Message.id > reply.seen_message_id,
        or_(Message.author_user_id.is_(None), Message.author_user_id != viewer.user_id),
        visibility_clause(Message, viewer))) or 0)


def send_reply(session: Session, viewer: Viewer, item: Item, reply: Reply) -> list[str]:
    """Write the message (and status, and time) in one transaction, then the files.

    Raises ``CommandError`` when the message is refused (nothing written); answers the
    sentences of files that could not be attached."""
    message = Message(item_id=item.id, is_public=reply.is_public, body_html=reply.body_html)
    ScopedInterface(Message).add(message, commit=False)
    if reply.minutes:
        hours = (Decimal(reply.minutes) / Decimal(60)).quantize(Decimal("0.01"))
        entry = Timesheet(item_id=item.id, user_id=viewer.user_id, hours=hours or Decimal("0.01"),
                          work_date=dt.date.today(), billable=True,
                          note=str(lazy_gettext("Reply on #%(id)s", id=item.id)))
        ScopedInterface(Timesheet).add(entry, commit=False)
    if reply.status_id is not None and reply.status_id != item.status_id:
        item.status_id = reply.status_id
        ScopedInterface(Item).edit(item, commit=False)
    ScopedInterface(Message).commit()
    failed = []
    fields = {"item_id": str(item.id), "message_id": str(message.id)}
    for upload in reply.uploads:
        try:
            attach_file(session, viewer, fields, upload.stream, upload.filename)
        except CommandError as exc:
            failed.append(str(lazy_gettext("%(name)s was not attached: %(reason)s",
                                           name=upload.filename,
                                           reason=describe_errors(exc.messages))))
    return failed


def error_sentences(exc: CommandError) -> list[str]:
    """A refused reply as sentences for flashing."""
    labels: dict[str, Any] = {
        "body": "", "body_html": "", "visibility": lazy_gettext("Visibility"),
        "status": lazy_gettext("Status"), "status_id": lazy_gettext("Status"),
        "minutes": lazy_gettext("Time spent"), "hours": lazy_gettext("Time spent"),
        "files": lazy_gettext("Files"), "target": lazy_gettext("Ticket to merge into"),
        "message_id": lazy_gettext("Message"), "ticket": lazy_gettext("Ticket")}
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": [exc.messages]}
    out = []
    for key, problems in messages.items():
        label = str(labels.get(key, key.replace("_", " ")))
        text = "; ".join(str(p) for p in problems) if isinstance(problems, list) else str(
            problems)
        out.append(f"{label}: {text}" if label and key != "_schema" else text)
    return out
