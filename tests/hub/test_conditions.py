"""Trigger filters, conditions, and their validation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.conditions import (
    OPERATORS,
    Match,
    Operator,
    conditions_hold,
    evaluate,
    parse_moment,
    resolve,
    trigger_matches,
    validate_conditions,
    validate_trigger_filter,
)

NOW = datetime(2026, 11, 20, 12, 0, 0)

CONTEXT: dict[str, Any] = {
    "item": {
        "id": 1, "title": "Printer on fire in Store 7", "priority": 3, "status": "Open",
        "status_category": "in_progress", "type": "Bug", "kind": "ticket", "project": "X",
        "team_ids": [1, 2], "assignee_ids": [3], "tags": ["Hardware", "urgent"],
        "custom": {"store": "7", "vip": True, "budget": 1500.5},
        "due_at": "2026-11-20T10:00:00", "created_at": "2026-11-17T09:00:00",
        "description": "", "labels": [], "resolved_at": None,
    },
    "requester": {"email": "a@b.c", "organization": "Acme"},
    "event": {"type": "ticket.updated",
              "diff": {"status": {"before": "New", "after": "Open"}}},
}


def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def holds(
    *rules: dict[str, Any], match: str = "all", context: dict[str, Any] | None = None
) -> bool:
    return conditions_hold({"match": match, "rules": list(rules)},
                           CONTEXT if context is None else context, NOW)


# ---------------------------------------------------------------- trigger_matches

DIFF = {"status": {"before": "New", "after": "Open"}, "priority": {"before": 2, "after": 4}}


@pytest.mark.parametrize("trigger_filter", [None, {}])
def test_empty_filter_matches_everything(trigger_filter: dict[str, Any] | None) -> None:
    assert trigger_matches(trigger_filter, {}) is True
    assert trigger_matches(trigger_filter, DIFF) is True


@pytest.mark.parametrize(
    ("trigger_filter", "expected"),
    [
        ({"field": "status"}, True),
        ({"field": "status", "to": "Open"}, True),
        ({"field": "status", "to": "open"}, True),
        ({"field": "status", "from": "NEW", "to": "OPEN"}, True),
        ({"field": "status", "from": "New"}, True),
        ({"field": "status", "to": "Closed"}, False),
        ({"field": "status", "from": "Open", "to": "New"}, False),
        ({"field": "status", "to": ["Resolved", "Open"]}, True),
        ({"field": "status", "to": ["Resolved", "Closed"]}, False),
        ({"field": "assignee", "to": "x"}, False),
        ({"field": "assignee"}, False),
        ({"field": "priority", "to": 4}, True),
        ({"field": "priority", "to": 4.0}, True),
        ({"field": "priority", "to": "4"}, True),
        ({"field": "priority", "from": 2, "to": 3}, False),
        ({"field": "priority", "to": "high"}, False),
    ],
)
def test_trigger_matches(trigger_filter: dict[str, Any], expected: bool) -> None:
    assert trigger_matches(trigger_filter, DIFF) is expected


def test_trigger_from_none_matches_a_newly_set_value() -> None:
    diff = {"assignee_id": {"before": None, "after": 3}}
    assert trigger_matches({"field": "assignee_id", "from": None}, diff)
    assert trigger_matches({"field": "assignee_id", "from": None, "to": 3}, diff)
    assert not trigger_matches({"field": "assignee_id", "to": None}, diff)


def test_trigger_on_a_list_field() -> None:
    diff = {"team_ids": {"before": [1], "after": [1, 2]}}
    assert trigger_matches({"field": "team_ids", "to": [1, 2]}, diff)
    assert not trigger_matches({"field": "team_ids", "to": [2]}, diff)


def test_trigger_with_malformed_diff_or_filter_does_not_match() -> None:
    assert not trigger_matches({"field": "status"}, {"status": "Open"})
    assert not trigger_matches({"to": "Open"}, DIFF)
    assert not trigger_matches({"field": 5}, DIFF)


def test_trigger_missing_before_is_none() -> None:
    assert trigger_matches({"field": "status", "from": None, "to": "Open"},
                           {"status": {"after": "Open"}})


# ---------------------------------------------------------------- conditions_hold


@pytest.mark.parametrize("conditions", [None, {}, {"match": "all", "rules": []},
                                        {"match": "any", "rules": []}])
def test_empty_conditions_hold(conditions: dict[str, Any] | None) -> None:
    assert conditions_hold(conditions, CONTEXT) is True


def test_all_and_any() -> None:
    high = rule("item.priority", "gte", 3)
    bug = rule("item.type", "eq", "bug")
    feature = rule("item.type", "eq", "Feature")
    assert holds(high, bug)
    assert not holds(high, feature)
    assert holds(high, feature, match="any")
    assert not holds(feature, rule("item.priority", "gt", 3), match="any")


def test_match_defaults_to_all() -> None:
    conditions = {"rules": [rule("item.priority", "eq", 3), rule("item.kind", "eq", "task")]}
    assert conditions_hold(conditions, CONTEXT) is False


def test_nested_groups() -> None:
    conditions: dict[str, Any] = {
        "match": "all",
        "rules": [
            rule("item.kind", "eq", "ticket"),
            {"match": "any", "rules": [
                rule("requester.organization", "eq", "Globex"),
                {"match": "all", "rules": [rule("item.priority", "gte", 3),
                                           rule("item.custom.store", "eq", 7)]},
            ]},
        ],
    }
    assert conditions_hold(conditions, CONTEXT, NOW) is True
    conditions["rules"][1]["rules"][1]["rules"][1]["value"] = 8
    assert conditions_hold(conditions, CONTEXT, NOW) is False


def test_requester_none() -> None:
    context = {**CONTEXT, "requester": None}
    assert holds(rule("requester.email", "is_empty"), context=context)
    assert not holds(rule("requester.email", "eq", "a@b.c"), context=context)
    assert holds(rule("requester.email", "ne", "a@b.c"), context=context)


def test_malformed_rules_are_false_not_errors() -> None:
    assert not holds(rule("item.priority", "gt3", 1))
    assert not holds({"field": 5, "op": "eq", "value": 1})
    assert not holds("nonsense")  # type: ignore[arg-type]
    assert not conditions_hold({"match": "some", "rules": [rule("item.id", "eq", 1)]}, CONTEXT)
    assert not conditions_hold({"match": "all", "rules": "x"}, CONTEXT)
    assert not conditions_hold(["x"], CONTEXT)  # type: ignore[arg-type]
    # one malformed rule does not spoil an "any" group
    assert holds(rule("item.priority", "gt3", 1), rule("item.id", "eq", 1), match="any")


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        # eq / ne
        ("item.priority", "eq", 3, True),
        ("item.priority", "eq", 3.0, True),
        ("item.priority", "eq", "3", True),
        ("item.priority", "eq", 4, False),
        ("item.status", "eq", "open", True),
        ("item.status", "eq", "OPEN", True),
        ("item.custom.store", "eq", 7, True),
        ("item.custom.store", "eq", "7", True),
        ("item.custom.vip", "eq", True, True),
        ("item.custom.vip", "eq", "true", True),
        ("item.custom.vip", "eq", 1, False),
        ("item.missing", "eq", None, True),
        ("item.missing", "eq", "x", False),
        ("item.status", "ne", "Closed", True),
        ("item.status", "ne", "open", False),
        ("item.missing", "ne", "x", True),
        ("item.priority", "ne", "high", False),  # incompatible: False, not True
        ("item.team_ids", "eq", [1, 2], True),
        ("item.team_ids", "eq", [2, 1], False),
        ("item.team_ids", "eq", 1, False),
        # gt / gte / lt / lte
        ("item.priority", "gt", 2, True),
        ("item.priority", "gt", 3, False),
        ("item.priority", "gte", 3, True),
        ("item.priority", "lt", 4, True),
        ("item.priority", "lte", 2, False),
        ("item.priority", "gt", "2", True),
        ("item.custom.store", "gt", 5, True),
        ("item.custom.budget", "gte", 1500.5, True),
        ("item.status", "gt", "closed", True),
        ("item.priority", "gt", "high", False),
        ("item.status", "gt", 1, False),
        ("item.missing", "gt", 1, False),
        ("item.missing", "lt", 1, False),
        ("item.team_ids", "gt", 1, False),
        ("item.custom.vip", "gt", 0, False),
        ("item.due_at", "gt", "2026-11-19", True),
        # in / not_in
        ("item.status", "in", ["New", "open"], True),
        ("item.status", "in", ["New", "Closed"], False),
        ("item.priority", "in", [3, 4], True),
        ("item.priority", "in", ["3"], True),
        ("item.status", "not_in", ["New", "Closed"], True),
        ("item.status", "not_in", ["OPEN"], False),
        ("item.team_ids", "in", [2, 5], True),
        ("item.team_ids", "in", [5, 6], False),
        ("item.team_ids", "not_in", [5, 6], True),
        ("item.missing", "in", [None, 1], False),
        ("item.missing", "not_in", [1], True),
        ("item.status", "in", "Open", True),
        # contains / not_contains
        ("item.title", "contains", "fire", True),
        ("item.title", "contains", "FIRE", True),
        ("item.title", "contains", "flood", False),
        ("item.title", "contains", 7, True),
        ("item.title", "not_contains", "flood", True),
        ("item.title", "not_contains", "Printer", False),
        ("item.team_ids", "contains", 2, True),
        ("item.team_ids", "contains", "2", True),
        ("item.team_ids", "contains", 9, False),
        ("item.team_ids", "not_contains", 9, True),
        ("item.tags", "contains", "hardware", True),
        ("item.custom", "contains", "store", True),
        ("item.custom", "contains", "color", False),
        ("item.missing", "contains", "x", False),
        ("item.missing", "not_contains", "x", True),
        ("item.priority", "contains", 3, False),
        ("item.priority", "not_contains", 3, False),  # incompatible: False both ways
        ("item.title", "contains", None, False),
        ("item.title", "not_contains", None, False),
        # is_empty / is_not_empty
        ("item.description", "is_empty", None, True),
        ("item.labels", "is_empty", None, True),
        ("item.resolved_at", "is_empty", None, True),
        ("item.missing", "is_empty", None, True),
        ("item.title", "is_empty", None, False),
        ("item.title", "is_not_empty", None, True),
        ("item.team_ids", "is_not_empty", None, True),
        ("item.priority", "is_not_empty", None, True),
        ("item.description", "is_not_empty", None, False),
        # before / after
        ("item.due_at", "before", "now", True),
        ("item.due_at", "after", "now", False),
        ("item.due_at", "before", "-1h", True),
        ("item.due_at", "before", "-3h", False),
        ("item.due_at", "after", "-3h", True),
        ("item.due_at", "after", "-121m", True),
        ("item.due_at", "after", "-119m", False),
        ("item.created_at", "before", "-2d", True),
        ("item.created_at", "before", "-4d", False),
        ("item.created_at", "after", "-1w", True),
        ("item.due_at", "before", "+3h", True),
        ("item.due_at", "before", "2026-11-21", True),
        ("item.due_at", "after", "2026-11-20T09:59:59", True),
        ("item.due_at", "after", "2026-11-20T10:00:00", False),
        ("item.due_at", "before", "2026-11-20T11:00:00+01:00", False),
        ("item.due_at", "before", "2026-11-20T11:00:01+01:00", True),
        ("item.missing", "before", "now", False),
        ("item.missing", "after", "now", False),
        ("item.title", "before", "now", False),
        ("item.due_at", "before", "soon", False),
        ("item.due_at", "before", 5, False),
    ],
)
def test_operators(field: str, op: str, value: Any, expected: bool) -> None:
    assert holds(rule(field, op, value)) is expected


def test_dates_as_datetime_objects() -> None:
    context = {"item": {"due_at": datetime(2026, 11, 20, 10, 0),
                        "aware": datetime(2026, 11, 20, 11, 0, tzinfo=UTC),
                        "day": date(2026, 11, 19)}}
    assert holds(rule("item.due_at", "before", "now"), context=context)
    assert holds(rule("item.aware", "before", "now"), context=context)
    assert holds(rule("item.aware", "after", "-90m"), context=context)
    assert holds(rule("item.day", "before", "-1d"), context=context)
    assert holds(rule("item.due_at", "gt", datetime(2026, 11, 20, 9)), context=context)
    assert not holds(rule("item.due_at", "gt", "x"), context=context)


def test_aware_now_is_taken_as_utc() -> None:
    aware_now = datetime(2026, 11, 20, 22, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 13:00 UTC
    assert conditions_hold({"rules": [rule("item.due_at", "before", "-1h")]}, CONTEXT, aware_now)
    assert not conditions_hold({"rules": [rule("item.due_at", "before", "-4h")]}, CONTEXT,
                               aware_now)


def test_relative_dates_default_to_current_time() -> None:
    context = {"item": {"past": "2000-01-01T00:00:00", "future": "2999-01-01T00:00:00"}}
    assert conditions_hold({"rules": [rule("item.past", "before", "now"),
                                      rule("item.future", "after", "+1d")]}, context)


def test_event_fields() -> None:
    assert holds(rule("event.type", "eq", "ticket.updated"),
                 rule("event.diff.status.after", "eq", "open"))


def test_incompatible_types_never_raise() -> None:
    odd: list[Any] = [None, 1, 2.5, "x", "", True, [1], {"a": 1}, date(2026, 1, 1),
                      datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC), object()]
    for actual in odd:
        for expected in odd:
            for op in Operator:
                result = evaluate(op, actual, expected, NOW)
                assert isinstance(result, bool)


# ---------------------------------------------------------------- helpers


def test_resolve_paths() -> None:
    assert resolve(CONTEXT, "item.custom.store") == "7"
    assert resolve(CONTEXT, "item.team_ids.1") == 2
    assert resolve(CONTEXT, "item.team_ids.9") is None
    assert resolve(CONTEXT, "item.title.x") is None
    assert resolve(CONTEXT, "nothing.at.all") is None
    assert resolve({"requester": None}, "requester.email") is None


def test_parse_moment() -> None:
    assert parse_moment("2026-11-20T10:00:00Z") == datetime(2026, 11, 20, 10)
    assert parse_moment("2026-11-20") == datetime(2026, 11, 20)
    assert parse_moment("now") is None
    assert parse_moment("now", NOW, relative=True) == NOW
    assert parse_moment("-2d", NOW, relative=True) == datetime(2026, 11, 18, 12)
    assert parse_moment("+ 1.5h", NOW, relative=True) == datetime(2026, 11, 20, 13, 30)
    assert parse_moment("+45s", NOW, relative=True) == datetime(2026, 11, 20, 12, 0, 45)
    assert parse_moment(12, NOW, relative=True) is None


def test_enums_are_strings() -> None:
    assert Operator("gte") is Operator.GTE
    assert str(Operator.GTE) == "gte"
    assert isinstance(Match.ANY, str)
    assert f"{Match.ANY}" == "any"
    assert OPERATORS == ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains",
                         "not_contains", "is_empty", "is_not_empty", "before", "after")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("spec", [
    None, {},
    {"field": "status"},
    {"field": "status", "from": "New", "to": "Open"},
    {"field": "priority", "to": [3, 4]},
    {"field": "assignee_id", "from": None},
])
def test_valid_trigger_filters(spec: Any) -> None:
    assert validate_trigger_filter(spec) == {}


def test_invalid_trigger_filters() -> None:
    assert validate_trigger_filter("status") == {
        "trigger_filter": ["must be an object with 'field' and optional 'from' and 'to'"]}
    assert validate_trigger_filter({"to": "Open"}) == {"trigger_filter.field": ["is required"]}
    assert validate_trigger_filter({"field": " "}) == {
        "trigger_filter.field": ["must be a non-empty field name"]}
    errors = validate_trigger_filter({"field": "status", "too": "x", "to": {"a": 1}})
    assert errors == {
        "trigger_filter.too": ["unknown key 'too'; allowed: field, from, to"],
        "trigger_filter.to": [
            "must be a value (text, number, true/false or null) or a list of values"],
    }


def test_trigger_filter_prefix() -> None:
    assert validate_trigger_filter({}, prefix="trigger") == {}
    assert list(validate_trigger_filter({"to": 1}, prefix="trigger")) == ["trigger.field"]


VALID_CONDITIONS: dict[str, Any] = {
    "match": "all",
    "rules": [
        rule("item.priority", "gte", 3),
        rule("item.status", "in", ["Open", "New"]),
        rule("item.title", "contains", "fire"),
        {"field": "item.description", "op": "is_empty"},
        rule("item.due_at", "before", "-2d"),
        rule("item.due_at", "after", "2026-11-20T10:00:00"),
        rule("requester.email", "eq", None),
        {"match": "any", "rules": [rule("item.type", "eq", "Bug"),
                                   rule("item.custom.store", "ne", 7)]},
    ],
}


def test_valid_conditions() -> None:
    assert validate_conditions(None) == {}
    assert validate_conditions({}) == {}
    assert validate_conditions({"rules": []}) == {}
    assert validate_conditions(VALID_CONDITIONS) == {}
    assert conditions_hold(VALID_CONDITIONS, CONTEXT, NOW) in (True, False)


def test_unknown_operator_message() -> None:
    errors = validate_conditions({"match": "all", "rules": [rule("item.priority", "gt3", 1)]})
    assert errors == {"conditions.rules.0.op": [
        "unknown operator 'gt3'; allowed: eq, ne, gt, gte, lt, lte, in, not_in, contains, "
        "not_contains, is_empty, is_not_empty, before, after"]}


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        ("all", "conditions", "must be an object"),
        ({"match": "some", "rules": []}, "conditions.match", "unknown match 'some'"),
        ({"rules": "x"}, "conditions.rules", "must be a list"),
        ({"rules": [], "extra": 1}, "conditions.extra", "unknown key 'extra'"),
        ({"rules": [5]}, "conditions.rules.0", "must be an object"),
        ({"rules": [{"op": "eq", "value": 1}]}, "conditions.rules.0.field", "is required"),
        ({"rules": [rule("item..x", "eq", 1)]}, "conditions.rules.0.field", "dotted field path"),
        ({"rules": [rule("", "eq", 1)]}, "conditions.rules.0.field", "dotted field path"),
        ({"rules": [{"field": "item.id", "value": 1}]}, "conditions.rules.0.op", "is required"),
        ({"rules": [{"field": "item.id", "op": "eq"}]}, "conditions.rules.0.value",
         "is required for 'eq'"),
        ({"rules": [rule("item.id", "eq", {"a": 1})]}, "conditions.rules.0.value", "a value"),
        ({"rules": [rule("item.id", "in", 3)]}, "conditions.rules.0.value", "list of values"),
        ({"rules": [rule("item.id", "in", [[1]])]}, "conditions.rules.0.value", "list of values"),
        ({"rules": [rule("item.id", "gt", None)]}, "conditions.rules.0.value",
         "number or a text"),
        ({"rules": [rule("item.id", "gt", True)]}, "conditions.rules.0.value",
         "number or a text"),
        ({"rules": [rule("item.id", "gt", float("nan"))]}, "conditions.rules.0.value",
         "number or a text"),
        ({"rules": [rule("item.title", "contains", [1])]}, "conditions.rules.0.value",
         "text or a number"),
        ({"rules": [rule("item.title", "is_empty", "x")]}, "conditions.rules.0.value",
         "takes no value"),
        ({"rules": [rule("item.due_at", "before", "yesterday")]}, "conditions.rules.0.value",
         "date/time"),
        ({"rules": [rule("item.due_at", "after", "-2x")]}, "conditions.rules.0.value",
         "date/time"),
        ({"rules": [{"field": "item.id", "op": "eq", "value": 1, "not": True}]},
         "conditions.rules.0.not", "unknown key 'not'"),
        ({"rules": [{"match": "any", "rules": [rule("item.id", "bad", 1)]}]},
         "conditions.rules.0.rules.0.op", "unknown operator 'bad'"),
        ({"rules": [{"match": "one", "rules": []}]}, "conditions.rules.0.match",
         "unknown match 'one'"),
    ],
)
def test_invalid_conditions(spec: Any, path: str, fragment: str) -> None:
    errors = validate_conditions(spec)
    assert path in errors, errors
    assert any(fragment in message for message in errors[path]), errors


def test_every_problem_is_reported() -> None:
    errors = validate_conditions({"match": "x", "rules": [
        rule("item.id", "nope", 1), rule("item.id", "eq", 1), {"field": "item.id"}]})
    assert set(errors) == {"conditions.match", "conditions.rules.0.op", "conditions.rules.2.op"}


def test_nesting_is_limited() -> None:
    spec: dict[str, Any] = {"rules": [rule("item.id", "eq", 1)]}
    for _ in range(12):
        spec = {"match": "any", "rules": [spec]}
    errors = validate_conditions(spec)
    assert len(errors) == 1
    (messages,) = errors.values()
    assert "nest too deeply" in messages[0]


def test_conditions_prefix() -> None:
    errors = validate_conditions({"rules": [rule("x", "gt3", 1)]}, prefix="recipe.conditions")
    assert list(errors) == ["recipe.conditions.rules.0.op"]
