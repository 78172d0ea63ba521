"""Business-hours arithmetic for SLA targets.

A :class:`WorkingCalendar` is a weekly pattern of open intervals in one time zone, plus
holidays (local dates). Times going in and out are naive UTC, as stored in the database;
the walk happens on the calendar's local clock, so days around a DST change have the
length they really have.

An interval ``[09:00, 17:00)`` of a local date is open from the first moment the local clock
reads 09:00 on that date until the first moment it reads 17:00: a wall time skipped by a
DST jump counts from the jump, and a repeated wall time counts from its first occurrence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                   "sunday")
MINUTES_PER_DAY = 24 * 60
#: How far a walk may go looking for open time (local days) before giving up.
MAX_DAYS = 366 * 100

_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")

#: Open intervals of one weekday, as (start, end) minutes after local midnight.
DayHours = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class WorkingCalendar:
    """Open hours per weekday (Monday first) in ``zone``, and the holidays (local dates)."""

    zone: ZoneInfo
    week: tuple[DayHours, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"a week has 7 days, got {len(self.week)}")
        for name, intervals in zip(DAY_NAMES, self.week, strict=True):
            previous_end = 0
            for start, end in intervals:
                if not 0 <= start < end <= MINUTES_PER_DAY or start < previous_end:
                    raise ValueError(f"hours of {name} are not sorted, disjoint intervals "
                                     f"within the day: {intervals!r}")
                previous_end = end
        if not any(self.week):
            raise ValueError("the calendar has no open hours at all")

    # ------------------------------------------------------------ building

    @classmethod
    def from_spec(
        cls,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[date | str] = (),
    ) -> WorkingCalendar:
        """A calendar from config such as ``{"mon": [["09:00", "17:00"]], ...}``.

        Missing days are closed; ``"24:00"`` may end an interval. Holidays are local dates
        (``date`` objects or ISO strings). ValueError names the bad part.
        """
        zone = _zone(timezone)
        if not isinstance(hours, Mapping):
            raise ValueError("hours must map day names (mon … sun) to lists of intervals")
        week: list[DayHours] = [() for _ in DAY_NAMES]
        seen: dict[int, str] = {}
        for key, intervals in hours.items():
            index = _day_index(key)
            if index in seen:
                raise ValueError(f"day {DAY_NAMES[index]!r} is given twice "
                                 f"(as {seen[index]!r} and {key!r})")
            seen[index] = key
            week[index] = _day_hours(key, intervals)
        return cls(zone=zone, week=tuple(week), holidays=_holidays(holidays))

    @classmethod
    def always_open(cls) -> WorkingCalendar:
        """24 hours a day, 7 days a week, in UTC, without holidays."""
        return cls(zone=ZoneInfo("UTC"), week=tuple(((0, MINUTES_PER_DAY),) for _ in DAY_NAMES))

    @property
    def timezone(self) -> str:
        return self.zone.key

    @property
    def is_always_open(self) -> bool:
        return not self.holidays and all(day == ((0, MINUTES_PER_DAY),) for day in self.week)

    # ------------------------------------------------------------ arithmetic

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of open time after ``start`` (naive UTC in and out).

        Zero minutes give ``start`` itself. A target that ends exactly at a closing time
        is due at that closing time, not at the next opening.
        """
        if not math.isfinite(minutes) or minutes < 0:
            raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
        begin = _utc(start)
        remaining = timedelta(minutes=minutes)
        if not remaining:
            return _naive(begin)
        if self.is_always_open:
            return _naive(begin + remaining)
        for opens, closes in self._intervals_from(begin):
            if closes <= begin:
                continue
            opens = max(opens, begin)
            available = closes - opens
            if remaining <= available:
                return _naive(opens + remaining)
            remaining -= available
        raise ValueError(f"no end found within {MAX_DAYS} days of {start.isoformat()}")

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes between ``start`` and ``end`` (naive UTC); 0 if end <= start."""
        begin, finish = _utc(start), _utc(end)
        if finish <= begin:
            return 0.0
        if self.is_always_open:
            return (finish - begin).total_seconds() / 60
        total = timedelta()
        for opens, closes in self._intervals_from(begin):
            if opens >= finish:
                break
            overlap = min(closes, finish) - max(opens, begin)
            if overlap > timedelta():
                total += overlap
        return total.total_seconds() / 60

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` (naive UTC) falls in open hours."""
        at = _utc(moment)
        for opens, closes in self._intervals_from(at):
            if opens > at:
                return False
            if at < closes:
                return True
        return False

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (aware UTC) in order, from the local day before ``moment``'s."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            if day not in self.holidays:
                for start, end in self.week[day.weekday()]:
                    yield self._instant(day, start), self._instant(day, end)
            day += timedelta(days=1)

    def _instant(self, day: date, minute: int) -> datetime:
        """The first moment (aware UTC) the local clock reads ``minute`` on ``day``."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first  # the wall time exists; fold=0 is the first of a repeated one
        # Skipped by a jump forward: the two readings of ``wall`` straddle the jump.
        readings = (first, wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC))
        low, high = min(readings), max(readings)
        after_jump = high.astimezone(self.zone).utcoffset()
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self.zone).utcoffset() == after_jump:
                high = middle
            else:
                low = middle
        return high.replace(microsecond=0)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("time zone is required, such as 'Europe/Lisbon'")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _day_index(key: str) -> int:
    name = key.strip().lower() if isinstance(key, str) else ""
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    if name in _LONG_DAY_NAMES:
        return _LONG_DAY_NAMES.index(name)
    raise ValueError(f"unknown day {key!r} in hours; use {', '.join(DAY_NAMES)}")


def _day_hours(key: str, intervals: Sequence[Sequence[str]]) -> DayHours:
    if isinstance(intervals, str) or not isinstance(intervals, Sequence):
        raise ValueError(f"hours[{key!r}] must be a list of [start, end] pairs")
    parsed: list[tuple[int, int]] = []
    for number, interval in enumerate(intervals):
        where = f"hours[{key!r}][{number}]"
        if isinstance(interval, str) or not isinstance(interval, Sequence) or len(interval) != 2:
            raise ValueError(f"{where} must be a [start, end] pair such as ['09:00', '17:00']")
        start, end = _minute(interval[0], where), _minute(interval[1], where)
        if start >= MINUTES_PER_DAY:
            raise ValueError(f"{where} starts at 24:00; an interval must start before midnight")
        if end <= start:
            raise ValueError(f"{where} ends at {interval[1]} which is not after its start "
                             f"{interval[0]}")
        parsed.append((start, end))
    parsed.sort()
    merged: list[tuple[int, int]] = []
    for start, end in parsed:
        if merged and start < merged[-1][1]:
            raise ValueError(f"hours[{key!r}] has overlapping intervals: "
                             f"{_clock(merged[-1][0])}-{_clock(merged[-1][1])} and "
                             f"{_clock(start)}-{_clock(end)}")
        if merged and start == merged[-1][1]:  # touching intervals are one
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _minute(text: object, where: str) -> int:
    match = _TIME.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad time {text!r} in {where}: expected HH:MM, such as 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute:
        raise ValueError(f"bad time {text!r} in {where}: the day ends at 24:00")
    return hour * 60 + minute


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _holidays(values: Iterable[date | str]) -> frozenset[date]:
    days: set[date] = set()
    for value in values:
        if isinstance(value, datetime):
            days.add(value.date())
        elif isinstance(value, date):
            days.add(value)
        elif isinstance(value, str):
            try:
                days.add(date.fromisoformat(value.strip()))
            except ValueError:
                raise ValueError(f"bad holiday {value!r}: expected a date such as "
                                 "2026-12-25") from None
        else:
            raise ValueError(f"bad holiday {value!r}: expected a date such as 2026-12-25")
    return frozenset(days)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
