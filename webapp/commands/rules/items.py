"""Rules for tickets and tasks: type/kind/status consistency, folder, custom fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.custom_values import clean_custom_values
from webapp.commands.write_check import rules_for
from webapp.content.html import sanitize_html
from webapp.models import Folder, Item, ItemKind, ItemType, Status, StatusCategory, utcnow


def _type_id(item: Item) -> int | None:
    return item.item_type.id if item.item_type is not None else item.item_type_id


def prepare_item(session: Session, item: Item, viewer: Viewer, is_new: bool) -> None:
    if is_new and item.created_by_id is None and item.created_by is None:
        item.created_by_id = viewer.user_id
    item.description = sanitize_html(item.description) or None
    if item.priority is None:
        item.priority = 0
    type_id = _type_id(item)
    if type_id is None:
        return
    if item.kind is None:
        item_type = session.get(ItemType, type_id)
        if item_type is not None:
            item.kind = item_type.kind
    if item.status is None and item.status_id is None:
        first = session.scalars(
            select(Status).where(Status.item_type_id == type_id).order_by(Status.position)
        ).first()
        if first is not None:
            item.status = first


def stamp_actual_dates(session: Session, item: Item, viewer: Viewer, is_new: bool) -> None:
    """Entering an "in progress" status starts a task's work, entering "done" finishes it,
    so the Gantt's actual bars need no typing. Dates already there (typed by hand, or from
    an earlier pass through the workflow) are kept. Tickets have no planning dates."""
    if item.kind != ItemKind.TASK:
        return
    state = inspect(item)
    if not is_new and not (state.attrs.status_id.history.has_changes()
                           or state.attrs.status.history.has_changes()):
        return
    status = item.status or (session.get(Status, item.status_id) if item.status_id else None)
    if status is None or status.category == StatusCategory.NEW:
        return
    today = utcnow().date()
    if item.actual_start is None:
        item.actual_start = today
    if status.category == StatusCategory.DONE and item.actual_finish is None:
        item.actual_finish = max(today, item.actual_start)


def check_item_ranges(session: Session, item: Item, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    if not 0 <= item.priority <= 5:
        errors["priority"] = ["must be between 0 and 5 stars"]
    if item.percent_complete is not None and not 0 <= item.percent_complete <= 100:
        errors["percent_complete"] = ["must be between 0 and 100"]
    return errors


def check_item_workflow(session: Session, item: Item, viewer: Viewer, is_new: bool) -> dict:
    """A type and a status are needed before the row can be stored (prepare_item picks the
    type's first status): say which is missing instead of the database's refusal."""
    type_id = _type_id(item)
    if type_id is None:
        return {"item_type": ["is required"]}
    if item.status is not None or item.status_id is not None:
        return {}
    item_type = session.get(ItemType, type_id)
    if item_type is None:
        return {"item_type": [f"no item type with id {type_id}"]}
    return {"status": [f"type {item_type.name!r} has no statuses; add one to its workflow "
                       "first"]}


def validate_item(session: Session, item: Item, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, Any] = {}
    item_type = session.get(ItemType, item.item_type_id)
    if item_type is None:
        return {"item_type": ["is required"]}
    if item_type.kind != item.kind:
        errors["item_type"] = [
            f"{item_type.name!r} is a {item_type.kind.value} type; a {item.kind.value} needs a "
            f"{item.kind.value} type"
        ]
    status = session.get(Status, item.status_id)
    if status is None or status.item_type_id != item_type.id:
        allowed = ", ".join(s.name for s in item_type.statuses) or "none defined"
        errors["status"] = [f"is not a status of type {item_type.name!r} (allowed: {allowed})"]
    if item.folder_id is not None:
        folder = session.get(Folder, item.folder_id)
        if folder is not None and folder.project_id != item.project_id:
            errors["folder"] = ["belongs to another project"]
    for start, finish in (("planned_start", "planned_finish"), ("actual_start", "actual_finish")):
        a, b = getattr(item, start), getattr(item, finish)
        if a and b and b < a:
            errors[finish] = [f"must not be before {start}"]
    if any(p.id == item.id for p in item.predecessors):
        errors["predecessors"] = ["an item cannot be its own predecessor"]
    cleaned, field_errors = clean_custom_values(item_type.custom_fields, item.custom_values)
    if field_errors:
        errors["custom_values"] = field_errors
    elif cleaned != item.custom_values:
        item.custom_values = cleaned
    return errors


rules_for(Item).prepare.append(prepare_item)
rules_for(Item).prepare.append(stamp_actual_dates)
rules_for(Item).check.append(check_item_ranges)
rules_for(Item).check.append(check_item_workflow)
rules_for(Item).validate.append(validate_item)
