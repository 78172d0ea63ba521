"""Duplicating a template project (folders and tasks) under a new name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import Customer, Folder, Item, ItemKind, Organization, Project, Status


def parse_duplicate_request(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid({"_schema": ["body must be a JSON object with a name"]})
    errors: dict[str, list[str]] = {}
    unknown = set(body) - {"name", "organization_id", "requester_id", "start_on"}
    for key in sorted(unknown):
        errors[key] = ["unknown field"]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["is required (the new project's name)"]
    elif len(name) > 200:
        errors["name"] = ["must be at most 200 characters"]
    org_id = body.get("organization_id")
    if org_id is not None and (isinstance(org_id, bool) or not isinstance(org_id, int)):
        errors["organization_id"] = ["must be an integer id"]
    requester_id = body.get("requester_id")
    if requester_id is not None and (isinstance(requester_id, bool)
                                     or not isinstance(requester_id, int)):
        errors["requester_id"] = ["must be an integer id"]
    start_on = None
    if body.get("start_on") is not None:
        try:
            start_on = dt.date.fromisoformat(str(body["start_on"]))
        except ValueError:
            errors["start_on"] = ["must be a date in the form YYYY-MM-DD"]
    if errors:
        raise Invalid(errors)
    return {"name": name.strip(), "organization_id": org_id, "requester_id": requester_id,
            "start_on": start_on}


def _shift(value: dt.date | None, days: int) -> dt.date | None:
    return value + dt.timedelta(days=days) if value else None


def duplicate_project(
    session: Session,
    template: Project,
    viewer: Viewer,
    name: str,
    organization_id: int | None = None,
    start_on: dt.date | None = None,
    *,
    requester_id: int | None = None,
    commit: bool = True,
) -> Project:
    """A copy of ``template``; planned dates move so the earliest starts on ``start_on``.
    ``requester_id``: the customer the project is for becomes every task's requester, so
    the recipes that tell a task's requester about it (status replies, mail) reach them.
    ``commit=False``: flushed only, for a caller whose transaction holds more (a recipe
    action's effects commit with its delivery's success)."""
    if not template.is_template:
        raise Invalid({"is_template": [f"project {template.name!r} is not marked a template"]})
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise Invalid({"organization_id": [f"no organization with id {organization_id}"]})
    if requester_id is not None and session.get(Customer, requester_id) is None:
        raise Invalid({"requester_id": [f"no customer with id {requester_id}"]})
    tasks = session.scalars(
        select(Item).where(Item.project_id == template.id, Item.kind == ItemKind.TASK)
        .order_by(Item.id)
    ).all()
    starts = [t.planned_start for t in tasks if t.planned_start]
    offset = (start_on - min(starts)).days if start_on and starts else 0
    try:
        copy = Project(
            name=name, description=template.description, portfolio_id=template.portfolio_id,
            organization_id=organization_id or template.organization_id, is_template=False,
            teams=list(template.teams),
        )
        check_write(session, copy, viewer, is_new=True)
        folder_map: dict[int, Folder] = {}
        for folder in sorted(template.folders, key=lambda f: (f.parent_id is not None, f.id)):
            new_folder = Folder(name=folder.name, project_id=copy.id)
            folder_map[folder.id] = new_folder
            session.add(new_folder)
        for folder in template.folders:
            if folder.parent_id is not None:
                folder_map[folder.id].parent = folder_map[folder.parent_id]
        session.flush()
        item_map: dict[int, Item] = {}
        for task in tasks:
            first_status = session.scalars(
                select(Status).where(Status.item_type_id == task.item_type_id)
                .order_by(Status.position)
            ).first()
            new = Item(
                kind=ItemKind.TASK, title=task.title, description=task.description,
                item_type_id=task.item_type_id, status_id=first_status.id if first_status
                else task.status_id, priority=task.priority, project_id=copy.id,
                requester_id=requester_id if requester_id is not None else task.requester_id,
                folder_id=folder_map[task.folder_id].id if task.folder_id else None,
                due_at=task.due_at + dt.timedelta(days=offset) if task.due_at else None,
                custom_values=dict(task.custom_values or {}),
                planned_start=_shift(task.planned_start, offset),
                planned_finish=_shift(task.planned_finish, offset),
                percent_complete=0, points=task.points,
                assignee_users=list(task.assignee_users),
                assignee_teams=list(task.assignee_teams),
                follower_users=list(task.follower_users),
            )
            check_write(session, new, viewer, is_new=True)
            item_map[task.id] = new
        for task in tasks:
            item_map[task.id].predecessors = [
                item_map[p.id] for p in task.predecessors if p.id in item_map
            ]
        if commit:
            session.commit()
        else:
            session.flush()
    except Exception:
        session.rollback()
        raise
    return copy
