"""Checks of a list request's ``q`` that FAB leaves to the database.

FAB passes ``page`` and filter values through to SQL: a negative ``page`` is a negative
OFFSET (an error on PostgreSQL), a relation filter's value is looked up as a primary key
(``'abc'`` or 2**40 is a database error), a text filter concatenates its value with ``%``
(a number is a TypeError), an enum or numeric column compares with whatever came. Each is a
400 here, naming the argument, before FAB builds the query.
"""

from __future__ import annotations

import decimal
from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import inspect

PAGE_MAX = 2**31 - 1
_INT64 = 2**63
_ID_MAX = 2**31  # primary keys are 32-bit integers
_RELATION_OPS = frozenset({"rel_o_m", "nrel_o_m", "rel_m_m"})
_TEXT_OPS = frozenset({"sw", "ew", "ct", "nsw", "new", "nct"})
_LIST_OPS = frozenset({"in", "not_in"})

Problems = dict[str, list[str]]


def page_problems(page: Any, page_size: Any, max_page_size: int, prefix: str = "") -> Problems:
    """``page`` from 0 and ``page_size`` from 1 to the largest page (when given)."""
    problems: Problems = {}
    if page is not None and (type(page) is not int or not 0 <= page <= PAGE_MAX):
        problems[f"{prefix}page"] = [f"must be an integer from 0 to {PAGE_MAX}"]
    if page_size is not None and max_page_size != -1 and (
            type(page_size) is not int or not 1 <= page_size <= max_page_size):
        problems[f"{prefix}page_size"] = [f"must be an integer from 1 to {max_page_size}"]
    return problems


def filter_problems(datamodel: SQLAInterface, filters: Any) -> Problems:
    """Values that the filter's column cannot be compared with."""
    problems: Problems = {}
    if not isinstance(filters, list):
        return problems
    for index, flt in enumerate(filters):
        if not isinstance(flt, dict) or "." in str(flt.get("col", "")):
            continue  # FAB refuses these itself
        reason = _value_problem(datamodel, str(flt.get("col")), flt.get("opr"),
                                flt.get("value"))
        if reason:
            problems[f"filters[{index}].value"] = [reason]
    return problems


def _value_problem(datamodel: SQLAInterface, col: str, opr: Any, value: Any) -> str | None:
    if opr in _RELATION_OPS:
        if not datamodel.is_relation(col) or not _integer_key(datamodel.get_related_model(col)):
            return None
        values = value if opr == "rel_m_m" and isinstance(value, list) else [value]
        if not all(_is_id(v) for v in values):
            return f"must be an integer id from 1 to {_ID_MAX - 1}"
        return None
    if opr in _TEXT_OPS:
        return None if isinstance(value, str) else "must be a string"
    if opr in _LIST_OPS:
        if not isinstance(value, list):
            return "must be a list"
        values = value
    else:
        values = [value]
    for item in values:
        reason = _column_problem(datamodel, col, item)
        if reason:
            return reason
    return None


def _column_problem(datamodel: SQLAInterface, col: str, value: Any) -> str | None:
    if isinstance(value, list):
        return "must not be a list"
    if datamodel.is_enum(col):
        allowed = _enum_values(datamodel.list_columns[col].type)
        if value not in allowed:
            return "must be one of " + ", ".join(sorted(allowed))
    elif datamodel.is_integer(col):
        # FAB compares with int(value), or NULL when that fails; only the range can break SQL.
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if not -_INT64 <= number < _INT64:
            return "is out of range"
    elif datamodel.is_numeric(col) and not datamodel.is_float(col):
        try:
            number = decimal.Decimal(str(value)) if not isinstance(value, bool) else None
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= 10**15:
            return "must be a number"
    elif datamodel.is_string(col) or datamodel.is_text(col):
        if not isinstance(value, str):
            return "must be a string"
    return None


def _integer_key(model: Any) -> bool:
    keys = inspect(model).primary_key
    try:
        return len(keys) == 1 and keys[0].type.python_type is int
    except NotImplementedError:
        return False


def _is_id(value: Any) -> bool:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return type(value) is int and 1 <= value < _ID_MAX


def _enum_values(column_type: Any) -> set[str]:
    allowed = set(column_type.enums)
    if column_type.enum_class is not None:
        allowed |= {member.name for member in column_type.enum_class}
    return allowed
