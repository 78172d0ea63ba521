"""Attachment files go when their rows go.

An attachment is deleted directly, or with its item or project: the database cascades those
rows, so the ORM never loads them. Before a flush that deletes any of the three, the storage
keys concerned are noted on the session; after the commit the files are removed (after a
rollback, forgotten). Importing this module installs the listeners (once per process).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, SessionTransaction

from webapp.content.files import AttachmentStore
from webapp.models import Attachment, Item, Project

_PENDING = "relaydesk_deleted_attachment_files"


@event.listens_for(Session, "before_flush")
def _note_files_of_deleted_rows(session: Session, _context: Any, _instances: Any) -> None:
    if not session.deleted or not has_app_context():
        return
    keys = {obj.storage_key for obj in session.deleted if isinstance(obj, Attachment)}
    items = [obj.id for obj in session.deleted if isinstance(obj, Item)]
    projects = [obj.id for obj in session.deleted if isinstance(obj, Project)]
    if items or projects:
        keys.update(session.scalars(select(Attachment.storage_key).where(or_(
            Attachment.item_id.in_(items),
            Attachment.item_id.in_(select(Item.id).where(Item.project_id.in_(projects))),
        ))))
    if keys:
        _root, pending = session.info.setdefault(
            _PENDING, (current_app.config["ATTACHMENT_DIR"], set())
        )
        pending.update(keys)


@event.listens_for(Session, "after_commit")
def _remove_noted_files(session: Session) -> None:
    noted = session.info.pop(_PENDING, None)
    if noted:
        root, keys = noted
        store = AttachmentStore(root, 0)
        for key in keys:
            store.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _forget_noted_files(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
