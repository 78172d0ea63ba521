"""SQL functions on timestamps that PostgreSQL and SQLite spell differently: the start of a
day, ISO week or month as ``YYYY-MM-DD`` text, and the hours between two timestamps.

Reports group and measure in the database with these, so one query serves both backends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, FunctionElement, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

BUCKETS = ("day", "week", "month")


class date_bucket(FunctionElement[str]):  # noqa: N801  (a SQL function, named like one)
    """``YYYY-MM-DD`` of the first day of the bucket (day, week from Monday, month) holding
    a timestamp or date; ``date_bucket(column, "week")``."""

    type = String()
    inherit_cache = True
    # The unit is part of the statement's cache key, or "week" could reuse "day"'s SQL.
    _traverse_internals = [*FunctionElement._traverse_internals,
                           ("unit", InternalTraversal.dp_string)]

    def __init__(self, value: Any, unit: str) -> None:
        if unit not in BUCKETS:
            raise ValueError(f"unknown bucket {unit!r}")
        self.unit = unit
        super().__init__(value)


class hours_between(FunctionElement[float]):  # noqa: N801
    """Hours from the first timestamp to the second (fractional, negative if earlier)."""

    type = Float()
    inherit_cache = True


@compiles(date_bucket)
def _date_bucket_sqlite(element: date_bucket, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    if element.unit == "week":
        # "weekday 0" moves forward to Sunday (staying on a Sunday); six days back is Monday.
        return f"date({value}, 'weekday 0', '-6 days')"
    return f"strftime('{'%Y-%m-01' if element.unit == 'month' else '%Y-%m-%d'}', {value})"


@compiles(date_bucket, "postgresql")
def _date_bucket_postgresql(element: date_bucket, compiler: Any, **kw: Any) -> str:
    # A plain timestamp, so that the session's time zone never shifts a date column.
    value = f"CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP WITHOUT TIME ZONE)"
    if element.unit == "week":
        return f"to_char(date_trunc('week', {value}), 'YYYY-MM-DD')"
    return f"to_char({value}, '{'YYYY-MM-01' if element.unit == 'month' else 'YYYY-MM-DD'}')"


@compiles(hours_between)
def _hours_between_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
