"""How a generated screen shows a stored value: words a person reads, never Python's reprs.

FAB's list and show widgets print a column's value as it is (``None``, ``True``, ``{}``,
``[Alice]``, ``2026-12-07 21:41:27.585420``, escaped ``<p>…</p>``); ``readable`` is the default
formatter of every column of every ``ScopedModelView`` (a view's own formatter still wins).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal, gettext

from webapp.content.html import html_to_text

EMPTY = "—"


def person_name(user: Any) -> str:
    """A staff user's full name, else their username ("" for nobody)."""
    if user is None:
        return ""
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


def customer_name(customer: Any) -> str:
    """A customer's name, else their e-mail address ("" for nobody)."""
    if customer is None:
        return ""
    return customer.name or customer.email


def readable(value: Any) -> str:
    """``value`` as a person reads it (dates in the viewer's time zone and language)."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return format_datetime(value, "d MMM y, HH:mm")
    if isinstance(value, dt.date):
        return format_date(value, "d MMM y")
    if isinstance(value, enum.Enum):
        return gettext(str(value.value).replace("_", " ").capitalize())  # "In progress" …
    if isinstance(value, Decimal | float):
        return format_decimal(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(readable(item) for item in value)
    if isinstance(value, str) and value.lstrip().startswith("<"):
        return html_to_text(value)  # stored HTML (sanitized) read as its text
    return str(value)


class ReadableValuesMixin:
    """For ``ModelView`` subclasses: ``readable`` formats every listed and shown column."""

    list_columns: list[str]
    show_columns: list[str]
    formatters_columns: dict[str, Any]

    def _init_properties(self) -> None:
        super()._init_properties()  # type: ignore[misc]
        columns = [*self.list_columns, *self.show_columns]
        self.formatters_columns = {**{c: readable for c in columns}, **self.formatters_columns}
