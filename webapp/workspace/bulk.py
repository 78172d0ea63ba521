"""Bulk actions on selected items: assign, status, priority, follow, close.

Each item is changed through the shared write check and committed on its own, so each change
is one event (recipes and webhooks see it as if made on the ticket page) and one item refused
(not visible, a status its type lacks) never undoes the others. The browser sends a large
selection in chunks and shows progress between them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, load_visible
from webapp.commands.errors import CommandError, Invalid
from webapp.commands.write_check import check_write
from webapp.models import Item, Status, StatusCategory, Team, User
from webapp.views.threads import describe_errors

MAX_CHUNK = 100
ACTIONS = ("assign_me", "assign_user", "assign_team", "unassign", "status", "priority",
           "follow", "unfollow", "close")


@dataclass(frozen=True)
class BulkRequest:
    action: str
    ids: list[int]
    value: Any = None

    @classmethod
    def parse(cls, body: Any) -> BulkRequest:
        """Raises ``Invalid`` naming each bad field."""
        if not isinstance(body, Mapping):
            raise Invalid({"_": ["the body must be a JSON object"]})
        errors: dict[str, Any] = {}
        action: Any = body.get("action")
        if action not in ACTIONS:
            errors["action"] = [f"{action!r} is not one of {', '.join(ACTIONS)}"]
        ids: Any = body.get("ids")
        if not isinstance(ids, list) or not ids or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids):
            errors["ids"] = ["must be a non-empty list of item ids"]
        elif len(ids) > MAX_CHUNK:
            errors["ids"] = [f"at most {MAX_CHUNK} items per request; send the rest after"]
        value: Any = body.get("value")
        if action in ("assign_user", "assign_team") and not _is_id(value):
            errors["value"] = ["must be an id"]
        if action == "priority" and (not _is_id(value) or not 1 <= value <= 5):
            errors["value"] = ["must be a priority from 1 to 5"]
        if action == "status" and (not isinstance(value, str) or not value.strip()):
            errors["value"] = ["must be a status name"]
        if errors:
            raise Invalid(errors)
        return cls(action, list(dict.fromkeys(ids)), value)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _status_named(session: Session, item: Item, name: str) -> Status:
    status = session.scalar(select(Status).where(Status.item_type_id == item.item_type_id,
                                                 Status.name == name))
    if status is None:
        raise Invalid({"status": [gettext("its type %(type)s has no status %(name)s",
                                          type=item.item_type.name, name=name)]})
    return status


def _closing_status(session: Session, item: Item) -> Status:
    """The type's last "done" status (Closed rather than Solved)."""
    status = session.scalar(select(Status).where(
        Status.item_type_id == item.item_type_id, Status.category == StatusCategory.DONE)
        .order_by(Status.position.desc(), Status.id.desc()).limit(1))
    if status is None:
        raise Invalid({"status": [gettext("its type %(type)s has no closing status",
                                          type=item.item_type.name)]})
    return status


def _change(session: Session, viewer: Viewer, request: BulkRequest) -> Callable[[Item], None]:
    me = session.get(User, viewer.user_id) if viewer.user_id else None
    user = session.get(User, request.value) if request.action == "assign_user" else None
    team = session.get(Team, request.value) if request.action == "assign_team" else None
    if request.action == "assign_user" and user is None:
        raise Invalid({"value": [f"no user with id {request.value}"]})
    if request.action == "assign_team" and team is None:
        raise Invalid({"value": [f"no team with id {request.value}"]})

    def change(item: Item) -> None:
        action = request.action
        if action == "assign_me" and me is not None and me not in item.assignee_users:
            item.assignee_users.append(me)
        elif action == "assign_user" and user not in item.assignee_users:
            item.assignee_users.append(user)  # type: ignore[arg-type]
        elif action == "assign_team" and team not in item.assignee_teams:
            item.assignee_teams.append(team)  # type: ignore[arg-type]
        elif action == "unassign":
            item.assignee_users = []
        elif action == "status":
            item.status = _status_named(session, item, request.value.strip())
        elif action == "close":
            item.status = _closing_status(session, item)
        elif action == "priority":
            item.priority = request.value
        elif action == "follow" and me is not None and me not in item.follower_users:
            item.follower_users.append(me)
        elif action == "unfollow" and me in item.follower_users:
            item.follower_users.remove(me)  # type: ignore[arg-type]
    return change


def run_bulk(session: Session, viewer: Viewer, request: BulkRequest,
             may_write: Callable[[Item], bool]) -> dict[str, Any]:
    """``{"done": [ids], "failed": {id: reason}}``; each item committed on its own."""
    change = _change(session, viewer, request)
    done: list[int] = []
    failed: dict[int, str] = {}
    for item_id in request.ids:
        item = load_visible(session, Item, item_id, viewer)
        if item is None:
            failed[item_id] = gettext("not found")
            continue
        if not may_write(item):
            failed[item_id] = gettext("you may not change it")
            continue
        try:
            change(item)
            check_write(session, item, viewer, is_new=False)
            session.commit()
        except CommandError as exc:
            session.rollback()
            failed[item_id] = describe_errors(exc.messages)
            continue
        done.append(item_id)
    return {"done": done, "failed": failed}

