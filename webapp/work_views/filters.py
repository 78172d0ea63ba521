"""The filter set every view takes, parsed from query arguments (or a saved view) into SQL.

Arguments (repeat an argument for "any of"): ``kind`` (ticket/task), ``type``, ``status``,
``category`` (new/in_progress/done), ``priority`` (0–5), ``assignee`` (user id or ``me``),
``team``, ``requester``, ``organization`` (the requester's or the project's), ``project``,
``portfolio``, ``cf.<key>`` (custom field value), ``sla`` (ok/warning/breached/none),
``due_from`` / ``due_to`` (YYYY-MM-DD, inclusive), ``q`` (words in the title, or ``#123``).
Visibility is always applied on top: a filter can only narrow what the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, false, or_, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, visibility_clause
from webapp.commands.errors import Invalid
from webapp.models import (
    Customer,
    CustomField,
    FieldType,
    Item,
    ItemKind,
    ItemSla,
    Project,
    Status,
    StatusCategory,
    utcnow,
)
from webapp.models.items import item_assignee_team, item_assignee_user

ID_FILTERS = {
    "type": Item.item_type_id, "status": Item.status_id, "project": Item.project_id,
    "requester": Item.requester_id,
}
SLA_STATES = ("ok", "warning", "breached", "none")
KNOWN = {"kind", "type", "status", "category", "priority", "assignee", "team", "requester",
         "organization", "project", "portfolio", "sla", "due_from", "due_to", "q"}
Args = Mapping[str, Sequence[str]]


def _ids(name: str, values: Sequence[str], errors: dict[str, list[str]]) -> list[int]:
    ids = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        if not (value.isascii() and value.isdigit()) or int(value) >= 2**31:
            errors.setdefault(name, []).append(f"{value!r} is not an id (a whole number)")
            continue
        ids.append(int(value))
    return ids


def _date(name: str, values: Sequence[str], errors: dict[str, list[str]]) -> dt.date | None:
    value = next((v.strip() for v in values if v.strip()), "")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.setdefault(name, []).append(f"{value!r} is not a date in the form YYYY-MM-DD")
        return None


@dataclass
class ViewFilter:
    """A parsed, validated filter set."""

    kind: ItemKind | None = None
    ids: dict[str, list[int]] = field(default_factory=dict)
    categories: list[StatusCategory] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    assignees: list[int] = field(default_factory=list)
    teams: list[int] = field(default_factory=list)
    organizations: list[int] = field(default_factory=list)
    portfolios: list[int] = field(default_factory=list)
    custom: dict[str, list[str]] = field(default_factory=dict)
    sla: list[str] = field(default_factory=list)
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    text: str = ""
    args: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, args: Args, viewer: Viewer, *, ignore: Sequence[str] = ()) -> ViewFilter:
        """Raises ``Invalid`` naming each bad argument. ``ignore``: arguments that belong to
        the view itself (sort, cursor, columns …) rather than to the filter."""
        errors: dict[str, list[str]] = {}
        found = cls()

        def values(name: str) -> list[str]:
            # request.args (a MultiDict): .get() would return only the first repeat
            getlist = getattr(args, "getlist", None)
            raw = getlist(name) if getlist is not None else (args.get(name) or [])
            return [raw] if isinstance(raw, str) else [str(v) for v in raw]

        for name in args:
            if name in KNOWN or name in ignore or name.startswith("cf."):
                continue
            errors.setdefault(name, []).append("is not a filter of this view")
        kind = next((v for v in values("kind") if v), None)
        if kind is not None:
            try:
                found.kind = ItemKind(kind)
            except ValueError:
                errors["kind"] = ["must be ticket or task"]
        for name in ID_FILTERS:
            ids = _ids(name, values(name), errors)
            if ids:
                found.ids[name] = ids
        for value in values("category"):
            if value:
                try:
                    found.categories.append(StatusCategory(value))
                except ValueError:
                    errors.setdefault("category", []).append(
                        f"{value!r} is not one of new, in_progress, done")
        for value in values("priority"):
            if value.strip():
                if value.strip() in {"0", "1", "2", "3", "4", "5"}:
                    found.priorities.append(int(value))
                else:
                    errors.setdefault("priority", []).append(f"{value!r} is not 0–5")
        assignees = [v for v in values("assignee") if v.strip()]
        if "me" in assignees:
            assignees.remove("me")
            if viewer.user_id is not None:
                found.assignees.append(viewer.user_id)
        found.assignees += _ids("assignee", assignees, errors)
        found.teams = _ids("team", values("team"), errors)
        found.organizations = _ids("organization", values("organization"), errors)
        found.portfolios = _ids("portfolio", values("portfolio"), errors)
        for value in values("sla"):
            if value:
                if value in SLA_STATES:
                    found.sla.append(value)
                else:
                    errors.setdefault("sla", []).append(
                        f"{value!r} is not one of {', '.join(SLA_STATES)}")
        found.due_from = _date("due_from", values("due_from"), errors)
        found.due_to = _date("due_to", values("due_to"), errors)
        if found.due_from and found.due_to and found.due_from > found.due_to:
            errors.setdefault("due_to", []).append("is before due_from")
        found.text = " ".join(" ".join(values("q")).split())[:200]
        for name in args:
            if name.startswith("cf."):
                key = name[3:]
                if not key:
                    errors.setdefault(name, []).append("names no custom field (cf.<key>)")
                else:
                    found.custom[key] = [v for v in values(name) if v != ""]
        if errors:
            raise Invalid(errors)
        found.args = {name: values(name) for name in args
                      if name not in ignore and any(v != "" for v in values(name))}
        return found

    # -- SQL

    def clauses(self, session: Session) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.kind is not None:
            where.append(Item.kind == self.kind)
        for name, ids in self.ids.items():
            where.append(ID_FILTERS[name].in_(ids))
        if self.categories:
            where.append(Item.status_id.in_(
                select(Status.id).where(Status.category.in_(self.categories))))
        if self.priorities:
            where.append(Item.priority.in_(self.priorities))
        if self.assignees:
            where.append(Item.id.in_(select(item_assignee_user.c.item_id).where(
                item_assignee_user.c.user_id.in_(self.assignees))))
        if self.teams:
            where.append(Item.id.in_(select(item_assignee_team.c.item_id).where(
                item_assignee_team.c.team_id.in_(self.teams))))
        if self.organizations:
            where.append(or_(
                Item.requester_id.in_(select(Customer.id).where(
                    Customer.organization_id.in_(self.organizations))),
                Item.project_id.in_(select(Project.id).where(
                    Project.organization_id.in_(self.organizations)))))
        if self.portfolios:
            where.append(Item.project_id.in_(select(Project.id).where(
                Project.portfolio_id.in_(self.portfolios))))
        if self.sla:
            where.append(or_(*[sla_clause(state) for state in self.sla]))
        if self.due_from:
            where.append(Item.due_at >= dt.datetime.combine(self.due_from, dt.time.min))
        if self.due_to:
            where.append(Item.due_at < dt.datetime.combine(self.due_to + dt.timedelta(days=1),
                                                           dt.time.min))
        if self.text:
            where.append(text_clause(self.text))
        if self.custom:
            where.extend(self._custom_clauses(session))
        return where

    def _custom_clauses(self, session: Session) -> list[ColumnElement[bool]]:
        fields: dict[str, list[CustomField]] = {}
        for cf in session.scalars(select(CustomField).where(
                CustomField.key.in_(list(self.custom)))):
            fields.setdefault(cf.key, []).append(cf)
        where: list[ColumnElement[bool]] = []
        for key, wanted in self.custom.items():
            kinds = {cf.field_type for cf in fields.get(key, [])}
            if not kinds:
                raise Invalid({f"cf.{key}": ["no custom field has this key"]})
            if not wanted:
                continue
            where.append(or_(*[custom_value_clause(key, kind, value)
                               for kind in kinds for value in wanted]))
        return where

    def apply(self, statement: Select[Any], session: Session, viewer: Viewer) -> Select[Any]:
        """``statement`` (over Item) narrowed to this filter and the viewer's visibility."""
        return statement.where(visibility_clause(Item, viewer), *self.clauses(session))


