"""Validation of an item's custom-field values against its type's field definitions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from webapp.models import CustomField, FieldType

TEXT_MAX = 1000
LONG_TEXT_MAX = 100_000


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check(field: CustomField, value: Any) -> tuple[Any, str | None]:
    """Return the cleaned value, or an error message."""
    kind = field.field_type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        if not isinstance(value, str):
            return None, "must be text"
        limit = TEXT_MAX if kind == FieldType.TEXT else LONG_TEXT_MAX
        if len(value) > limit:
            return None, f"must be at most {limit} characters"
        return value, None
    if kind == FieldType.NUMBER:
        # NaN and infinity are not JSON: SQLite would store them, PostgreSQL refuse them.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "must be a number"
        if isinstance(value, float) and not math.isfinite(value):
            return None, "must be a number"
        return value, None
    if kind == FieldType.DATE:
        if not isinstance(value, str):
            return None, "must be a date in the form YYYY-MM-DD"
        try:
            return dt.date.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, "must be a date in the form YYYY-MM-DD"
    if kind == FieldType.CHECKBOX:
        if not isinstance(value, bool):
            return None, "must be true or false"
        if field.required and value is not True:
            return None, "must be checked"
        return value, None
    choices = list(field.choices or [])
    if kind == FieldType.CHOICE:
        if value not in choices:
            return None, f"must be one of: {', '.join(choices)}"
        return value, None
    if kind == FieldType.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of choices"
        unknown = [v for v in value if v not in choices]
        if unknown:
            return None, f"unknown choice(s) {', '.join(unknown)}; allowed: {', '.join(choices)}"
        return list(dict.fromkeys(value)), None
    return None, f"has an unknown field type {kind!r}"


def clean_custom_values(
    fields: Iterable[CustomField], values: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check ``values`` against ``fields``: (cleaned values, errors per field key)."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        return {}, {"_schema": ["custom_values must be an object of field key → value"]}
    by_key = {f.key: f for f in fields}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in by_key:
            known = ", ".join(sorted(by_key)) or "none"
            errors[key] = [f"is not a field of this item type (fields: {known})"]
    for key, field in by_key.items():
        value = values.get(key)
        if _empty(value):
            if field.required:
                errors[key] = ["is required"]
            continue
        clean, problem = _check(field, value)
        if problem:
            errors[key] = [problem]
        else:
            cleaned[key] = clean
    return cleaned, errors
