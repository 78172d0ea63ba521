"""File sizes as people read them: one unit system (binary: KiB, MiB, GiB, as the byte limits
are set in multiples of 1024) and one formatter for every screen, mail and error message."""

from __future__ import annotations

import math

from babel.numbers import format_decimal
from flask import has_request_context

UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    if has_request_context():
        from flask_babel import get_locale

        return str(get_locale() or "en")
    return "en"


def size_text(n: int, locale: str | None = None) -> str:
    """``26214400`` → "25 MiB", ``26000000`` → "24.8 MiB", ``1000`` → "1,000 bytes".

    Rounded *up* to a tenth, so a file over a limit never reads as the limit itself
    (26,214,401 bytes is "25.1 MiB" beside a limit of "25 MiB")."""
    where = _locale(locale)
    for unit, factor in UNITS:
        if n >= factor:
            tenths = math.ceil(n * 10 / factor) / 10
            return f"{format_decimal(tenths, format='#,##0.#', locale=where)} {unit}"
    return f"{format_decimal(n, format='#,##0', locale=where)} bytes"


def limit_text(n: int, locale: str | None = None) -> str:
    """A limit with its exact byte count, the number the check compares with:
    "25 MiB (26,214,400 bytes)"."""
    where = _locale(locale)
    exact = f"{format_decimal(n, format='#,##0', locale=where)} bytes"
    short = size_text(n, where)
    return exact if short == exact else f"{short} ({exact})"
