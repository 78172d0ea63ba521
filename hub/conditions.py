"""Whether a recipe fires: its trigger filter against the event's diff, its conditions
against the event's context.

The context is plain data (``{"item": {...}, "requester": {...} | None, "event": {...}}``);
fields are dotted paths into it. Evaluation never raises: a missing field is None, and a
comparison between values of incompatible types (or a malformed rule) is simply False.
The ``validate_*`` functions give the per-path messages for the API's 422 answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Match(StrEnum):
    ALL = "all"
    ANY = "any"


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    BEFORE = "before"
    AFTER = "after"


OPERATORS: tuple[str, ...] = tuple(op.value for op in Operator)
UNARY_OPERATORS = frozenset({Operator.IS_EMPTY, Operator.IS_NOT_EMPTY})
#: How deep groups may nest inside the top-level group.
MAX_DEPTH = 8

TRIGGER_KEYS = ("field", "from", "to")
GROUP_KEYS = ("match", "rules")
RULE_KEYS = ("field", "op", "value")

_RELATIVE = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_RELATIVE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_FIELD = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


# ---------------------------------------------------------------- trigger filter


def trigger_matches(trigger_filter: Mapping[str, Any] | None, diff: Mapping[str, Any]) -> bool:
    """Whether ``diff`` has a change of the filter's field matching its ``from`` and ``to``.

    ``{"field": "status", "from": "New", "to": "Open"}``; an omitted ``from``/``to`` matches any
    value, a list matches any of its values. An empty filter matches every event.
    """
    if not trigger_filter:
        return True
    field = trigger_filter.get("field")
    if not isinstance(field, str) or not isinstance(diff, Mapping) or field not in diff:
        return False
    change = diff[field]
    if not isinstance(change, Mapping):
        return False
    for key, side in (("from", "before"), ("to", "after")):
        if key in trigger_filter and not _matches_expected(trigger_filter[key], change.get(side)):
            return False
    return True


def _matches_expected(expected: Any, actual: Any) -> bool:
    if _is_list(expected) and not _is_list(actual):
        return any(_equals(option, actual) is True for option in expected)
    return _equals(expected, actual) is True


# ---------------------------------------------------------------- conditions


def conditions_hold(
    conditions: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    now: datetime | None = None,
) -> bool:
    """Whether the group ``{"match": "all"|"any", "rules": [...]}`` holds for ``context``.

    ``now`` (naive UTC, default the current time) anchors relative dates such as ``-2d``.
    """
    if not conditions:
        return True
    if not isinstance(conditions, Mapping):
        return False
    return _group_holds(conditions, context, _naive_utc(now) if now else _utcnow())


def _group_holds(group: Mapping[str, Any], context: Mapping[str, Any], now: datetime) -> bool:
    rules = group.get("rules") or []
    if not _is_list(rules):
        return False
    if not rules:
        return True
    results = (_rule_holds(rule, context, now) for rule in rules)
    match = group.get("match", Match.ALL.value)
    if match == Match.ALL.value:
        return all(results)
    if match == Match.ANY.value:
        return any(results)
    return False


def _rule_holds(rule: Any, context: Mapping[str, Any], now: datetime) -> bool:
    if not isinstance(rule, Mapping):
        return False
    if _is_group(rule):
        return _group_holds(rule, context, now)
    field, op = rule.get("field"), rule.get("op")
    if not isinstance(field, str) or op not in OPERATORS:
        return False
    try:
        return evaluate(Operator(op), resolve(context, field), rule.get("value"), now)
    except Exception:  # a comparison we did not foresee: False, never an exception
        return False


def _is_group(rule: Mapping[str, Any]) -> bool:
    return "rules" in rule or ("match" in rule and "op" not in rule)


def resolve(context: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` (list positions by number); None when missing."""
    current: Any = context
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif _is_list(current) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def evaluate(op: Operator, actual: Any, expected: Any, now: datetime | None = None) -> bool:
    """One comparison ``actual <op> expected``; False for incompatible types."""
    if op is Operator.EQ:
        return _equals(actual, expected) is True
    if op is Operator.NE:
        return _equals(actual, expected) is False
    if op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        order = _compare(actual, expected)
        if order is None:
            return False
        return {Operator.GT: order > 0, Operator.GTE: order >= 0,
                Operator.LT: order < 0, Operator.LTE: order <= 0}[op]
    if op in (Operator.IN, Operator.NOT_IN):
        found = _within(actual, expected)
        return found is (op is Operator.IN)
    if op in (Operator.CONTAINS, Operator.NOT_CONTAINS):
        found = _contains(actual, expected)
        return found is (op is Operator.CONTAINS)
    if op is Operator.IS_EMPTY:
        return _is_empty(actual)
    if op is Operator.IS_NOT_EMPTY:
        return not _is_empty(actual)
    moment = parse_moment(actual)
    bound = parse_moment(expected, _naive_utc(now) if now else _utcnow(), relative=True)
    if moment is None or bound is None:
        return False
    return moment < bound if op is Operator.BEFORE else moment > bound


