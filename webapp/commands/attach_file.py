"""Attaching an uploaded file to an item (and optionally one of its messages)."""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.content.files import AttachmentStore, safe_filename
from webapp.models import Attachment, Message


def attachment_store() -> AttachmentStore:
    return AttachmentStore(current_app.config["ATTACHMENT_DIR"],
                           current_app.config["ATTACHMENT_MAX_BYTES"])


def _int_field(form: dict[str, str], name: str, required: bool) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise Invalid({name: ["is required"]})
        return None
    if not raw.isdigit():
        raise Invalid({name: ["must be a whole number (an id)"]})
    return int(raw)


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
