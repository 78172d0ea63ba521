"""When a failed delivery is tried again.

A :class:`RetryPolicy` is a schedule of delays: ``schedule[n]`` is how long to wait before
attempt ``n + 1`` (counted from the failure of attempt ``n``, or from the event for the first
attempt). Each delay gets a little random jitter so that deliveries failing together do not
retry together, and a ``Retry-After`` from the receiver is honoured (up to a day). When every
attempt of the schedule has been made the delivery is dead.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.retry_after import parse_retry_after as parse_retry_after

#: Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
DEFAULT_JITTER = 0.1
#: The longest wait a receiver's ``Retry-After`` can impose (seconds).
MAX_RETRY_AFTER = 24 * 3600.0

_UNITS: dict[str, float] = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DELAY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)$", re.IGNORECASE)

_default_rng = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """Delays (seconds) before each attempt, and the ± jitter fraction applied to them."""

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        schedule = tuple(self.schedule)  # a list given by the caller becomes a tuple
        object.__setattr__(self, "schedule", schedule)
        if not schedule:
            raise ValueError("retry schedule is empty: it needs at least one attempt")
        for number, delay in enumerate(schedule, start=1):
            if isinstance(delay, bool) or not isinstance(delay, int | float):
                raise ValueError(f"retry delay #{number} is not a number: {delay!r}")
            if not math.isfinite(delay):
                raise ValueError(f"retry delay #{number} is not finite: {delay!r}")
            if delay < 0:
                raise ValueError(f"retry delay #{number} is negative: {delay!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int | float):
            raise ValueError(f"jitter is not a number: {self.jitter!r}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter!r}")

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def delay(self, attempts_made: int, rng: random.Random | None = None) -> float | None:
        """The jittered delay (seconds) before the next attempt; None when none is left."""
        if attempts_made < 0:
            raise ValueError(f"attempts_made must be >= 0, got {attempts_made}")
        if attempts_made >= self.max_attempts:
            return None
        base = float(self.schedule[attempts_made])
        if base <= 0 or self.jitter == 0:
            return base
        spread = (rng or _default_rng).uniform(-self.jitter, self.jitter)
        return base * (1 + spread)

    def next_attempt_at(
        self,
        attempts_made: int,
        now: datetime,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> datetime | None:
        """When to make the next attempt after ``attempts_made`` attempts; None once dead.

        ``retry_after`` (seconds, from the receiver) pushes the time later, never earlier,
        and is capped at :data:`MAX_RETRY_AFTER`.
        """
        delay = self.delay(attempts_made, rng)
        if delay is None:
            return None
        if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return now + timedelta(seconds=delay)

    @classmethod
    def parse(cls, text: str, *, jitter: float = DEFAULT_JITTER) -> RetryPolicy:
        """A policy from config text such as ``"0,5s,5m,30m,2h,5h,10h,10h"``.

        Units are s, m, h and d; a bare number is seconds.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError("retry schedule is empty: give delays such as '0,5s,5m,30m,2h'")
        delays: list[float] = []
        for number, part in enumerate(text.split(","), start=1):
            token = part.strip()
            match = _DELAY.match(token)
            if match is None:
                shown = f"{token!r}" if token else "an empty item"
                raise ValueError(
                    f"bad retry delay {shown} (item {number} of {text.strip()!r}): "
                    "expected a number with an optional unit s, m, h or d, such as 30s or 5m"
                )
            amount, unit = match.groups()
            delays.append(float(amount) * _UNITS[unit.lower()])
        return cls(schedule=tuple(delays), jitter=jitter)

    def to_text(self) -> str:
        """The schedule in the form :meth:`parse` reads (jitter not included)."""
        return ",".join(_format_delay(delay) for delay in self.schedule)


def _format_delay(seconds: float) -> str:
    if seconds == 0:
        return "0"
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
