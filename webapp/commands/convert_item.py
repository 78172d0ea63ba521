"""Converting a ticket into a task: the same row, so its history, messages and followers stay."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import CustomField, Item, ItemKind, ItemType, Message, Status


def parse_convert_request(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise Invalid({"_schema": ["body must be a JSON object"]})
    unknown = set(body) - {"item_type_id"}
    if unknown:
        raise Invalid({key: ["unknown field"] for key in sorted(unknown)})
    type_id = body.get("item_type_id")
    if type_id is not None and (isinstance(type_id, bool) or not isinstance(type_id, int)):
        raise Invalid({"item_type_id": ["must be an integer id"]})
    return {"task_type_id": type_id}


def _task_type(session: Session, task_type_id: int | None) -> ItemType:
    if task_type_id is not None:
        item_type = session.get(ItemType, task_type_id)
        if item_type is None or item_type.kind != ItemKind.TASK:
            raise Invalid({"item_type_id": [f"no task type with id {task_type_id}"]})
        return item_type
    item_type = session.scalars(
        select(ItemType).where(ItemType.kind == ItemKind.TASK)
        .order_by(ItemType.is_default.desc(), ItemType.id)
    ).first()
    if item_type is None:
        raise Invalid({"item_type_id": ["no task type exists; create one first"]})
    return item_type


def convert_ticket_to_task(
    session: Session, item: Item, viewer: Viewer, task_type_id: int | None = None,
    commit: bool = True, note_author_id: int | None = None,
) -> Item:
    """Convert in place; with ``commit=False`` the caller owns the transaction."""
    if item.kind != ItemKind.TICKET:
        raise Invalid({"kind": ["is already a task"]})
    new_type = _task_type(session, task_type_id)
    old_type, old_status = item.item_type, item.status
    statuses = session.scalars(
        select(Status).where(Status.item_type_id == new_type.id).order_by(Status.position)
    ).all()
    if not statuses:
        raise Invalid({"item_type_id": [f"type {new_type.name!r} has no statuses"]})
    same_category = [s for s in statuses if s.category == old_status.category]
    new_status = (same_category or statuses)[0]
    keys = set(session.scalars(
        select(CustomField.key).where(CustomField.item_type_id == new_type.id)
    ))
    values = dict(item.custom_values or {})
    dropped = {k: v for k, v in values.items() if k not in keys}

    item.kind = ItemKind.TASK
    item.item_type = new_type
    item.status = new_status
    item.custom_values = {k: v for k, v in values.items() if k in keys}
    note = (
        f"<p>Converted from ticket (type {escape(old_type.name)}, status "
        f"{escape(old_status.name)}) to task (type {escape(new_type.name)}, status "
        f"{escape(new_status.name)}).</p>"
    )
    if dropped:
        rows = "".join(f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in dropped.items())
        note += f"<p>Custom values the task type has no field for:</p><ul>{rows}</ul>"
    author_id = note_author_id or viewer.user_id
    try:
        check_write(session, item, viewer, is_new=False)
        if author_id is not None:
            session.add(Message(item_id=item.id, is_public=False, body_html=note,
                                author_user_id=author_id))
        if commit:
            session.commit()
    except Exception:
        if commit:
            session.rollback()
        raise
    return item
