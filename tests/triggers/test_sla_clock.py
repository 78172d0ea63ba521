"""Business-hours arithmetic: open intervals, holidays, time zones and DST."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from triggers.sla_clock import WorkingCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in WEEKDAYS}


def office(
    zone: str = "America/New_York", holidays: tuple[date | str, ...] = ()
) -> WorkingCalendar:
    return WorkingCalendar.from_spec(zone, NINE_TO_FIVE, holidays)


def utc(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) \
        -> datetime:
    """Naive UTC of a local wall time in ``zone``."""
    aware = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    return aware.astimezone(UTC).replace(tzinfo=None)


def local(zone: str, moment: datetime) -> datetime:
    """The local wall time (naive) of naive-UTC ``moment``."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


NY = "America/New_York"
LISBON = "Europe/Lisbon"
SAO_PAULO = "America/Sao_Paulo"


# ---------------------------------------------------------------- add_business_minutes


def test_friday_afternoon_ticket_is_due_monday_morning() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 11, 20, 16, 30)  # Friday 16:30 EST = 21:30 UTC
    assert opened == datetime(2026, 11, 20, 21, 30)
    due = calendar.add_business_minutes(opened, 60)
    assert local(NY, due) == datetime(2026, 11, 23, 9, 30)
    assert due == datetime(2026, 11, 23, 14, 30)


def test_within_one_open_interval() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 11, 18, 10, 0)
    assert local(NY, calendar.add_business_minutes(opened, 90)) == datetime(2026, 11, 18, 11, 30)


def test_ending_exactly_at_closing_time_stays_that_day() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 11, 20, 16, 0)
    assert local(NY, calendar.add_business_minutes(opened, 60)) == datetime(2026, 11, 20, 17, 0)


def test_opened_while_closed_counts_from_next_opening() -> None:
    calendar = office(NY)
    saturday = utc(NY, 2026, 11, 21, 13, 0)
    assert local(NY, calendar.add_business_minutes(saturday, 30)) == datetime(2026, 11, 23, 9, 30)
    early = utc(NY, 2026, 11, 18, 6, 0)
    assert local(NY, calendar.add_business_minutes(early, 1)) == datetime(2026, 11, 18, 9, 1)
    late = utc(NY, 2026, 11, 18, 23, 0)
    assert local(NY, calendar.add_business_minutes(late, 1)) == datetime(2026, 11, 19, 9, 1)


def test_several_days() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 11, 18, 15, 0)  # Wednesday
    # 2 h Wed, 8 h Thu, 8 h Fri, then 2 h on Monday
    due = calendar.add_business_minutes(opened, 20 * 60)
    assert local(NY, due) == datetime(2026, 11, 23, 11, 0)


def test_zero_minutes_is_the_start_itself() -> None:
    calendar = office(NY)
    saturday = datetime(2026, 11, 21, 18, 0)
    assert calendar.add_business_minutes(saturday, 0) == saturday


@pytest.mark.parametrize("minutes", [-1, float("nan"), float("inf")])
def test_bad_minutes(minutes: float) -> None:
    with pytest.raises(ValueError, match="minutes"):
        office().add_business_minutes(datetime(2026, 11, 20), minutes)


def test_fractional_minutes() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 11, 18, 10, 0)
    due = calendar.add_business_minutes(opened, 1.5)
    assert local(NY, due) == datetime(2026, 11, 18, 10, 1, 30)


def test_split_day_skips_lunch() -> None:
    calendar = WorkingCalendar.from_spec(
        LISBON, {"tue": [["09:00", "12:00"], ["13:00", "17:00"]]})
    opened = utc(LISBON, 2026, 11, 17, 11, 30)  # Tuesday
    due = calendar.add_business_minutes(opened, 60)
    assert local(LISBON, due) == datetime(2026, 11, 17, 13, 30)
    # a week later when the day runs out: only Tuesdays are open
    due = calendar.add_business_minutes(opened, 30 + 4 * 60 + 10)
    assert local(LISBON, due) == datetime(2026, 11, 24, 9, 10)


def test_holidays_are_skipped() -> None:
    calendar = office(NY, holidays=(date(2026, 11, 26),))  # Thanksgiving, a Thursday
    opened = utc(NY, 2026, 11, 25, 16, 0)
    due = calendar.add_business_minutes(opened, 120)
    assert local(NY, due) == datetime(2026, 11, 27, 10, 0)


def test_consecutive_holidays_and_weekend() -> None:
    calendar = office(LISBON, holidays=("2026-12-24", "2026-12-25"))
    opened = utc(LISBON, 2026, 12, 23, 16, 0)  # Wednesday
    due = calendar.add_business_minutes(opened, 90)
    assert local(LISBON, due) == datetime(2026, 12, 28, 9, 30)


