"""Keyset ("seek") paging: the next page starts after the last row seen, so page 1000 costs
what page 1 costs (an OFFSET would read and skip every earlier row).

A page is ordered by one sort column plus ``Item.id`` as tie-breaker; the cursor is the last
row's (value, id), opaque to clients. Nullable sort columns sort NULLs last in both
directions, the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from webapp.commands.errors import Invalid
from webapp.models import Item

# What a list may be sorted by: name → (column, nullable)
SORTABLE: dict[str, tuple[InstrumentedAttribute[Any], bool]] = {
    "id": (Item.id, False),
    "title": (Item.title, False),
    "priority": (Item.priority, False),
    "due_at": (Item.due_at, True),
    "created_at": (Item.created_at, False),
    "updated_at": (Item.updated_at, False),
    "status_changed_at": (Item.status_changed_at, False),
    "planned_start": (Item.planned_start, True),
    "planned_finish": (Item.planned_finish, True),
    "percent_complete": (Item.percent_complete, True),
}
MAX_PAGE = 500


@dataclass(frozen=True)
class Sort:
    name: str
    descending: bool

    @classmethod
    def parse(cls, text: str | None, default: str = "-id") -> Sort:
        """``"due_at"`` ascending, ``"-priority"`` descending."""
        text = (text or default).strip()
        name = text.lstrip("-")
        if name not in SORTABLE:
            raise Invalid({"sort": [f"cannot sort by {name!r}; one of: "
                                    f"{', '.join(sorted(SORTABLE))}"]})
        return cls(name, text.startswith("-"))

    @property
    def column(self) -> InstrumentedAttribute[Any]:
        return SORTABLE[self.name][0]

    @property
    def nullable(self) -> bool:
        return SORTABLE[self.name][1]

    def order_by(self) -> list[Any]:
        column = self.column
        key = column.desc() if self.descending else column.asc()
        # NULLs last, written so that an index on (column, id) serves it on PostgreSQL
        keys: list[Any] = [key.nulls_last() if self.nullable else key]
        if self.name != "id":
            keys.append(Item.id.desc() if self.descending else Item.id.asc())
        return keys

    def after(self, cursor: tuple[Any, int]) -> ColumnElement[bool]:
        """Rows that come after the row ``cursor`` = (value, id) in this order."""
        value, last_id = cursor
        column = self.column
        beyond = (lambda c, v: c < v) if self.descending else (lambda c, v: c > v)
        if self.name == "id":
            return beyond(Item.id, last_id)
        # a row-value comparison: an index on (column, id) starts right at the cursor
        past = beyond(tuple_(column, Item.id), tuple_(value, last_id))
        if not self.nullable:
            return past
        if value is None:  # in the NULL tail: only more NULLs, by id
            return and_(column.is_(None), beyond(Item.id, last_id))
        return or_(past, column.is_(None))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return {"t": value.isoformat(), "d": isinstance(value, dt.datetime)}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        parse = dt.datetime.fromisoformat if value.get("d") else dt.date.fromisoformat
        return parse(value["t"])
    return value


def encode_cursor(sort: Sort, item: Any) -> str:
    value = getattr(item, sort.name)
    raw = json.dumps([sort.name, sort.descending, _plain(value), item.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, descending, value, last_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != sort.name or descending != sort.descending or not isinstance(last_id, int):
            raise ValueError("cursor of another order")
        return _typed(value), last_id
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise Invalid({"cursor": ["is not a cursor of this list (start again without it)"]}) \
            from exc


def page_size(text: str | None, default: int = 50) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise Invalid({"page_size": [f"must be a whole number from 1 to {MAX_PAGE}"]})
    return int(text)


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


def fetch_page(session: Any, statement: Select[Any], sort: Sort, size: int,
               cursor: str | None) -> Page:
    """One page of ``statement`` (a select of Item) in ``sort`` order after ``cursor``."""
    if cursor:
        statement = statement.where(sort.after(decode_cursor(sort, cursor)))
    rows = list(session.scalars(statement.order_by(*sort.order_by()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(sort, rows[-1]) if more and rows else None)