def text_clause(text: str) -> ColumnElement[bool]:
    """``#123`` finds item 123; otherwise every word must be in the title."""
    if text.startswith("#") and text[1:].isdigit() and int(text[1:]) < 2**31:
        return Item.id == int(text[1:])
    words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
             for w in text.split()]
    return and_(*[Item.title.ilike(f"%{w}%", escape="\\") for w in words])


def custom_value_clause(key: str, kind: FieldType, value: str) -> ColumnElement[bool]:
    """Items whose custom field ``key`` equals ``value`` (contains it, for multi-choice)."""
    element = Item.custom_values[key]
    if kind == FieldType.MULTI_CHOICE:
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return cast(element, Text).like(f'%"{escaped}"%', escape="\\")
    if kind == FieldType.NUMBER:
        try:
            return element.as_float() == float(value)
        except ValueError:
            return false()
    if kind == FieldType.CHECKBOX:
        return element.as_boolean() == (value.lower() in {"1", "true", "yes", "on"})
    return element.as_string() == value


def sla_clause(state: str) -> ColumnElement[bool]:
    """Items by SLA state now: breached (a target missed), warning (a warning time passed,
    nothing missed), ok (an SLA, neither), none (no SLA)."""
    now = utcnow()
    has = exists().where(ItemSla.item_id == Item.id)
    missed = or_(
        and_(ItemSla.first_responded_at.is_(None), ItemSla.first_response_due_at < now),
        ItemSla.first_responded_at > ItemSla.first_response_due_at,
        and_(ItemSla.resolved_at.is_(None), ItemSla.resolution_due_at < now),
        ItemSla.resolved_at > ItemSla.resolution_due_at,
    )
    warned = or_(
        and_(ItemSla.first_responded_at.is_(None), ItemSla.first_response_warn_at < now),
        and_(ItemSla.resolved_at.is_(None), ItemSla.resolution_warn_at < now),
    )
    breached = exists().where(ItemSla.item_id == Item.id, missed)
    if state == "none":
        return ~has
    if state == "breached":
        return breached
    warning = exists().where(ItemSla.item_id == Item.id, warned)
    if state == "warning":
        return and_(warning, ~breached)
    return and_(has, ~breached, ~warning)