def test_holidays_are_local_dates() -> None:
    # Tokyo is 9 h ahead: Monday 09:00 local is Sunday 00:00 UTC.
    calendar = WorkingCalendar.from_spec(
        "Asia/Tokyo", NINE_TO_FIVE, holidays=[date(2026, 11, 23)])
    opened = datetime(2026, 11, 22, 0, 0)  # Monday 09:00 in Tokyo, a holiday there
    due = calendar.add_business_minutes(opened, 60)
    assert local("Asia/Tokyo", due) == datetime(2026, 11, 24, 10, 0)


def test_always_open_adds_plain_minutes() -> None:
    calendar = WorkingCalendar.always_open()
    start = datetime(2026, 11, 21, 23, 30)
    assert calendar.add_business_minutes(start, 90) == datetime(2026, 11, 22, 1, 0)
    assert calendar.add_business_minutes(start, 7 * 24 * 60) == datetime(2026, 11, 28, 23, 30)
    assert calendar.is_always_open
    assert calendar.timezone == "UTC"


def test_result_is_naive_utc_even_for_aware_input() -> None:
    calendar = office(NY)
    aware = datetime(2026, 11, 20, 16, 30, tzinfo=ZoneInfo(NY))
    due = calendar.add_business_minutes(aware, 60)
    assert due.tzinfo is None
    assert due == datetime(2026, 11, 23, 14, 30)


# ---------------------------------------------------------------- DST


def test_business_hours_across_spring_forward_new_york() -> None:
    calendar = office(NY)
    opened = utc(NY, 2026, 3, 6, 16, 30)  # Friday, EST (UTC-5)
    assert opened == datetime(2026, 3, 6, 21, 30)
    due = calendar.add_business_minutes(opened, 60)
    assert local(NY, due) == datetime(2026, 3, 9, 9, 30)  # Monday, EDT (UTC-4)
    assert due == datetime(2026, 3, 9, 13, 30)
    assert calendar.business_minutes_between(opened, due) == 60


def test_business_hours_across_fall_back_lisbon() -> None:
    calendar = office(LISBON)
    opened = utc(LISBON, 2026, 10, 23, 16, 30)  # Friday, WEST (UTC+1)
    assert opened == datetime(2026, 10, 23, 15, 30)
    due = calendar.add_business_minutes(opened, 60)
    assert local(LISBON, due) == datetime(2026, 10, 26, 9, 30)  # Monday, WET (UTC+0)
    assert due == datetime(2026, 10, 26, 9, 30)


def test_business_hours_across_historic_sao_paulo_dst() -> None:
    calendar = office(SAO_PAULO)
    opened = utc(SAO_PAULO, 2018, 11, 2, 16, 30)  # Friday, UTC-3
    assert opened == datetime(2018, 11, 2, 19, 30)
    due = calendar.add_business_minutes(opened, 60)
    assert local(SAO_PAULO, due) == datetime(2018, 11, 5, 9, 30)  # Monday, UTC-2
    assert due == datetime(2018, 11, 5, 11, 30)


def whole_days(zone: str, *days: str) -> WorkingCalendar:
    return WorkingCalendar.from_spec(zone, {day: [["00:00", "24:00"]] for day in days})


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (NY, date(2026, 3, 8), 23),
        (NY, date(2026, 11, 1), 25),
        (NY, date(2026, 11, 8), 24),
        (LISBON, date(2026, 3, 29), 23),
        (LISBON, date(2026, 10, 25), 25),
        (SAO_PAULO, date(2018, 11, 4), 23),  # 00:00 did not exist: midnight jump
        (SAO_PAULO, date(2019, 2, 16), 25),  # 23:00–24:00 happened twice
        (SAO_PAULO, date(2026, 11, 15), 24),  # no DST since 2019
    ],
)
def test_dst_day_lengths(zone: str, day: date, hours: int) -> None:
    calendar = whole_days(zone, day.strftime("%a").lower())
    start = datetime(day.year, day.month, day.day) - timedelta(days=1)
    end = start + timedelta(days=3)
    assert calendar.business_minutes_between(start, end) == hours * 60
    # and walking the same day from its first instant lands on the next midnight
    first = calendar.add_business_minutes(start, 1) - timedelta(minutes=1)
    last = calendar.add_business_minutes(first, hours * 60)
    next_midnight = datetime(day.year, day.month, day.day) + timedelta(days=1)
    assert local(zone, last) == next_midnight


def test_interval_starting_in_the_spring_gap_opens_at_the_jump() -> None:
    calendar = WorkingCalendar.from_spec(NY, {"sun": [["02:30", "04:00"]]})
    sunday = datetime(2026, 3, 8)
    assert calendar.business_minutes_between(sunday, sunday + timedelta(days=1)) == 60
    due = calendar.add_business_minutes(sunday, 1)
    assert due == datetime(2026, 3, 8, 7, 1)  # 03:01 EDT, one minute after the jump


