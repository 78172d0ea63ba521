"""A form field can fill the item's own fields (due date, priority, type, planned dates):
posted through the public page, the item carries them, and the calendar, the board and the
Due filter show the date; bad values are named at their input; surveys cannot have them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.clients import Browser
from tests.webapp.web_forms.builders import portal, web_form
from webapp.models import (
    BuiltinField,
    FormSubmission,
    Item,
    ItemKind,
    ItemType,
    Status,
    StatusCategory,
    WebFormField,
)

ITEM_FIELDS = (BuiltinField.TITLE, BuiltinField.DUE_DATE, BuiltinField.PRIORITY,
               BuiltinField.ITEM_TYPE, BuiltinField.PLANNED_START, BuiltinField.PLANNED_FINISH)


@pytest.fixture
def call(app, client):
    def _call(method, url, **kw):
        with app.app_context():
            return getattr(client, method)(url, **kw)
    return _call


def _cards(body: Any) -> list[dict[str, Any]]:
    """Every card (a dict with an ``id`` and a ``due_at``) anywhere in a view's JSON."""
    if isinstance(body, dict):
        found = [body] if "id" in body and "due_at" in body else []
        return found + [c for v in body.values() for c in _cards(v)]
    if isinstance(body, list):
        return [c for v in body for c in _cards(v)]
    return []


def test_a_form_fills_the_items_own_fields_and_the_views_show_the_date(app, make, call):
    row, _ = portal(make)
    form = web_form(make, row, slug="campaign", builtins=ITEM_FIELDS, custom=("ref",))
    other = _campaign_type(make)
    page = call("get", "/portal/help/forms/campaign").get_data(as_text=True)
    assert 'type="date"' in page and 'id="f-due_date"' in page
    assert ">Urgent</option>" in page
    assert f'value="{other.id}"' in page  # the types of the form's kind are offered
    response = call("post", "/portal/help/forms/campaign", data={
        "name": "Clinic 7", "email": "marketing@clinic7.example", "title": "Spring flyer",
        "due_date": "2026-03-12", "priority": "4", "item_type": str(form.item_type_id),
        "planned_start": "2026-03-01", "planned_finish": "2026-03-10", "cf-ref": "PO-9"})
    assert response.status_code == 302, response.get_data(as_text=True)
    make.session.expire_all()
    item = make.session.scalars(select(Item)).one()
    assert item.due_at == dt.datetime(2026, 3, 12, 12, 0)
    assert (item.priority, item.item_type_id) == (4, form.item_type_id)
    assert (item.planned_start, item.planned_finish) == (dt.date(2026, 3, 1),
                                                         dt.date(2026, 3, 10))
    assert item.custom_values == {"ref": "PO-9"}  # the date is not a custom value any more
    record = make.session.scalars(select(FormSubmission)).one()
    assert record.answers["due_date"] == "2026-03-12" and record.answers["priority"] == 4

    staff = Browser(app, app.test_client(), make.user("Admin").username)
    calendar = staff.get("/views/calendar/data?mode=month&date=2026-03-01").get_json()
    day = {d["date"]: d for d in calendar["days"]}["2026-03-12"]
    assert [c["id"] for c in day["items"]] == [item.id]
    board = staff.get(f"/views/board/column/{item.status_id}").get_json()
    assert [c["due_at"] for c in _cards(board) if c["id"] == item.id] == ["2026-03-12T12:00:00"]
    listed = staff.get("/views/calendar/data?mode=month&date=2026-03-01"
                       "&due_from=2026-03-12&due_to=2026-03-12").get_json()
    assert sum(d["count"] for d in listed["days"]) == 1
    missed = staff.get("/views/calendar/data?mode=month&date=2026-03-01"
                       "&due_from=2026-03-13").get_json()
    assert sum(d["count"] for d in missed["days"]) == 0


def _campaign_type(make) -> ItemType:
    other = ItemType(kind=ItemKind.TICKET, name="Campaign",
                     statuses=[Status(name="Briefed", category=StatusCategory.NEW, position=0)])
    make.session.add(other)
    make.session.commit()
    return other


def test_a_chosen_type_files_the_request_as_that_type(make, call):
    row, _ = portal(make)
    web_form(make, row, slug="pick", builtins=(BuiltinField.TITLE, BuiltinField.ITEM_TYPE),
             custom=("ref",))
    other = _campaign_type(make)
    response = call("post", "/portal/help/forms/pick", data={
        "email": "a@clinic.example", "title": "Flyer", "item_type": str(other.id),
        "cf-ref": "PO-1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    make.session.expire_all()
    item = make.session.scalars(select(Item)).one()
    assert item.item_type_id == other.id and item.status.name == "Briefed"
    assert item.custom_values == {}  # "Campaign" has no "ref" field; the record keeps it
    record = make.session.scalars(select(FormSubmission)).one()
    assert record.answers == {"title": "Flyer", "email": "a@clinic.example",
                              "item_type": "Campaign", "ref": "PO-1"}


@pytest.mark.parametrize(("data", "name", "message"), [
    ({"due_date": "12/03/2026"}, "due_date", "Enter a date like 2025-01-31."),
    ({"priority": "9"}, "priority", "Choose from the options given."),
    ({"priority": "0"}, "priority", "Choose from the options given."),
    ({"item_type": "999999"}, "item_type", "Choose from the options given."),
    ({"planned_start": "2026-03-10", "planned_finish": "2026-03-01"}, "planned_finish",
     "The end date must not be before the start date."),
])
def test_a_bad_item_field_is_named_at_its_input(make, call, data, name, message):
    row, _ = portal(make)
    web_form(make, row, slug="campaign", builtins=ITEM_FIELDS, custom=())
    response = call("post", "/portal/help/forms/campaign", data={
        "email": "a@clinic.example", "title": "Flyer", **data})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="f-{name}-error">{message}</p>' in page
    assert make.session.scalars(select(Item)).all() == []


def test_item_fields_are_not_offered_on_a_survey(app, make, client):
    row, _ = portal(make)
    survey = web_form(make, row, slug="poll", survey=True, builtins=(), custom=())
    browser = Browser(app, client, make.user("Admin").username)
    page = browser.post("/web-form-fields/add", data={
        "form": survey.id, "builtin": "due_date", "position": 0},
        follow_redirects=True).get_data(as_text=True)
    assert "a survey makes no item" in page
    assert make.session.scalars(select(WebFormField)).all() == []
