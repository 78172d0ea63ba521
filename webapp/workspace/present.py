"""How the workspace shows people, times and priorities: words in the viewer's language and
time zone, never ids or raw timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import format_datetime, format_timedelta, lazy_gettext

from webapp.models import utcnow
from webapp.views.display import customer_name, person_name

__all__ = ["customer_name", "full_time", "initials", "iso_utc", "person_name",
           "relative_time", "stars"]

MAX_STARS = 5


def initials(name: str) -> str:
    """"Alice Agent" → "AA"; "bob" → "B"."""
    parts = [p for p in name.replace(".", " ").split() if p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or name[:1].upper()


def relative_time(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"5 minutes ago" / "in 2 hours" in the viewer's language (UTC-naive ``moment``)."""
    if moment is None:
        return ""
    delta = moment - (now or utcnow())
    if abs(delta) < dt.timedelta(minutes=1):
        return str(lazy_gettext("just now"))
    return format_timedelta(delta, add_direction=True, threshold=1.0)


def full_time(moment: dt.datetime | None) -> str:
    """The exact time, to the minute, in the viewer's time zone (for tooltips)."""
    return format_datetime(moment, "d MMM y, HH:mm") if moment else ""


def iso_utc(moment: dt.datetime | None) -> str | None:
    """For ``<time datetime>`` and scripts that count down."""
    return moment.replace(tzinfo=dt.UTC, microsecond=0).isoformat() if moment else None


def stars(priority: int) -> dict[str, Any]:
    """Priority 1–5 as filled / empty stars (0 means "not set")."""
    filled = max(0, min(MAX_STARS, int(priority or 0)))
    return {"filled": filled, "empty": MAX_STARS - filled,
            "label": (str(lazy_gettext("Priority %(n)s of 5", n=filled)) if filled
                      else str(lazy_gettext("No priority")))}
