"""Rules for building forms, plugged into the shared write check: a field is a custom field
of the form's own item type (or a built-in), once per form; a slug fits in a URL."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import BuiltinField, CustomField, WebForm, WebFormField
from webapp.models.web_forms import ITEM_FIELDS

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def check_form(session: Session, form: WebForm, viewer: Viewer, is_new: bool) -> dict:
    """Before the flush: a slug is lower-case letters, digits and dashes."""
    if not _SLUG.match(form.slug or ""):
        return {"slug": ["use lower-case letters, digits and dashes (it is part of the URL)"]}
    return {}


def validate_form(session: Session, form: WebForm, viewer: Viewer, is_new: bool) -> dict:
    """A form's fields stay of its item type when the type changes."""
    if is_new:
        return {}
    foreign = session.scalars(
        select(CustomField.label).join(WebFormField,
                                       WebFormField.custom_field_id == CustomField.id)
        .where(WebFormField.form_id == form.id, CustomField.item_type_id != form.item_type_id)
    ).all()
    if foreign:
        return {"item_type": [f"the form has fields of another item type "
                              f"({', '.join(foreign)}): remove them first"]}
    return {}


def validate_field(session: Session, row: WebFormField, viewer: Viewer, is_new: bool) -> dict:
    """One source (built-in or custom field), of the form's type, not twice in a form."""
    form = session.get(WebForm, row.form_id)
    if form is None:
        return {"form": ["is required"]}
    if (row.custom_field_id is None) == (row.builtin is None):
        return {"custom_field": ["choose either a custom field or a built-in field"]}
    errors: dict[str, list[str]] = {}
    if row.custom_field_id is not None:
        custom = session.get(CustomField, row.custom_field_id)
        if custom is not None and custom.item_type_id != form.item_type_id:
            errors["custom_field"] = [
                f"{custom.label!r} is a field of item type {custom.item_type.name!r}; this "
                f"form is for {form.item_type.name!r}"]
        same = WebFormField.custom_field_id == row.custom_field_id
    else:
        if form.is_survey and row.builtin == BuiltinField.ATTACHMENT:
            errors["builtin"] = ["a survey keeps no files: attachments are for request forms"]
        if form.is_survey and row.builtin in ITEM_FIELDS:
            errors["builtin"] = [f"a survey makes no item: {row.builtin.value} is for request "
                                 "forms"]
        same = WebFormField.builtin == row.builtin
    twice = session.scalar(select(WebFormField.id).where(
        WebFormField.form_id == row.form_id, same, WebFormField.id != row.id).limit(1))
    if twice is not None:
        errors.setdefault("custom_field" if row.custom_field_id else "builtin", []).append(
            "is already a field of this form")
    return errors


rules_for(WebForm).check.append(check_form)
rules_for(WebForm).validate.append(validate_form)
rules_for(WebFormField).validate.append(validate_field)