def test_interval_in_the_repeated_hour_counts_from_its_first_occurrence() -> None:
    calendar = WorkingCalendar.from_spec(NY, {"sun": [["01:00", "02:00"]]})
    sunday = datetime(2026, 11, 1)
    # 01:00 EDT (05:00 UTC) until 02:00 EST (07:00 UTC): the clock shows 01:xx twice
    assert calendar.business_minutes_between(sunday, sunday + timedelta(days=1)) == 120
    assert calendar.add_business_minutes(sunday, 1) == datetime(2026, 11, 1, 5, 1)


def test_lisbon_early_morning_hours_on_dst_days() -> None:
    calendar = WorkingCalendar.from_spec(LISBON, {"sun": [["00:00", "03:00"]]})
    spring, autumn = datetime(2026, 3, 29), datetime(2026, 10, 25)
    assert calendar.business_minutes_between(spring - timedelta(hours=2),
                                             spring + timedelta(days=1)) == 120
    assert calendar.business_minutes_between(autumn - timedelta(hours=2),
                                             autumn + timedelta(days=1)) == 240


def test_always_open_in_a_dst_zone_with_a_holiday() -> None:
    calendar = WorkingCalendar.from_spec(
        NY, {day: [["00:00", "24:00"]] for day in ALL_DAYS}, holidays=[date(2026, 12, 25)])
    assert not calendar.is_always_open
    start = datetime(2026, 3, 7, 12, 0)
    assert calendar.add_business_minutes(start, 48 * 60) == datetime(2026, 3, 9, 12, 0)
    assert calendar.business_minutes_between(start, datetime(2026, 3, 9, 12, 0)) == 48 * 60


# ---------------------------------------------------------------- business_minutes_between


def test_between_same_interval() -> None:
    calendar = office(NY)
    start, end = utc(NY, 2026, 11, 18, 10, 0), utc(NY, 2026, 11, 18, 11, 15)
    assert calendar.business_minutes_between(start, end) == 75


def test_between_over_a_weekend() -> None:
    calendar = office(NY)
    start, end = utc(NY, 2026, 11, 20, 16, 0), utc(NY, 2026, 11, 23, 10, 0)
    assert calendar.business_minutes_between(start, end) == 120


def test_between_closed_time_only() -> None:
    calendar = office(NY)
    start, end = utc(NY, 2026, 11, 21, 8, 0), utc(NY, 2026, 11, 22, 20, 0)
    assert calendar.business_minutes_between(start, end) == 0


def test_between_reversed_or_equal_is_zero() -> None:
    calendar = office(NY)
    moment = utc(NY, 2026, 11, 18, 10, 0)
    assert calendar.business_minutes_between(moment, moment) == 0
    assert calendar.business_minutes_between(moment, moment - timedelta(hours=5)) == 0
    always = WorkingCalendar.always_open()
    assert always.business_minutes_between(moment, moment - timedelta(hours=5)) == 0


def test_between_with_holiday() -> None:
    calendar = office(NY, holidays=(date(2026, 11, 26),))
    start, end = utc(NY, 2026, 11, 23, 0, 0), utc(NY, 2026, 11, 30, 0, 0)
    assert calendar.business_minutes_between(start, end) == 4 * 8 * 60


def test_between_always_open() -> None:
    calendar = WorkingCalendar.always_open()
    end = datetime(2026, 1, 2, 0, 30)
    assert calendar.business_minutes_between(datetime(2026, 1, 1), end) == 24 * 60 + 30


@pytest.mark.parametrize("zone", [NY, LISBON, SAO_PAULO, "Australia/Lord_Howe", "UTC"])
def test_between_inverts_add(zone: str) -> None:
    calendar = WorkingCalendar.from_spec(
        zone,
        {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "wed": [["00:00", "24:00"]],
         "sat": [["01:30", "02:30"]], "sun": [["00:00", "03:00"], ["22:00", "24:00"]]},
        holidays=[date(2026, 4, 6)])
    rng = random.Random(zone)
    for _ in range(200):
        start = datetime(2018, 1, 1) + timedelta(minutes=rng.randrange(9 * 366 * 24 * 60))
        minutes = rng.randrange(0, 5000)
        due = calendar.add_business_minutes(start, minutes)
        assert due >= start
        assert calendar.business_minutes_between(start, due) == pytest.approx(minutes)
        if minutes:
            assert calendar.is_open(due - timedelta(seconds=1))


# ---------------------------------------------------------------- is_open


