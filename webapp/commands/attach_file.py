"""Attaching an uploaded file to an item (and optionally one of its messages)."""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, visibility_clause
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.content.files import AttachmentStore, safe_filename
from webapp.models import Attachment, Item, Message


def attachment_store() -> AttachmentStore:
    return AttachmentStore(current_app.config["ATTACHMENT_DIR"],
                           current_app.config["ATTACHMENT_MAX_BYTES"])


def _int_field(form: dict[str, str], name: str, required: bool) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid({name: ["is required"]})
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**31:
        raise Invalid({name: ["must be a whole number (an id)"]})
    return int(raw)


def _check_references(
    session: Session, viewer: Viewer, item_id: int, message_id: int | None
) -> None:
    """Refuse ids of rows one may not see (or that do not exist) before a file is written,
    naming the form fields the caller sent."""
    if session.scalar(
        select(Item.id).where(Item.id == item_id, visibility_clause(Item, viewer))
    ) is None:
        raise Invalid({"item_id": [f"no item with id {item_id} that you may use"]})
    if message_id is None:
        return
    message_item = session.scalar(
        select(Message.item_id).where(Message.id == message_id,
                                      visibility_clause(Message, viewer))
    )
    if message_item is None:
        raise Invalid({"message_id": [f"no message with id {message_id} that you may use"]})
    if message_item != item_id:
        raise Invalid({"message_id": ["belongs to another item"]})


def attach_file(
    session: Session,
    viewer: Viewer,
    form: dict[str, str],
    stream: BinaryIO | None,
    filename: str | None,
) -> Attachment:
    """Store the file, then its row; the file is removed again if the row is refused."""
    item_id = _int_field(form, "item_id", required=True)
    message_id = _int_field(form, "message_id", required=False)
    if stream is None:
        raise Invalid({"file": ["is required (multipart form field 'file')"]})
    _check_references(session, viewer, item_id, message_id)
    name = safe_filename(filename)
    store = attachment_store()
    stored = store.save(stream, name)
    attachment = Attachment(
        item_id=item_id, message_id=message_id, filename=name,
        content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
        storage_key=stored.storage_key, uploaded_by_id=viewer.user_id,
    )
    try:
        check_write(session, attachment, viewer, is_new=True)
        if message_id is not None:
            message = session.get(Message, message_id)
            if message is None or message.item_id != item_id:
                raise Invalid({"message_id": ["belongs to another item"]})
        session.commit()
    except Exception:
        session.rollback()
        store.delete(stored.storage_key)
        raise
    return attachment
