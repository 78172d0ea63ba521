"""A web form's POST: read and check every answer, then store it in one transaction — a new
request (through the customer-request command) with its submission record, or, for a
survey, the submission alone."""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from triggers.email.people import domain_of
from webapp.access.scope import SYSTEM
from webapp.commands.custom_values import LONG_TEXT_MAX, TEXT_MAX, clean_custom_values
from webapp.commands.customer_requests import Upload, submit_request
from webapp.commands.errors import Invalid
from webapp.commands.rules.people import EMAIL_PATTERN
from webapp.commands.write_check import check_write
from webapp.content.files import limit_text
from webapp.models import (
    BuiltinField,
    Customer,
    FieldType,
    FormSubmission,
    Item,
    ItemType,
    OrganizationDomain,
    Portal,
    WebForm,
)
from webapp.models.web_forms import ITEM_FIELDS
from webapp.portal.targets import request_target
from webapp.web_forms.fields import FILE, FormField

log = logging.getLogger(__name__)

SCHEMA = "_schema"
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
# Columns the built-ins end up in: say so rather than cut the text.
DUE_TIME = dt.time(12, 0)
# The core's error keys of the item's own columns, and the form input that filled each.
_COLUMN_INPUT = {"due_at": BuiltinField.DUE_DATE, "priority": BuiltinField.PRIORITY,
                 "item_type": BuiltinField.ITEM_TYPE,
                 "planned_start": BuiltinField.PLANNED_START,
                 "planned_finish": BuiltinField.PLANNED_FINISH}
_BUILTIN_MAX = {BuiltinField.TITLE: 300, BuiltinField.NAME: 200, BuiltinField.EMAIL: 254}


@dataclass
class Entry:
    """What a visitor sent: the text of each input (to show again) and the files."""

    raw: dict[str, str | list[str]]
    uploads: dict[str, list[Upload]]


@dataclass(frozen=True)
class Outcome:
    """What a successful submission stored."""

    submission: FormSubmission | None  # None for the built-in request form
    item: Item | None  # None for a survey


def read_entry(fields: list[FormField], form: MultiDict[str, str],
               files: MultiDict[str, Any]) -> Entry:
    """The inputs of ``fields`` from a POST's form data and files (no file chosen: none)."""
    raw: dict[str, str | list[str]] = {}
    uploads: dict[str, list[Upload]] = {}
    for field in fields:
        if field.kind == FILE:
            uploads[field.name] = [Upload(stream=f.stream, filename=f.filename)
                                   for f in files.getlist(field.name) if f and f.filename]
        elif field.multiple:
            raw[field.name] = [v for v in form.getlist(field.name) if v]
        else:
            raw[field.name] = form.get(field.name, "")
    return Entry(raw=raw, uploads=uploads)


