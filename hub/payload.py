"""Readable companions of the ids in an event's payload (schema ``relaydesk.event.v2``).

An event stores its row as it was (``status_id``, ``project_id``, ``requester_id`` …). A Zap
or a receiver would need a lookup call per id to show a name, so webhooks, REST hooks and
polling triggers add the names next to the ids (``status_name``, ``status_category``,
``project_name``, ``requester_email`` …). The ids and every other key stay as they were (v1
receivers keep working); the names are looked up when the payload is made, so a renamed
status shows its current name. docs/webhooks.md shows every event type's payload, generated
by tests/hub/test_payload_docs.py from this code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import (
    Customer,
    Item,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
    User,
)

SCHEMA = "relaydesk.event.v2"


def user_name(user: User) -> str:
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


class Companions:
    """Looks rows up once per payload batch (a polling page repeats the same statuses)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[type, Any], Any] = {}

    def row(self, model: type, ident: Any) -> Any:
        if isinstance(ident, bool) or not isinstance(ident, int):
            return None
        key = (model, ident)
        if key not in self._rows:
            self._rows[key] = self.session.get(model, ident)
        return self._rows[key]

    # -- one id column → its companions

    def _status(self, ident: Any) -> dict[str, Any]:
        row = self.row(Status, ident)
        return {"status_name": row and row.name,
                "status_category": row and row.category.value}

    def _item_type(self, ident: Any) -> dict[str, Any]:
        row = self.row(ItemType, ident)
        return {"item_type_name": row and row.name}

    def _organization(self, ident: Any) -> dict[str, Any]:
        row = self.row(Organization, ident)
        return {"organization_name": row and row.name}

    def _portfolio(self, ident: Any) -> dict[str, Any]:
        row = self.row(Portfolio, ident)
        return {"portfolio_name": row and row.name}

    def _project(self, ident: Any) -> dict[str, Any]:
        row = self.row(Project, ident)
        return {"project_name": row and row.name}

    def _person(self, prefix: str) -> Callable[[Any], dict[str, Any]]:
        def customer(ident: Any) -> dict[str, Any]:
            row = self.row(Customer, ident)
            return {f"{prefix}_name": row and (row.name or row.email),
                    f"{prefix}_email": row and row.email}
        return customer

    def _user(self, prefix: str) -> Callable[[Any], dict[str, Any]]:
        def user(ident: Any) -> dict[str, Any]:
            row = self.row(User, ident)
            return {f"{prefix}_name": row and user_name(row)}
        return user

    def _item(self, ident: Any) -> dict[str, Any]:
        row = self.row(Item, ident)
        return {"item_title": row and row.title, "item_kind": row and row.kind.value}

    def _users(self, idents: Any) -> dict[str, Any]:
        rows = [self.row(User, i) for i in idents or []]
        return {"assignee_names": [user_name(r) for r in rows if r is not None]}

    def _teams(self, idents: Any) -> dict[str, Any]:
        rows = [self.row(Team, i) for i in idents or []]
        return {"assignee_team_names": [r.name for r in rows if r is not None]}

    def of(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The companions of the ids in ``obj`` (a row as an event stores it)."""
        columns: dict[str, Callable[[Any], dict[str, Any]]] = {
            "status_id": self._status, "item_type_id": self._item_type,
            "project_id": self._project, "portfolio_id": self._portfolio,
            "organization_id": self._organization,
            "requester_id": self._person("requester"), "customer_id": self._person("customer"),
            "author_customer_id": self._person("author_customer"),
            "author_user_id": self._user("author_user"), "user_id": self._user("user"),
            "created_by_id": self._user("created_by"), "owner_user_id": self._user("owner"),
            "item_id": self._item, "assignee_users_ids": self._users,
            "assignee_teams_ids": self._teams,
        }
        found: dict[str, Any] = {}
        for column, companion in columns.items():
            if column in obj:
                found.update(companion(obj[column]))
        if "project_id" in obj and "organization_id" not in obj:
            found.update(self._item_organization(obj))
        return {key: value for key, value in found.items() if key not in obj}

    def _item_organization(self, obj: dict[str, Any]) -> dict[str, Any]:
        """An item's organization: its project's, else its requester's."""
        project = self.row(Project, obj.get("project_id"))
        ident = project.organization_id if project is not None else None
        if ident is None:
            requester = self.row(Customer, obj.get("requester_id"))
            ident = requester.organization_id if requester is not None else None
        return {"organization_id": ident, **self._organization(ident)}

    def actor(self, user_id: int | None, customer_id: int | None) -> dict[str, Any]:
        found = {**self._user("user")(user_id), **self._person("customer")(customer_id)}
        return {key: value for key, value in found.items() if value is not None}
