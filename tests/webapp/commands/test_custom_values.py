"""Custom-field values: ``clean_custom_values`` on its own, then through the ticket API, and
the validation of custom-field definitions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.factories import ApiClient, quick_user
from webapp.commands.custom_values import LONG_TEXT_MAX, TEXT_MAX, clean_custom_values
from webapp.models import CustomField, FieldType, ItemKind


def field(key: str, field_type: FieldType, required: bool = False,
          choices: list[str] | None = None) -> CustomField:
    return CustomField(key=key, label=key.title(), field_type=field_type, required=required,
                       choices=choices)


COLOURS = ["red", "green", "blue"]


def only(f: CustomField, value: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    return clean_custom_values([f], {f.key: value})


# --- clean_custom_values: accepted values and how they are cleaned ---------------------------

ACCEPTED = [
    (FieldType.TEXT, "Main Street 5", "Main Street 5"),
    (FieldType.TEXT, "x" * TEXT_MAX, "x" * TEXT_MAX),
    (FieldType.LONG_TEXT, "line\n" * 1000, "line\n" * 1000),
    (FieldType.LONG_TEXT, "y" * LONG_TEXT_MAX, "y" * LONG_TEXT_MAX),
    (FieldType.NUMBER, 3, 3),
    (FieldType.NUMBER, -2.5, -2.5),
    (FieldType.NUMBER, 0, 0),
    (FieldType.NUMBER, 10**30, 10**30),
    (FieldType.DATE, "2024-02-29", "2024-02-29"),
    (FieldType.CHOICE, "green", "green"),
    (FieldType.MULTI_CHOICE, ["blue", "red"], ["blue", "red"]),
    # Repeats are dropped, the first order kept.
    (FieldType.MULTI_CHOICE, ["red", "blue", "red", "red"], ["red", "blue"]),
    (FieldType.CHECKBOX, True, True),
    (FieldType.CHECKBOX, False, False),
]


@pytest.mark.parametrize(("field_type", "value", "cleaned"), ACCEPTED,
                         ids=[f"{t.value}-{i}" for i, (t, _, _) in enumerate(ACCEPTED)])
def test_accepted_values(field_type: FieldType, value: Any, cleaned: Any) -> None:
    f = field("f", field_type, choices=COLOURS if "choice" in field_type.value else None)
    assert only(f, value) == ({"f": cleaned}, {})


# --- clean_custom_values: refused values ------------------------------------------------------

REFUSED = [
    (FieldType.TEXT, 42),
    (FieldType.TEXT, ["a"]),
    (FieldType.TEXT, True),
    (FieldType.TEXT, "x" * (TEXT_MAX + 1)),
    (FieldType.LONG_TEXT, {"text": "a"}),
    (FieldType.LONG_TEXT, "y" * (LONG_TEXT_MAX + 1)),
    (FieldType.NUMBER, "3"),
    (FieldType.NUMBER, True),
    (FieldType.NUMBER, False),
    (FieldType.NUMBER, [1]),
    (FieldType.NUMBER, float("nan")),
    (FieldType.NUMBER, float("inf")),
    (FieldType.NUMBER, float("-inf")),
    (FieldType.DATE, "2023-02-29"),
    (FieldType.DATE, "tomorrow"),
    (FieldType.DATE, "2024-13-01"),
    (FieldType.DATE, 20240101),
    (FieldType.DATE, ["2024-01-01"]),
    (FieldType.CHOICE, "purple"),
    (FieldType.CHOICE, "Red"),
    (FieldType.CHOICE, 1),
    (FieldType.CHOICE, ["red"]),
    (FieldType.MULTI_CHOICE, "red"),
    (FieldType.MULTI_CHOICE, ["red", "purple"]),
    (FieldType.MULTI_CHOICE, ["red", 1]),
    (FieldType.MULTI_CHOICE, {"red": True}),
    (FieldType.CHECKBOX, "true"),
    (FieldType.CHECKBOX, 1),
    (FieldType.CHECKBOX, "yes"),
]


@pytest.mark.parametrize(("field_type", "value"), REFUSED,
                         ids=[f"{t.value}-{i}" for i, (t, _) in enumerate(REFUSED)])
def test_refused_values(field_type: FieldType, value: Any) -> None:
    f = field("f", field_type, choices=COLOURS if "choice" in field_type.value else None)
    cleaned, errors = only(f, value)
    assert cleaned == {}
    assert list(errors) == ["f"]
    assert len(errors["f"]) == 1 and errors["f"][0]


def test_choice_errors_list_the_allowed_choices() -> None:
    _, errors = only(field("colour", FieldType.CHOICE, choices=COLOURS), "purple")
    assert all(c in errors["colour"][0] for c in COLOURS)
    _, errors = only(field("colours", FieldType.MULTI_CHOICE, choices=COLOURS), ["red", "pink"])
    assert "pink" in errors["colours"][0] and "blue" in errors["colours"][0]


# --- clean_custom_values: required, empty, unknown keys, the shape of the values -------------

EMPTY = [None, "", []]


@pytest.mark.parametrize("field_type", list(FieldType))
@pytest.mark.parametrize("value", EMPTY, ids=["none", "empty-text", "empty-list"])
def test_required_field_left_empty(field_type: FieldType, value: Any) -> None:
    f = field("f", field_type, required=True,
              choices=COLOURS if "choice" in field_type.value else None)
    assert only(f, value) == ({}, {"f": ["is required"]})
    assert clean_custom_values([f], {}) == ({}, {"f": ["is required"]})


@pytest.mark.parametrize("field_type", list(FieldType))
@pytest.mark.parametrize("value", EMPTY, ids=["none", "empty-text", "empty-list"])
def test_optional_field_left_empty_is_dropped(field_type: FieldType, value: Any) -> None:
    f = field("f", field_type, choices=COLOURS if "choice" in field_type.value else None)
    assert only(f, value) == ({}, {})
    assert clean_custom_values([f], {}) == ({}, {})


def test_required_checkbox_must_be_checked() -> None:
    f = field("agree", FieldType.CHECKBOX, required=True)
    assert only(f, True) == ({"agree": True}, {})
    cleaned, errors = only(f, False)
    assert cleaned == {} and list(errors) == ["agree"] and "checked" in errors["agree"][0]


def test_required_field_with_a_value() -> None:
    fields = [field("store", FieldType.TEXT, required=True),
              field("count", FieldType.NUMBER, required=True),
              field("colour", FieldType.CHOICE, required=True, choices=COLOURS)]
    values = {"store": "Main St", "count": 2, "colour": "red"}
    assert clean_custom_values(fields, values) == (values, {})


def test_unknown_keys_are_refused_and_name_the_known_fields() -> None:
    fields = [field("store", FieldType.TEXT), field("count", FieldType.NUMBER)]
    cleaned, errors = clean_custom_values(fields, {"store": "A", "colour": "red", "size": 3})
    assert set(errors) == {"colour", "size"}
    assert "count" in errors["colour"][0] and "store" in errors["colour"][0]
    assert cleaned == {"store": "A"}


def test_unknown_key_on_a_type_without_fields() -> None:
    cleaned, errors = clean_custom_values([], {"anything": 1})
    assert cleaned == {} and list(errors) == ["anything"]


def test_every_bad_field_is_reported_at_once() -> None:
    fields = [field("store", FieldType.TEXT, required=True),
              field("count", FieldType.NUMBER),
              field("due", FieldType.DATE),
              field("colour", FieldType.CHOICE, choices=COLOURS),
              field("ok", FieldType.CHECKBOX)]
    cleaned, errors = clean_custom_values(
        fields, {"count": "two", "due": "soon", "colour": "pink", "ok": True, "extra": 1})
    assert set(errors) == {"store", "count", "due", "colour", "extra"}
    assert cleaned == {"ok": True}


@pytest.mark.parametrize("values", [["store", "A"], "store=A", 5, True])
def test_values_that_are_not_an_object(values: Any) -> None:
    cleaned, errors = clean_custom_values([field("store", FieldType.TEXT)], values)
    assert cleaned == {}
    assert list(errors) == ["_schema"]


def test_no_values_at_all() -> None:
    assert clean_custom_values([field("store", FieldType.TEXT)], None) == ({}, {})
    assert clean_custom_values([], None) == ({}, {})
    assert clean_custom_values([field("s", FieldType.TEXT, required=True)], None) == (
        {}, {"s": ["is required"]})


def test_input_is_not_modified() -> None:
    values = {"tags": ["red", "red"], "count": 1}
    fields = [field("tags", FieldType.MULTI_CHOICE, choices=COLOURS),
              field("count", FieldType.NUMBER)]
    cleaned, errors = clean_custom_values(fields, values)
    assert errors == {}
    assert cleaned == {"tags": ["red"], "count": 1}
    assert values == {"tags": ["red", "red"], "count": 1}


# --- through the API --------------------------------------------------------------------------


@pytest.fixture
def desk(client, make) -> SimpleNamespace:
    admin = quick_user(make, "Admin")
    project = make.project(teams=[make.team()])
    ticket_type = make.item_type(ItemKind.TICKET, "Ticket")
    hardware = make.item_type(ItemKind.TICKET, "Hardware request")
    task_type = make.item_type(ItemKind.TASK, "Task")
    return SimpleNamespace(api=ApiClient(client, admin.username), project=project.id,
                           ticket_type=ticket_type.id, hardware=hardware.id,
                           task_type=task_type.id)


FIELDS = [
    {"key": "asset_tag", "label": "Asset tag", "field_type": "number", "required": True},
    {"key": "severity", "label": "Severity", "field_type": "choice",
     "choices": ["low", "high"]},
    {"key": "labels", "label": "Labels", "field_type": "multi_choice",
     "choices": ["network", "printer", "vpn"]},
    {"key": "seen_on", "label": "Seen on", "field_type": "date"},
    {"key": "details", "label": "Details", "field_type": "long_text"},
    {"key": "location", "label": "Location", "field_type": "text"},
    {"key": "urgent", "label": "Urgent", "field_type": "checkbox"},
]


def count(api: ApiClient, resource: str) -> int:
    response = api.get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["count"]


def custom_errors(response: Any) -> dict[str, list[str]]:
    """The per-key messages of a 422 ``{"message": {"custom_values": {key: [...]}}}``."""
    assert response.status_code == 422, (response.status_code, response.get_json())
    message = response.get_json()["message"]
    assert set(message) == {"custom_values"}, message
    errors = message["custom_values"]
    assert errors and all(isinstance(v, list) and v for v in errors.values()), errors
    return errors


def test_custom_values_through_the_ticket_api(desk: SimpleNamespace) -> None:
    api = desk.api
    for position, definition in enumerate(FIELDS):
        created = api.post("/api/v1/custom_field/", json={
            **definition, "item_type": desk.ticket_type, "position": position})
        assert created.status_code == 201, created.get_json()
    shown_type = api.get(f"/api/v1/item_type/{desk.ticket_type}").get_json()["result"]
    assert sorted(f["key"] for f in shown_type["custom_fields"]) == sorted(
        f["key"] for f in FIELDS)

    base = {"title": "VPN drops", "item_type": desk.ticket_type, "project": desk.project}
    before = count(api, "ticket")

    # Bad values on create: 422 naming custom_values.<key>, nothing stored.
    bad_cases = [
        ({"severity": "low"}, {"asset_tag"}),  # the required field is missing
        ({"asset_tag": "A-17"}, {"asset_tag"}),
        ({"asset_tag": 17, "severity": "medium"}, {"severity"}),
        ({"asset_tag": 17, "labels": "vpn"}, {"labels"}),
        ({"asset_tag": 17, "labels": ["vpn", "wifi"]}, {"labels"}),
        ({"asset_tag": 17, "seen_on": "31/01/2024"}, {"seen_on"}),
        ({"asset_tag": 17, "details": 5}, {"details"}),
        ({"asset_tag": 17, "urgent": "yes"}, {"urgent"}),
        ({"asset_tag": 17, "colour": "red"}, {"colour"}),
        ({"asset_tag": "x", "severity": "x", "seen_on": "x", "bogus": 1},
         {"asset_tag", "severity", "seen_on", "bogus"}),
    ]
    for values, keys in bad_cases:
        response = api.post("/api/v1/ticket/", json={**base, "custom_values": values})
        assert set(custom_errors(response)) == keys, values
    response = api.post("/api/v1/ticket/", json={**base, "custom_values": ["asset_tag", 1]})
    assert "_schema" in custom_errors(response)
    assert count(api, "ticket") == before

    # Good values on create: stored cleaned (repeats dropped, empty optional values left out).
    good = {"asset_tag": 17, "severity": "high", "labels": ["vpn", "network", "vpn"],
            "seen_on": "2024-01-31", "details": "Drops every\nhour", "location": "",
            "urgent": False}
    created = api.post("/api/v1/ticket/", json={**base, "custom_values": good})
    assert created.status_code == 201, created.get_json()
    ticket_id = created.get_json()["id"]
    stored = {"asset_tag": 17, "severity": "high", "labels": ["vpn", "network"],
              "seen_on": "2024-01-31", "details": "Drops every\nhour", "urgent": False}
    url = f"/api/v1/ticket/{ticket_id}"
    assert api.get(url).get_json()["result"]["custom_values"] == stored

    # A PUT with a bad value changes nothing, not even the other fields sent with it.
    for values in ({**stored, "severity": "urgent"}, {**stored, "asset_tag": None},
                   {"severity": "low"}, {**stored, "nope": 1}):
        response = api.put(url, json={"title": "Renamed", "custom_values": values})
        assert custom_errors(response), values
        shown = api.get(url).get_json()["result"]
        assert shown["custom_values"] == stored
        assert shown["title"] == "VPN drops"

    # A good PUT is persisted.
    changed = api.put(url, json={"custom_values": {"asset_tag": 18.5, "labels": ["printer"]}})
    assert changed.status_code == 200, changed.get_json()
    assert api.get(url).get_json()["result"]["custom_values"] == {
        "asset_tag": 18.5, "labels": ["printer"]}

    # Fields of the ticket type do not apply to other types.
    other = api.post("/api/v1/task/", json={
        "title": "No fields here", "item_type": desk.task_type, "project": desk.project,
        "custom_values": {"asset_tag": 1}})
    assert set(custom_errors(other)) == {"asset_tag"}


def test_seeded_hardware_request_fields(desk: SimpleNamespace) -> None:
    api = desk.api
    base = {"title": "New laptop", "item_type": desk.hardware, "project": desk.project}
    before = count(api, "ticket")
    assert set(custom_errors(api.post("/api/v1/ticket/", json=base))) == {"store", "device"}
    response = api.post("/api/v1/ticket/", json={
        **base, "custom_values": {"store": "Lisbon 2", "device": "Toaster"}})
    assert set(custom_errors(response)) == {"device"}
    assert count(api, "ticket") == before

    created = api.post("/api/v1/ticket/", json={**base, "custom_values": {
        "store": "Lisbon 2", "device": "Laptop", "needed_by": "2024-06-01"}})
    assert created.status_code == 201, created.get_json()
    shown = api.get(f"/api/v1/ticket/{created.get_json()['id']}").get_json()["result"]
    assert shown["custom_values"] == {"store": "Lisbon 2", "device": "Laptop",
                                      "needed_by": "2024-06-01"}


def test_custom_field_definitions_are_validated(desk: SimpleNamespace) -> None:
    api = desk.api
    base = {"item_type": desk.ticket_type, "label": "Something"}
    before = count(api, "custom_field")
    bad = [
        ({"key": "colour", "field_type": "choice"}, "choices"),
        ({"key": "colour", "field_type": "choice", "choices": []}, "choices"),
        ({"key": "colours", "field_type": "multi_choice", "choices": []}, "choices"),
        ({"key": "colour", "field_type": "choice", "choices": ["red", "red"]}, "choices"),
        ({"key": "colour", "field_type": "choice", "choices": ["red", ""]}, "choices"),
        ({"key": "colour", "field_type": "choice", "choices": "red,green"}, "choices"),
        ({"key": "note", "field_type": "text", "choices": ["a"]}, "choices"),
        ({"key": "Asset Tag", "field_type": "text"}, "key"),
        ({"key": "1st", "field_type": "text"}, "key"),
        ({"key": "asset-tag", "field_type": "text"}, "key"),
        ({"key": "", "field_type": "text"}, "key"),
        ({"key": "k" * 61, "field_type": "text"}, "key"),
        ({"key": "note", "field_type": "rich_text"}, "field_type"),
    ]
    for definition, name in bad:
        response = api.post("/api/v1/custom_field/", json={**base, **definition})
        assert response.status_code == 422, (definition, response.get_json())
        assert name in response.get_json()["message"], (definition, response.get_json())
    assert count(api, "custom_field") == before

    created = api.post("/api/v1/custom_field/", json={
        **base, "key": "colour", "field_type": "choice", "choices": ["red", "green"]})
    assert created.status_code == 201, created.get_json()
    field_id = created.get_json()["id"]
    # The same key twice on one type is refused (422, not a server error) …
    again = api.post("/api/v1/custom_field/", json={
        **base, "key": "colour", "field_type": "text"})
    assert again.status_code == 422, again.get_json()
    # … on another type it is fine.
    elsewhere = api.post("/api/v1/custom_field/", json={
        **base, "item_type": desk.task_type, "key": "colour", "field_type": "text"})
    assert elsewhere.status_code == 201, elsewhere.get_json()

    # Editing the choices away is refused and leaves the field as it was.
    response = api.put(f"/api/v1/custom_field/{field_id}", json={"choices": []})
    assert response.status_code == 422 and "choices" in response.get_json()["message"]
    response = api.put(f"/api/v1/custom_field/{field_id}", json={"choices": ["red", "red"]})
    assert response.status_code == 422 and "choices" in response.get_json()["message"]
    shown = api.get(f"/api/v1/custom_field/{field_id}").get_json()["result"]
    assert shown["choices"] == ["red", "green"]
    changed = api.put(f"/api/v1/custom_field/{field_id}",
                      json={"choices": ["red", "green", "blue"]})
    assert changed.status_code == 200, changed.get_json()
    shown = api.get(f"/api/v1/custom_field/{field_id}").get_json()["result"]
    assert shown["choices"] == ["red", "green", "blue"]
