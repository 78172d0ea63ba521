"""A database refusal in words for the user: which field or rule, never the database's text.

The database's own message (table names, SQL, values of other rows) goes to the log only.
PostgreSQL (psycopg2) reports the column or constraint in ``diag``; SQLite only in its text,
which is parsed here and not shown.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs
_NOT_NULL, _FOREIGN_KEY, _UNIQUE, _CHECK = "23502", "23503", "23505", "23514"
_TOO_LONG, _OUT_OF_RANGE, _BAD_TEXT = "22001", "22003", "22P02"

_PG_KEY = re.compile(r"Key \(([^)]*)\)")
_SQLITE = re.compile(r"(NOT NULL|UNIQUE|CHECK|FOREIGN KEY) constraint failed(?::\s*(.*))?")

GENERIC = "conflicts with existing data or a database rule"


def _field(column: str) -> str:
    return column[:-3] if column.endswith("_id") else column


def _words(name: str) -> str:
    return name.replace("_", " ")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _unique(table: str | None, columns: list[str]) -> dict[str, list[str]]:
    fields = [_field(c) for c in columns if c]
    what = f"another {_words(table)}" if table else "another record"
    if not fields:
        return {"_schema": [f"{what} already exists with the same values"]}
    return {fields[-1]: [f"{what} already has this {_and([_words(f) for f in fields])}"]}


def _table_of(constraint: str) -> str | None:
    from webapp.models import Model

    for table in Model.metadata.tables.values():
        if any(c.name == constraint for c in table.constraints):
            return table.name
    return None


def _check(table: str | None, constraint: str | None) -> dict[str, list[str]]:
    name = constraint or ""
    table = table or _table_of(name)
    prefix = f"ck_{table}_" if table else "ck_"
    field = name[len(prefix):] if name.startswith(prefix) else ""
    if field:
        return {field: ["is outside the allowed values"]}
    return {"_schema": ["a value is outside the allowed values"]}


def _postgresql(orig: Any) -> dict[str, list[str]] | None:
    code = getattr(orig, "pgcode", None)
    diag = getattr(orig, "diag", None)
    if code is None or diag is None:
        return None
    table, detail = diag.table_name, diag.message_detail or ""
    if code == _NOT_NULL and diag.column_name:
        return {_field(diag.column_name): ["is required"]}
    if code == _UNIQUE:
        match = _PG_KEY.search(detail)
        columns = [c.strip().strip('"') for c in match.group(1).split(",")] if match else []
        return _unique(table, columns)
    if code == _FOREIGN_KEY:
        if "still referenced" in detail:
            return {"_schema": ["is still in use by other records; remove or move them first"]}
        match = _PG_KEY.search(detail)
        if match:
            column = match.group(1).split(",")[0].strip().strip('"')
            return {_field(column): ["refers to a record that does not exist"]}
    if code == _CHECK:
        return _check(table, diag.constraint_name)
    if code == _TOO_LONG:
        return {"_schema": ["a text is longer than its field allows"]}
    if code in (_OUT_OF_RANGE, _BAD_TEXT):
        return {"_schema": ["a value is not valid for its field"]}
    return None


def _sqlite(text: str) -> dict[str, list[str]] | None:
    match = _SQLITE.search(text)
    if match is None:
        return None
    kind, where = match.group(1), (match.group(2) or "").strip()
    qualified = [part.strip() for part in where.split(",") if part.strip()]
    table = qualified[0].split(".")[0] if qualified and "." in qualified[0] else None
    columns = [part.split(".")[-1] for part in qualified]
    if kind == "NOT NULL" and columns:
        return {_field(columns[0]): ["is required"]}
    if kind == "UNIQUE":
        return _unique(table, columns)
    if kind == "CHECK":
        return _check(None, where)
    if kind == "FOREIGN KEY":
        return {"_schema": ["refers to a record that does not exist, or is still in use"]}
    return None


def explain(exc: Exception) -> dict[str, list[str]]:
    """``{field: [reason]}`` for a database error; logs the database's own text."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    log.warning("a write was refused by the database: %s", text)
    messages = _postgresql(orig) if orig is not None else None
    return messages or _sqlite(text) or {"_schema": [GENERIC]}
