"""Forms for the web-form tests: a ticket type with one custom field of every kind, and a
form of the default portal asking for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.factories import Factory
from webapp.models import (
    BuiltinField,
    CustomField,
    FieldType,
    ItemKind,
    ItemType,
    Portal,
    Project,
    WebForm,
    WebFormField,
)

CUSTOM = [  # key, type, choices
    ("ref", FieldType.TEXT, None),
    ("notes", FieldType.LONG_TEXT, None),
    ("qty", FieldType.NUMBER, None),
    ("due", FieldType.DATE, None),
    ("plan", FieldType.CHOICE, ["Basic", "Pro"]),
    ("areas", FieldType.MULTI_CHOICE, ["Web", "Mobile", "API"]),
    ("urgent", FieldType.CHECKBOX, None),
]


def portal(make: Factory, **settings: Any) -> tuple[Portal, Project]:
    """The default portal ("help"), open to visitors unless told, taking requests into a
    project of its own."""
    row = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    project = make.project(name="Requests")
    row.project_id = project.id
    row.login_required = settings.pop("login_required", False)
    for key, value in settings.items():
        setattr(row, key, value)
    make.session.commit()
    return row, project


def ticket_type(make: Factory) -> ItemType:
    """The default ticket type with the custom fields of ``CUSTOM`` (made once)."""
    item_type = make.item_type(ItemKind.TICKET)
    known = {f.key for f in item_type.custom_fields}
    for position, (key, kind, choices) in enumerate(CUSTOM):
        if key not in known:
            make.session.add(CustomField(item_type_id=item_type.id, key=key,
                                         label=key.title(), field_type=kind, choices=choices,
                                         position=position))
    make.session.commit()
    make.session.refresh(item_type)
    return item_type


def web_form(make: Factory, portal_row: Portal, *, slug: str = "contact",
             survey: bool = False, required: tuple[str, ...] = (),
             builtins: tuple[BuiltinField, ...] | None = None,
             custom: tuple[str, ...] | None = None, **kw: Any) -> WebForm:
    """A form with the given built-ins (default: title, description, attachment; a survey
    none) and custom fields (default: all); ``required`` names the required ones."""
    item_type = ticket_type(make)
    form = WebForm(portal_id=portal_row.id, slug=slug, name=kw.pop("name", slug.title()),
                   item_type_id=item_type.id, is_survey=survey, **kw)
    make.session.add(form)
    make.session.flush()
    if builtins is None:
        builtins = () if survey else (BuiltinField.TITLE, BuiltinField.DESCRIPTION,
                                      BuiltinField.ATTACHMENT)
    position = 0
    for builtin in builtins:
        make.session.add(WebFormField(form_id=form.id, builtin=builtin, position=position,
                                      required=builtin.value in required))
        position += 1
    by_key = {f.key: f for f in item_type.custom_fields}
    for key in custom if custom is not None else [k for k, _, _ in CUSTOM]:
        make.session.add(WebFormField(form_id=form.id, custom_field_id=by_key[key].id,
                                      position=position, required=key in required))
        position += 1
    make.session.commit()
    make.session.refresh(form)
    return form
