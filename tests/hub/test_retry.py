"""RetryPolicy: the schedule, jitter, Retry-After, and parsing config text."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hub.retry import DEFAULT_SCHEDULE, MAX_RETRY_AFTER, RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 20, 10, 0, 0)


def test_default_schedule_is_svix() -> None:
    policy = RetryPolicy()
    assert policy.schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert policy.schedule == DEFAULT_SCHEDULE
    assert policy.jitter == 0.1
    assert policy.max_attempts == 8


def test_first_attempt_is_immediate_even_with_jitter() -> None:
    assert RetryPolicy().next_attempt_at(0, NOW) == NOW


@pytest.mark.parametrize("attempts_made", range(8))
def test_without_jitter_follows_the_schedule(attempts_made: int) -> None:
    policy = RetryPolicy(jitter=0)
    expected = NOW + timedelta(seconds=DEFAULT_SCHEDULE[attempts_made])
    assert policy.next_attempt_at(attempts_made, NOW) == expected


@pytest.mark.parametrize("attempts_made", [8, 9, 100])
def test_dead_after_the_last_attempt(attempts_made: int) -> None:
    assert RetryPolicy().next_attempt_at(attempts_made, NOW) is None
    assert RetryPolicy().next_attempt_at(attempts_made, NOW, retry_after=10) is None


def test_negative_attempts_is_an_error() -> None:
    with pytest.raises(ValueError, match="attempts_made"):
        RetryPolicy().next_attempt_at(-1, NOW)


@pytest.mark.parametrize("attempts_made", range(1, 8))
def test_jitter_stays_within_the_fraction(attempts_made: int) -> None:
    policy = RetryPolicy()
    rng = random.Random(1234)
    base = DEFAULT_SCHEDULE[attempts_made]
    delays = []
    for _ in range(200):
        at = policy.next_attempt_at(attempts_made, NOW, rng=rng)
        assert at is not None
        delays.append((at - NOW).total_seconds())
    assert all(base * 0.9 - 1e-6 <= d <= base * 1.1 + 1e-6 for d in delays)
    assert len({round(d, 6) for d in delays}) > 100, "jitter should spread the delays"
    assert min(delays) < base < max(delays)


def test_seeded_rng_is_reproducible() -> None:
    policy = RetryPolicy()
    first = policy.next_attempt_at(3, NOW, rng=random.Random(7))
    second = policy.next_attempt_at(3, NOW, rng=random.Random(7))
    assert first == second


def test_retry_after_larger_than_schedule_is_honoured() -> None:
    policy = RetryPolicy(jitter=0)
    assert policy.next_attempt_at(1, NOW, retry_after=120) == NOW + timedelta(seconds=120)


def test_retry_after_smaller_than_schedule_does_not_shorten_it() -> None:
    policy = RetryPolicy(jitter=0)
    assert policy.next_attempt_at(2, NOW, retry_after=10) == NOW + timedelta(seconds=300)


def test_retry_after_is_at_least_honoured_with_jitter() -> None:
    policy = RetryPolicy()
    rng = random.Random(0)
    for _ in range(50):
        at = policy.next_attempt_at(1, NOW, retry_after=60, rng=rng)
        assert at == NOW + timedelta(seconds=60)


def test_retry_after_is_capped_at_a_day() -> None:
    policy = RetryPolicy(jitter=0)
    at = policy.next_attempt_at(1, NOW, retry_after=10 * 86400)
    assert at == NOW + timedelta(seconds=MAX_RETRY_AFTER)
    assert MAX_RETRY_AFTER == 86400


@pytest.mark.parametrize("retry_after", [0, -5, float("nan"), float("inf")])
def test_meaningless_retry_after_is_ignored(retry_after: float) -> None:
    policy = RetryPolicy(jitter=0)
    assert policy.next_attempt_at(1, NOW, retry_after=retry_after) == NOW + timedelta(seconds=5)


def test_works_with_aware_now() -> None:
    now = NOW.replace(tzinfo=UTC)
    assert RetryPolicy(jitter=0).next_attempt_at(1, now) == now + timedelta(seconds=5)


def test_custom_schedule_and_list_becomes_tuple() -> None:
    policy = RetryPolicy(schedule=[1, 2, 3], jitter=0)  # type: ignore[arg-type]
    assert policy.schedule == (1, 2, 3)
    assert policy.max_attempts == 3
    assert policy.next_attempt_at(2, NOW) == NOW + timedelta(seconds=3)
    assert policy.next_attempt_at(3, NOW) is None


def test_policy_is_frozen_and_hashable() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.jitter = 0.5  # type: ignore[misc]
    assert hash(policy) == hash(RetryPolicy())
    assert policy == RetryPolicy()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schedule": ()}, "empty"),
        ({"schedule": (0, -5)}, "#2 is negative"),
        ({"schedule": (0, float("inf"))}, "not finite"),
        ({"schedule": (0, float("nan"))}, "not finite"),
        ({"schedule": (0, "5")}, "not a number"),
        ({"jitter": 1}, r"jitter must be in \[0, 1\)"),
        ({"jitter": -0.1}, "jitter must be"),
        ({"jitter": 1.5}, "jitter must be"),
    ],
)
def test_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_zero_jitter_is_allowed() -> None:
    assert RetryPolicy(jitter=0).jitter == 0


# ---------------------------------------------------------------- parse


def test_parse_the_default_schedule() -> None:
    policy = RetryPolicy.parse("0,5s,5m,30m,2h,5h,10h,10h")
    assert policy.schedule == DEFAULT_SCHEDULE
    assert policy == RetryPolicy()


@pytest.mark.parametrize(
    ("text", "schedule"),
    [
        ("0", (0.0,)),
        ("10", (10.0,)),
        ("1.5m", (90.0,)),
        (" 0 , 5 s , 1D ", (0.0, 5.0, 86400.0)),
        ("30S,2H", (30.0, 7200.0)),
        ("0.5", (0.5,)),
    ],
)
def test_parse_units(text: str, schedule: tuple[float, ...]) -> None:
    assert RetryPolicy.parse(text).schedule == schedule


def test_parse_takes_jitter() -> None:
    assert RetryPolicy.parse("1,2", jitter=0).jitter == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0,5x", r"bad retry delay '5x' \(item 2 of '0,5x'\)"),
        ("0,,5", "an empty item"),
        ("-5", "bad retry delay '-5'"),
        ("five", "expected a number with an optional unit s, m, h or d"),
        ("5 m m", "bad retry delay"),
    ],
)
def test_parse_rejects_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy.parse(text)


def test_to_text_round_trips() -> None:
    assert RetryPolicy().to_text() == "0,5s,5m,30m,2h,5h,10h,10h"
    odd = RetryPolicy(schedule=(0, 1.5, 90, 86400, 172800))
    assert odd.to_text() == "0,1.5s,90s,1d,2d"
    assert RetryPolicy.parse(odd.to_text()).schedule == odd.schedule


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("1.5", 1.5)],
)
def test_retry_after_delta_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_retry_after_http_date() -> None:
    now = datetime(2015, 10, 21, 7, 26, 0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 120.0


def test_retry_after_http_date_with_aware_now() -> None:
    now = datetime(2015, 10, 21, 7, 26, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 120.0


def test_retry_after_date_with_offset() -> None:
    now = datetime(2015, 10, 21, 7, 26, 0)
    assert parse_retry_after("Wed, 21 Oct 2015 09:28:00 +0200", now) == 120.0


def test_retry_after_date_in_the_past_is_zero() -> None:
    now = datetime(2015, 10, 21, 8, 0, 0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 0.0


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "-5", "12abc", "Wed, 99 Foo 2015", "1e9", "inf"],
)
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_retry_after_feeds_next_attempt() -> None:
    seconds = parse_retry_after("3600", NOW)
    at = RetryPolicy(jitter=0).next_attempt_at(1, NOW, retry_after=seconds)
    assert at == NOW + timedelta(hours=1)
