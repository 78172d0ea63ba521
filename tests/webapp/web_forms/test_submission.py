"""A form's POST: every field kind checked and typed, errors per input with nothing written,
a request created with its custom values and submission record, a survey's answers alone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict

from tests.webapp.web_forms.builders import portal, web_form
from webapp.commands.errors import Invalid
from webapp.models import (
    Attachment,
    BuiltinField,
    Customer,
    CustomField,
    FieldType,
    FormSubmission,
    Item,
    Message,
    OrganizationDomain,
)
from webapp.web_forms.fields import form_fields
from webapp.web_forms.submission import check_answers, read_entry, submit


def _entry(fields, data=None, files=None):
    return read_entry(fields, MultiDict(data or {}), MultiDict(files or {}))


def _count(make, model):
    return make.session.scalar(select(func.count()).select_from(model))


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def _errors(fields, data):
    with pytest.raises(Invalid) as caught:
        check_answers(fields, _entry(fields, data))
    return caught.value.messages


GOOD = {"title": "Printer on fire", "description": "Second floor.\nPlease hurry.",
        "cf-ref": " PO-7 ", "cf-notes": "Line one\nLine two", "cf-qty": "3,5",
        "cf-due": "2025-01-31", "cf-plan": "Pro", "cf-urgent": "1"}


def test_every_kind_is_typed(make):
    row, _ = portal(make)
    fields = form_fields(web_form(make, row), signed_in=True)
    data = MultiDict(GOOD)
    data.add("cf-areas", "Web")
    data.add("cf-areas", "API")
    answers = check_answers(fields, read_entry(fields, data, MultiDict()))
    assert answers == {"title": "Printer on fire", "description": "Second floor.\nPlease hurry.",
                       "ref": "PO-7", "notes": "Line one\nLine two", "qty": 3.5,
                       "due": "2025-01-31", "plan": "Pro", "areas": ["Web", "API"],
                       "urgent": True}
    assert check_answers(fields, _entry(fields, {"title": "x", "cf-qty": "-12"}))["qty"] == -12


@pytest.mark.parametrize(("name", "value", "message"), [
    ("cf-qty", "twelve", "Enter a number, like 12 or 3.5."),
    ("cf-qty", "1e999", "Enter a number, like 12 or 3.5."),
    ("cf-due", "31/01/2025", "Enter a date like 2025-01-31."),
    ("cf-due", "2025-02-30", "Enter a date like 2025-01-31."),
    ("cf-plan", "Gold", "Choose from the options given."),
    ("cf-ref", "x" * 1001, "Use at most 1000 characters."),
    ("title", "x" * 301, "Use at most 300 characters."),
])
def test_a_bad_value_is_named_at_its_input(make, name, value, message):
    row, _ = portal(make)
    fields = form_fields(web_form(make, row), signed_in=True)
    assert _errors(fields, {**GOOD, name: value}) == {name: [message]}


def test_an_unknown_multi_choice_is_refused(make):
    row, _ = portal(make)
    fields = form_fields(web_form(make, row), signed_in=True)
    data = MultiDict(GOOD)
    data.add("cf-areas", "Web")
    data.add("cf-areas", "Desktop")
    with pytest.raises(Invalid) as caught:
        check_answers(fields, read_entry(fields, data, MultiDict()))
    assert caught.value.messages == {"cf-areas": ["Choose from the options given."]}


def test_required_fields_of_every_kind(make):
    row, _ = portal(make)
    form = web_form(make, row, required=("description", "attachment", "ref", "qty", "due",
                                         "plan", "areas", "urgent"))
    errors = _errors(form_fields(form, signed_in=True), {"title": "  ", "cf-ref": " "})
    required = ["This field is required."]
    assert errors == {"title": required, "description": required, "cf-ref": required,
                      "cf-qty": required, "cf-due": required,
                      "cf-plan": required, "cf-areas": required,
                      "attachment": ["Please choose a file."],
                      "cf-urgent": ["Please tick this box."]}


def test_a_custom_field_required_by_its_type_is_required_on_the_form(make):
    row, _ = portal(make)
    form = web_form(make, row, custom=("ref",))
    make.session.scalar(select(CustomField).where(CustomField.key == "ref")).required = True
    make.session.commit()
    assert _errors(form_fields(form, signed_in=True), {"title": "Hi"}) == {
        "cf-ref": ["This field is required."]}




def test_a_request_is_created_with_its_values_requester_and_record(make):
    row, project = portal(make)
    form = web_form(make, row)
    customer = make.customer("ana@client.example")
    fields = form_fields(form, signed_in=True)
    data = MultiDict(GOOD)
    data.add("cf-areas", "Mobile")
    files = MultiDict({"attachment": FileStorage(io.BytesIO(b"%PDF-1.4 quote"),
                                                 filename="quote.pdf")})
    outcome = submit(make.session, row, form, fields, customer,
                     read_entry(fields, data, files))
    item = make.session.get(Item, outcome.item.id)
    assert item.title == "Printer on fire" and item.project_id == project.id
    assert item.requester_id == customer.id and item.item_type_id == form.item_type_id
    assert item.custom_values == {"ref": "PO-7", "notes": "Line one\nLine two", "qty": 3.5,
                                  "due": "2025-01-31", "plan": "Pro", "areas": ["Mobile"],
                                  "urgent": True}
    message = make.session.scalars(select(Message).where(Message.item_id == item.id)).one()
    assert message.is_public and "Please hurry." in message.body_html
    attachment = make.session.scalars(select(Attachment)).one()
    assert (attachment.filename, attachment.message_id) == ("quote.pdf", message.id)
    record = make.session.scalars(select(FormSubmission)).one()
    assert (record.form_id, record.item_id, record.customer_id) == (form.id, item.id,
                                                                    customer.id)
    assert record.answers["qty"] == 3.5 and record.answers["attachment"] == ["quote.pdf"]
    assert record.answers["title"] == "Printer on fire"


def test_the_built_in_form_makes_a_request_without_a_record(make):
    row, _ = portal(make)
    customer = make.customer()
    fields = form_fields(None, signed_in=True)
    outcome = submit(make.session, row, None, fields, customer,
                     _entry(fields, {"title": "Help", "description": "Please"}))
    assert outcome.submission is None and outcome.item.title == "Help"
    assert _count(make, FormSubmission) == 0


def test_a_form_without_a_subject_titles_the_request_with_its_name(make):
    row, _ = portal(make)
    form = web_form(make, row, name="Returns", builtins=(), custom=("ref",))
    fields = form_fields(form, signed_in=True)
    outcome = submit(make.session, row, form, fields, make.customer(),
                     _entry(fields, {"cf-ref": "R-1"}))
    assert outcome.item.title == "Returns" and outcome.item.custom_values == {"ref": "R-1"}


def test_a_survey_stores_its_answers_and_nothing_else(make):
    row, _ = portal(make)
    survey = web_form(make, row, slug="feedback", survey=True,
                      builtins=(BuiltinField.NAME, BuiltinField.EMAIL), custom=("qty", "plan"))
    fields = form_fields(survey, signed_in=False)
    items, customers = _count(make, Item), _count(make, Customer)
    outcome = submit(make.session, row, survey, fields, None, _entry(fields, {
        "name": "Bo", "email": "bo@elsewhere.example", "cf-qty": "9", "cf-plan": "Basic"}))
    assert outcome.item is None
    record = make.session.get(FormSubmission, outcome.submission.id)
    assert record.answers == {"name": "Bo", "email": "bo@elsewhere.example", "qty": 9,
                              "plan": "Basic"}
    assert (record.item_id, record.customer_id) == (None, None)
    assert (_count(make, Item), _count(make, Customer)) == (items, customers)


def test_a_visitor_becomes_a_customer_of_the_organization_owning_the_domain(make):
    row, _ = portal(make)
    organization = make.organization("Acme")
    make.session.add(OrganizationDomain(organization_id=organization.id, domain="acme.example"))
    make.session.commit()
    fields = form_fields(None, signed_in=False)
    outcome = submit(make.session, row, None, fields, None, _entry(fields, {
        "name": "Carla Dias", "email": "Carla@ACME.example", "title": "Access"}))
    customer = make.session.scalars(select(Customer).where(
        Customer.email == "carla@acme.example")).one()
    assert (customer.name, customer.organization_id) == ("Carla Dias", organization.id)
    assert outcome.item.requester_id == customer.id
    again = submit(make.session, row, None, fields, None, _entry(fields, {
        "name": "C. Dias", "email": "carla@acme.example", "title": "Access again"}))
    assert again.item.requester_id == customer.id
    assert _count(make, Customer) == 1


def test_a_closed_sign_up_takes_only_known_addresses(make):
    row, _ = portal(make, self_signup=False)
    known = make.customer("known@client.example")
    fields = form_fields(None, signed_in=False)
    with pytest.raises(Invalid) as caught:
        submit(make.session, row, None, fields, None, _entry(fields, {
            "email": "stranger@else.example", "title": "Hello"}))
    assert list(caught.value.messages) == ["email"]
    assert (_count(make, Item), _count(make, Customer)) == (0, 1)
    outcome = submit(make.session, row, None, fields, None, _entry(fields, {
        "email": "known@client.example", "title": "Hello"}))
    assert outcome.item.requester_id == known.id


def test_a_bad_email_is_named(make):
    row, _ = portal(make)
    fields = form_fields(None, signed_in=False)
    assert _errors(fields, {"email": "not-an-address", "title": "x"}) == {
        "email": ["Enter a valid e-mail address, like name@example.com."]}


def test_a_file_too_large_stores_nothing(app, make, monkeypatch):
    row, _ = portal(make)
    form = web_form(make, row)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 10)
    stored = Path(app.config["ATTACHMENT_DIR"])
    files_before = _files(stored)
    fields = form_fields(form, signed_in=False)
    entry = read_entry(fields, MultiDict({**GOOD, "email": "new@client.example"}),
                       MultiDict({"attachment": FileStorage(io.BytesIO(b"x" * 11),
                                                            filename="big.bin")}))
    with pytest.raises(Invalid) as caught:
        submit(make.session, row, form, fields, None, entry)
    assert caught.value.messages == {"attachment": [
        "A file could not be attached: it is empty or larger than 10 bytes."]}
    for model in (Item, Message, Attachment, FormSubmission, Customer):
        assert _count(make, model) == 0, model
    assert _files(stored) == files_before


def test_a_required_field_missing_from_the_form_keeps_nothing(make):
    row, _ = portal(make)
    form = web_form(make, row, custom=("ref",))
    make.session.add(CustomField(item_type_id=form.item_type_id, key="contract", label="Contract",
                                 field_type=FieldType.TEXT, required=True))
    make.session.commit()
    fields = form_fields(form, signed_in=False)
    with pytest.raises(Invalid) as caught:
        submit(make.session, row, form, fields, None, _entry(fields, {
            "email": "new@client.example", "title": "Hi"}))
    assert list(caught.value.messages) == ["_schema"]
    for model in (Item, FormSubmission, Customer):
        assert _count(make, model) == 0, model


def test_a_portal_that_cannot_take_requests_says_so(make):
    row, _ = portal(make)
    row.project_id = None
    make.session.commit()
    fields = form_fields(None, signed_in=True)
    with pytest.raises(Invalid) as caught:
        submit(make.session, row, None, fields, make.customer(), _entry(fields, {"title": "x"}))
    assert caught.value.messages == {"_schema": [
        "This help center cannot take requests yet. Please contact us by e-mail."]}
