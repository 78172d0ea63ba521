"""Reading a ``Retry-After`` header: how long a vendor asks us to wait."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_DELTA_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (delta-seconds or an HTTP-date).

    ``now`` is naive UTC (or aware; default: the current time). A date in the past gives 0;
    garbage gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _DELTA_SECONDS.match(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # older Pythons returned None instead of raising
        return None
    moment = now if now is not None else datetime.now(UTC)
    return max(0.0, (_as_utc(when) - _as_utc(moment)).total_seconds())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