def test_is_open() -> None:
    calendar = office(NY, holidays=(date(2026, 11, 26),))
    assert calendar.is_open(utc(NY, 2026, 11, 18, 9, 0))
    assert calendar.is_open(utc(NY, 2026, 11, 18, 16, 59))
    assert not calendar.is_open(utc(NY, 2026, 11, 18, 17, 0))
    assert not calendar.is_open(utc(NY, 2026, 11, 18, 8, 59))
    assert not calendar.is_open(utc(NY, 2026, 11, 21, 12, 0))  # Saturday
    assert not calendar.is_open(utc(NY, 2026, 11, 26, 12, 0))  # holiday
    assert WorkingCalendar.always_open().is_open(datetime(2026, 11, 21, 3, 0))


# ---------------------------------------------------------------- building


def test_from_spec_shape() -> None:
    calendar = WorkingCalendar.from_spec(
        "Europe/Lisbon",
        {"Mon": [["09:00", "12:00"], ["12:00", "17:00"]], "friday": [["13:00", "24:00"]],
         "tue": [["13:00", "17:00"], ["08:00", "12:00"]], "wed": []},
        holidays=["2026-12-25", datetime(2026, 1, 1, 15, 0), date(2026, 4, 25)])
    assert calendar.timezone == "Europe/Lisbon"
    assert calendar.week == (
        ((540, 1020),),  # touching intervals merged
        ((480, 720), (780, 1020)),  # sorted
        (), (),
        ((780, 1440),),
        (), (),
    )
    assert calendar.holidays == frozenset({date(2026, 12, 25), date(2026, 1, 1),
                                           date(2026, 4, 25)})
    assert not calendar.is_always_open


def test_calendar_is_frozen_and_hashable() -> None:
    calendar = office()
    with pytest.raises(AttributeError):
        calendar.holidays = frozenset()  # type: ignore[misc]
    assert calendar == office()
    assert hash(calendar) == hash(office())


@pytest.mark.parametrize(
    ("zone", "hours", "holidays", "message"),
    [
        ("Mars/Olympus", NINE_TO_FIVE, (), "unknown time zone 'Mars/Olympus'"),
        ("../etc/passwd", NINE_TO_FIVE, (), "unknown time zone"),
        ("", NINE_TO_FIVE, (), "time zone is required"),
        (NY, {"mun": [["09:00", "17:00"]]}, (), "unknown day 'mun'"),
        (NY, {"mon": [["9am", "17:00"]]}, (), r"bad time '9am' in hours\['mon'\]\[0\]"),
        (NY, {"mon": [["09:00", "25:00"]]}, (), "bad time '25:00'"),
        (NY, {"mon": [["09:00", "24:30"]]}, (), "the day ends at 24:00"),
        (NY, {"mon": [["09:60", "17:00"]]}, (), "bad time '09:60'"),
        (NY, {"mon": [["24:00", "24:00"]]}, (), "must start before midnight"),
        (NY, {"mon": [["17:00", "09:00"]]}, (), r"hours\['mon'\]\[0\] ends at 09:00 which is "
                                               "not after its start 17:00"),
        (NY, {"mon": [["09:00", "09:00"]]}, (), "not after its start"),
        (NY, {"tue": [["09:00", "12:00"], ["11:00", "17:00"]]}, (),
         r"hours\['tue'\] has overlapping intervals: 09:00-12:00 and 11:00-17:00"),
        (NY, {"mon": [["09:00"]]}, (), r"hours\['mon'\]\[0\] must be a \[start, end\] pair"),
        (NY, {"mon": ["09:00-17:00"]}, (), "must be a"),
        (NY, {"mon": "09:00-17:00"}, (), r"hours\['mon'\] must be a list"),
        (NY, {"mon": [["09:00", "17:00"]], "monday": [["09:00", "17:00"]]}, (),
         "given twice"),
        (NY, {}, (), "no open hours"),
        (NY, {"mon": [], "sat": []}, (), "no open hours"),
        (NY, NINE_TO_FIVE, ("Christmas",), "bad holiday 'Christmas'"),
        (NY, NINE_TO_FIVE, (20261225,), "bad holiday"),
    ],
)
def test_from_spec_rejects(zone: str, hours: object, holidays: tuple[object, ...],
                           message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_spec(zone, hours, holidays)  # type: ignore[arg-type]


def test_direct_construction_is_checked() -> None:
    with pytest.raises(ValueError, match="7 days"):
        WorkingCalendar(zone=ZoneInfo("UTC"), week=((),))
    with pytest.raises(ValueError, match="not sorted"):
        WorkingCalendar(zone=ZoneInfo("UTC"),
                        week=(((600, 500),), (), (), (), (), (), ()))
    with pytest.raises(ValueError, match="no open hours"):
        WorkingCalendar(zone=ZoneInfo("UTC"), week=((),) * 7)