def _number(text: str) -> int | float | None:
    text = text.replace(" ", "")
    if "," in text and "." not in text:  # a decimal comma (pt, es)
        text = text.replace(",", ".")
    if _INTEGER.match(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _typed(field: FormField, raw: str | list[str]) -> tuple[Any, str | None]:
    """The answer as the field's type (None when empty), or a problem to show."""
    if isinstance(raw, list):
        return (raw or None), None
    text = raw.strip()
    if field.kind == FieldType.CHECKBOX.value:
        return text.lower() in ("1", "on", "true", "yes"), None
    if not text:
        return None, None
    if field.kind == FieldType.NUMBER.value:
        number = _number(text)
        return (None, _("Enter a number, like 12 or 3.5.")) if number is None else (number, None)
    if field.builtin in ITEM_FIELDS:
        return _item_field(field, text)
    if field.kind == "email" and not EMAIL_PATTERN.match(text):
        return None, _("Enter a valid e-mail address, like name@example.com.")
    limit = _BUILTIN_MAX.get(field.builtin) if field.builtin else None
    if limit and len(text) > limit:
        return None, _("Use at most %(limit)s characters.", limit=limit)
    return (raw.strip("\r\n") if field.kind == FieldType.LONG_TEXT.value else text), None


def _item_field(field: FormField, text: str) -> tuple[Any, str | None]:
    """A due date, planned date, priority or type: checked here (the item has no custom
    field to do it)."""
    if field.kind == FieldType.DATE.value:
        try:
            return dt.date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, _("Enter a date like 2025-01-31.")
    if text not in {value for value, _label in field.pairs}:
        return None, _("Choose from the options given.")
    return int(text), None


def item_columns(answers: dict[str, Any]) -> dict[str, Any]:
    """The item's own columns from the answers of its built-in item fields. A date-only due
    date is kept at 12:00 UTC: the same day in the calendar (UTC days), the Due filter and
    every viewer's time zone from UTC-11 to UTC+11."""
    columns: dict[str, Any] = {}
    if BuiltinField.DUE_DATE.value in answers:
        day = dt.date.fromisoformat(answers[BuiltinField.DUE_DATE.value])
        columns["due_at"] = dt.datetime.combine(day, DUE_TIME)
    for builtin in (BuiltinField.PLANNED_START, BuiltinField.PLANNED_FINISH):
        if builtin.value in answers:
            columns[builtin.value] = dt.date.fromisoformat(answers[builtin.value])
    if BuiltinField.PRIORITY.value in answers:
        columns["priority"] = answers[BuiltinField.PRIORITY.value]
    return columns


def _core_problem(field: FormField) -> str:
    """The customer's words for a value the core's custom-field check refused."""
    kind = field.kind
    if kind == FieldType.TEXT.value:
        return _("Use at most %(limit)s characters.", limit=TEXT_MAX)
    if kind == FieldType.LONG_TEXT.value:
        return _("Use at most %(limit)s characters.", limit=LONG_TEXT_MAX)
    if kind == FieldType.NUMBER.value:
        return _("Enter a number, like 12 or 3.5.")
    if kind == FieldType.DATE.value:
        return _("Enter a date like 2025-01-31.")
    if kind == FieldType.CHECKBOX.value:
        return _("Please tick this box.")
    if kind in (FieldType.CHOICE.value, FieldType.MULTI_CHOICE.value):
        return _("Choose from the options given.")
    return _("This value is not valid.")


def check_answers(fields: list[FormField], entry: Entry) -> dict[str, Any]:
    """Every answer typed and checked (custom fields by the core's own rules); raises
    ``Invalid`` naming each bad input."""
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.kind == FILE:
            files = entry.uploads.get(field.name, [])
            if field.required and not files:
                errors[field.name] = [_("Please choose a file.")]
            continue
        value, problem = _typed(field, entry.raw.get(field.name, ""))
        if problem:
            errors[field.name] = [problem]
        elif field.required and value in (None, False):
            errors[field.name] = [_("Please tick this box.") if value is False
                                  else _("This field is required.")]
        elif value is not None:
            answers[field.key] = value
    start = answers.get(BuiltinField.PLANNED_START.value)
    finish = answers.get(BuiltinField.PLANNED_FINISH.value)
    if start and finish and finish < start:  # ISO dates compare as text
        errors[BuiltinField.PLANNED_FINISH.value] = [
            _("The end date must not be before the start date.")]
    custom = [f for f in fields if f.custom_field is not None]
    cleaned, problems = clean_custom_values(
        [f.custom_field for f in custom if f.custom_field is not None],
        {f.key: answers[f.key] for f in custom if f.key in answers})
    for field in custom:
        if field.key in problems and field.name not in errors:
            errors[field.name] = [_core_problem(field)]
        elif field.key in cleaned:
            answers[field.key] = cleaned[field.key]
    if errors:
        raise Invalid(errors)  # type: ignore[arg-type]
    return answers


def requester(session: Session, portal: Portal, answers: dict[str, Any]) -> Customer:
    """The customer with the given e-mail address, or a new one (in the organization owning
    the address's domain) when the portal lets anyone sign up; not committed."""
    email = str(answers.get(BuiltinField.EMAIL.value, "")).lower()
    name = answers.get(BuiltinField.NAME.value) or None
    found = session.scalar(select(Customer).where(func.lower(Customer.email) == email))
    if found is not None:
        return found
    if not portal.self_signup:
        raise Invalid({BuiltinField.EMAIL.value: [_(
            "We do not know this e-mail address. Please use the address we have for you.")]})
    domain = session.scalar(select(OrganizationDomain).where(
        OrganizationDomain.domain == domain_of(email)))
    customer = Customer(email=email, name=name,
                        organization_id=domain.organization_id if domain else None)
    try:
        check_write(session, customer, SYSTEM, is_new=True)
    except Invalid as exc:
        raise Invalid({BuiltinField.EMAIL.value: [_(
            "Enter a valid e-mail address, like name@example.com.")]}) from exc
    return customer


def _request_errors(exc: Invalid, fields: list[FormField]) -> Invalid:
    """The customer-request command's refusal, named by this form's inputs, in their words."""
    messages = exc.messages if isinstance(exc.messages, dict) else {SCHEMA: [str(exc.messages)]}
    by_builtin = {f.builtin: f.name for f in fields if f.builtin}
    by_key = {f.key: f for f in fields if f.custom_field is not None}
    errors: dict[str, list[str]] = {}
    for key, value in messages.items():
        if key == "title" and BuiltinField.TITLE in by_builtin:
            errors[by_builtin[BuiltinField.TITLE]] = [_("This field is required.")]
        elif key == "files" and BuiltinField.ATTACHMENT in by_builtin:
            limit = limit_text(current_app.config["ATTACHMENT_MAX_BYTES"])
            errors[by_builtin[BuiltinField.ATTACHMENT]] = [_(
                "A file could not be attached: it is empty or larger than %(limit)s.",
                limit=limit)]
        elif key in _COLUMN_INPUT and _COLUMN_INPUT[key] in by_builtin:
            errors[by_builtin[_COLUMN_INPUT[key]]] = [_("This value is not valid.")]
        elif key == "custom_values" and isinstance(value, dict) and \
                set(value) <= set(by_key):
            for name in value:
                errors[by_key[name].name] = [_core_problem(by_key[name])]
        elif key == SCHEMA:
            errors[SCHEMA] = list(value) if isinstance(value, list) else [str(value)]
        else:  # e.g. a required custom field the form does not ask for: the admin must act
            log.warning("web form submission refused: %s: %s", key, value)
            errors.setdefault(SCHEMA, []).append(_(
                "Your request could not be saved because of how this form is set up. "
                "Please contact us by e-mail."))
    return Invalid(errors)  # type: ignore[arg-type]


def _record(session: Session, form: WebForm, answers: dict[str, Any],
            customer: Customer | None, item: Item | None) -> FormSubmission:
    submission = FormSubmission(form_id=form.id, answers=answers,
                                customer_id=customer.id if customer else None,
                                item_id=item.id if item else None)
    check_write(session, submission, SYSTEM, is_new=True)
    return submission


def submit(session: Session, portal: Portal, form: WebForm | None, fields: list[FormField],
           customer: Customer | None, entry: Entry) -> Outcome:
    """Check and store a submission; raises ``Invalid`` (keyed by input name, ``_schema``
    for the whole form) with nothing written."""
    answers = check_answers(fields, entry)
    if form is not None and form.is_survey:
        try:
            submission = _record(session, form, answers, customer, None)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return Outcome(submission=submission, item=None)
    uploads = [u for f in fields if f.kind == FILE for u in entry.uploads.get(f.name, [])]
    if uploads:
        answers[BuiltinField.ATTACHMENT.value] = [u.filename for u in uploads]
    chosen_type = None
    if BuiltinField.ITEM_TYPE.value in answers:
        chosen_type = session.get(ItemType, answers[BuiltinField.ITEM_TYPE.value])
        # The record keeps the type's name: the answers are read by people.
        answers[BuiltinField.ITEM_TYPE.value] = chosen_type.name if chosen_type else None
    target = request_target(portal, form.project if form else None,
                            chosen_type or (form.item_type if form else None))
    recorded: list[FormSubmission] = []
    try:
        requested_by = customer or requester(session, portal, answers)
    except BaseException:
        session.rollback()
        raise
    try:
        # A chosen type keeps the answers of the fields it has too (same key); the
        # submission record keeps every answer.
        kept = {c.key for c in target.item_type.custom_fields}
        custom = {f.key: answers[f.key] for f in fields
                  if f.custom_field is not None and f.key in answers and f.key in kept}
        item = submit_request(
            session, requested_by, project_id=target.project_id, item_type=target.item_type,
            title=answers.get(BuiltinField.TITLE.value) or (form.name if form else ""),
            text=answers.get(BuiltinField.DESCRIPTION.value, ""), custom_values=custom,
            uploads=uploads, columns=item_columns(answers),
            record=None if form is None else lambda item: recorded.append(
                _record(session, form, answers, requested_by, item)))
    except Invalid as exc:
        session.rollback()
        raise _request_errors(exc, fields) from exc
    except BaseException:
        session.rollback()
        raise
    return Outcome(submission=recorded[0] if recorded else None, item=item)