# ---------------------------------------------------------------- comparisons
# Each returns None when the two values cannot be compared (incompatible types).


def _equals(left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        a, b = _as_bool(left), _as_bool(right)
        return None if a is None or b is None else a == b
    if _is_list(left) or _is_list(right):
        if not (_is_list(left) and _is_list(right)):
            return None
        if len(left) != len(right):
            return False
        pairs = [_equals(a, b) for a, b in zip(left, right, strict=True)]
        return None if None in pairs else all(pairs)
    numbers = _as_numbers(left, right)
    if numbers is not None:
        return bool(numbers[0] == numbers[1])
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if _is_number(left) or _is_number(right):
        return None  # a number and a non-numeric string
    if type(left) is not type(right) and not (isinstance(left, Mapping)
                                              and isinstance(right, Mapping)):
        return None
    return bool(left == right)


def _compare(left: Any, right: Any) -> int | None:
    if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
        return None
    numbers = _as_numbers(left, right)
    if numbers is not None:
        a, b = numbers
    elif isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
    elif isinstance(left, date) and isinstance(right, date):
        a, b = _naive_utc(_as_datetime(left)), _naive_utc(_as_datetime(right))
    else:
        return None
    return int((a > b) - (a < b))


def _within(actual: Any, expected: Any) -> bool | None:
    options = list(expected) if _is_list(expected) else [expected]
    values = list(actual) if _is_list(actual) else [actual]
    if actual is None or not values:
        return False
    return any(_equals(value, option) is True for value in values for option in options)


def _contains(actual: Any, expected: Any) -> bool | None:
    if actual is None:
        return False
    if isinstance(actual, str):
        if expected is None or isinstance(expected, bool):
            return None
        if _is_number(expected):
            expected = _number_text(expected)
        if not isinstance(expected, str):
            return None
        return expected.casefold() in actual.casefold()
    if _is_list(actual):
        return any(_equals(value, expected) is True for value in actual)
    if isinstance(actual, Mapping):
        return any(_equals(key, expected) is True for key in actual)
    return None


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping) or _is_list(value):
        return len(value) == 0
    return False


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _as_number(value: Any) -> float | Decimal | None:
    if _is_number(value):
        return value if isinstance(value, Decimal) else float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _as_numbers(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both as numbers when at least one is a number and the other is numeric too."""
    if not (_is_number(left) or _is_number(right)):
        return None
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) != isinstance(b, Decimal):
        a, b = float(a), float(b)
    return a, b


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


# ---------------------------------------------------------------- dates


def parse_moment(
    value: Any, now: datetime | None = None, *, relative: bool = False
) -> datetime | None:
    """A naive UTC datetime from a datetime, a date or an ISO string; None otherwise.

    With ``relative``, also ``"now"`` and offsets like ``"-2d"``, ``"+3h"``, ``"-30m"``,
    ``"+1w"``, ``"+45s"`` from ``now`` (naive UTC, default the current time).
    """
    if isinstance(value, date):
        return _naive_utc(_as_datetime(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if relative:
        if text.lower() == "now":
            return now or _utcnow()
        match = _RELATIVE.match(text)
        if match is not None:
            sign, amount, unit = match.groups()
            seconds = float(amount) * _RELATIVE_UNITS[unit.lower()]
            return (now or _utcnow()) + timedelta(seconds=seconds if sign == "+" else -seconds)
    try:
        return _naive_utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _as_datetime(value: date) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- validation


def validate_trigger_filter(spec: Any, *, prefix: str = "trigger_filter") -> dict[str, list[str]]:
    """Messages per path for a bad trigger filter; {} when it is valid (or empty)."""
    errors: dict[str, list[str]] = {}
    if spec is None or (isinstance(spec, Mapping) and not spec):
        return errors
    if not isinstance(spec, Mapping):
        return {prefix: ["must be an object with 'field' and optional 'from' and 'to'"]}
    for key in spec:
        if key not in TRIGGER_KEYS:
            _add(errors, f"{prefix}.{key}",
                 f"unknown key {key!r}; allowed: {', '.join(TRIGGER_KEYS)}")
    field = spec.get("field")
    if field is None:
        _add(errors, f"{prefix}.field", "is required")
    elif not isinstance(field, str) or not field.strip():
        _add(errors, f"{prefix}.field", "must be a non-empty field name")
    for key in ("from", "to"):
        if key in spec and not _is_value_or_list(spec[key]):
            _add(errors, f"{prefix}.{key}",
                 "must be a value (text, number, true/false or null) or a list of values")
    return errors


def validate_conditions(spec: Any, *, prefix: str = "conditions") -> dict[str, list[str]]:
    """Messages per path for bad conditions; {} when they are valid (or empty)."""
    errors: dict[str, list[str]] = {}
    if spec is None or (isinstance(spec, Mapping) and not spec):
        return errors
    _validate_group(spec, prefix, 0, errors)
    return errors


def _validate_group(group: Any, path: str, depth: int, errors: dict[str, list[str]]) -> None:
    if not isinstance(group, Mapping):
        _add(errors, path, "must be an object with 'match' and 'rules'")
        return
    if depth > MAX_DEPTH:
        _add(errors, path, f"groups nest too deeply (at most {MAX_DEPTH} levels)")
        return
    for key in group:
        if key not in GROUP_KEYS:
            _add(errors, f"{path}.{key}",
                 f"unknown key {key!r}; allowed in a group: {', '.join(GROUP_KEYS)}")
    match = group.get("match", Match.ALL.value)
    if match not in (Match.ALL.value, Match.ANY.value):
        _add(errors, f"{path}.match", f"unknown match {match!r}; allowed: all, any")
    rules = group.get("rules", [])
    if not isinstance(rules, list):
        _add(errors, f"{path}.rules", "must be a list of rules")
        return
    for index, rule in enumerate(rules):
        rule_path = f"{path}.rules.{index}"
        if isinstance(rule, Mapping) and _is_group(rule):
            _validate_group(rule, rule_path, depth + 1, errors)
        else:
            _validate_rule(rule, rule_path, errors)


def _validate_rule(rule: Any, path: str, errors: dict[str, list[str]]) -> None:
    if not isinstance(rule, Mapping):
        _add(errors, path, "must be an object with 'field', 'op' and 'value', or a group")
        return
    for key in rule:
        if key not in RULE_KEYS:
            _add(errors, f"{path}.{key}",
                 f"unknown key {key!r}; allowed in a rule: {', '.join(RULE_KEYS)}")
    field = rule.get("field")
    if field is None:
        _add(errors, f"{path}.field", "is required")
    elif not isinstance(field, str) or not _FIELD.match(field):
        _add(errors, f"{path}.field",
             f"must be a dotted field path such as 'item.priority', got {field!r}")
    op = rule.get("op")
    if op is None:
        _add(errors, f"{path}.op", f"is required; allowed: {', '.join(OPERATORS)}")
        return
    if op not in OPERATORS:
        _add(errors, f"{path}.op", f"unknown operator {op!r}; allowed: {', '.join(OPERATORS)}")
        return
    problem = _value_problem(Operator(op), rule)
    if problem:
        _add(errors, f"{path}.value", problem)


def _value_problem(op: Operator, rule: Mapping[str, Any]) -> str | None:
    value = rule.get("value")
    if op in UNARY_OPERATORS:
        return None if value is None else f"'{op.value}' takes no value"
    if "value" not in rule:
        return f"is required for '{op.value}'"
    if op in (Operator.EQ, Operator.NE):
        ok = _is_value_or_list(value)
        return None if ok else "must be a value (text, number, true/false or null) or a list"
    if op in (Operator.IN, Operator.NOT_IN):
        ok = isinstance(value, list) and all(_is_scalar(v) for v in value)
        return None if ok else "must be a list of values"
    if op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        ok = (_is_number(value) or isinstance(value, str)) and not _is_nan(value)
        return None if ok else "must be a number or a text"
    if op in (Operator.CONTAINS, Operator.NOT_CONTAINS):
        ok = value is not None and _is_scalar(value) and not isinstance(value, bool)
        return None if ok else "must be a text or a number"
    if parse_moment(value, datetime(2000, 1, 1), relative=True) is None:
        return ("must be a date/time such as '2026-11-20T10:00:00', 'now' or an offset "
                "such as '-2d', '+3h', '-30m'")
    return None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or (_is_number(value)
                                                               and not _is_nan(value))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _is_value_or_list(value: Any) -> bool:
    return _is_scalar(value) or (isinstance(value, list) and all(_is_scalar(v) for v in value))


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)
