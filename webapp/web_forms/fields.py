"""What a web form shows: its fields in order, each with its input name, kind and choices."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    BuiltinField,
    CustomField,
    FieldType,
    ItemType,
    Portal,
    WebForm,
    WebFormField,
)
from webapp.models.web_forms import ITEM_FIELDS

EMAIL = "email"
FILE = "file"
# What a customer may pick as priority (0, "none", is the item's default: not offered).
PRIORITY_LABELS = {
    1: lazy_gettext("Low"),
    2: lazy_gettext("Normal"),
    3: lazy_gettext("High"),
    4: lazy_gettext("Urgent"),
    5: lazy_gettext("Critical"),
}

# Built-in fields: the input kind and the label customers read (translated).
_BUILTIN_KIND = {
    BuiltinField.TITLE: FieldType.TEXT.value,
    BuiltinField.DESCRIPTION: FieldType.LONG_TEXT.value,
    BuiltinField.NAME: FieldType.TEXT.value,
    BuiltinField.EMAIL: EMAIL,
    BuiltinField.ATTACHMENT: FILE,
    BuiltinField.DUE_DATE: FieldType.DATE.value,
    BuiltinField.PRIORITY: FieldType.CHOICE.value,
    BuiltinField.ITEM_TYPE: FieldType.CHOICE.value,
    BuiltinField.PLANNED_START: FieldType.DATE.value,
    BuiltinField.PLANNED_FINISH: FieldType.DATE.value,
}
_BUILTIN_LABEL = {
    BuiltinField.TITLE: lazy_gettext("Subject"),
    BuiltinField.DESCRIPTION: lazy_gettext("Description"),
    BuiltinField.NAME: lazy_gettext("Your name"),
    BuiltinField.EMAIL: lazy_gettext("Your e-mail address"),
    BuiltinField.ATTACHMENT: lazy_gettext("Attachments"),
    BuiltinField.DUE_DATE: lazy_gettext("Due date"),
    BuiltinField.PRIORITY: lazy_gettext("Priority"),
    BuiltinField.ITEM_TYPE: lazy_gettext("Type of request"),
    BuiltinField.PLANNED_START: lazy_gettext("Start date"),
    BuiltinField.PLANNED_FINISH: lazy_gettext("End date"),
}


@dataclass(frozen=True)
class FormField:
    """One input of a rendered form."""

    name: str  # the HTML input name (custom fields are prefixed: no clash with built-ins)
    key: str  # the answer's key: the custom field's key or the built-in's name
    label: str
    kind: str  # a FieldType value, "email" or "file"
    required: bool
    help_text: str | None = None
    choices: list[str] = field(default_factory=list)
    custom_field: CustomField | None = None
    builtin: BuiltinField | None = None
    # (value, label) of a built-in choice (priority, type); custom choices are their own label.
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def multiple(self) -> bool:
        return self.kind in (FieldType.MULTI_CHOICE.value, FILE)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The choices as (value sent, label shown)."""
        return self.options or [(c, c) for c in self.choices]


def _options(builtin: BuiltinField, form: WebForm | None) -> list[tuple[str, str]]:
    if builtin == BuiltinField.PRIORITY:
        return [(str(value), str(label)) for value, label in PRIORITY_LABELS.items()]
    if builtin == BuiltinField.ITEM_TYPE and form is not None:
        # Types of the form's kind: a ticket form files tickets (a task form tasks).
        types = db.session.scalars(select(ItemType).where(
            ItemType.kind == form.item_type.kind).order_by(ItemType.name, ItemType.id))
        return [(str(t.id), t.name) for t in types]
    return []


def _builtin(builtin: BuiltinField, required: bool, label: str | None = None,
             help_text: str | None = None, form: WebForm | None = None) -> FormField:
    return FormField(name=builtin.value, key=builtin.value,
                     label=label or str(_BUILTIN_LABEL[builtin]), kind=_BUILTIN_KIND[builtin],
                     required=required or builtin == BuiltinField.TITLE, help_text=help_text,
                     builtin=builtin, options=_options(builtin, form))


def builtin_label(builtin: BuiltinField) -> str:
    """The customers' name of a built-in field (in the current language)."""
    return str(_BUILTIN_LABEL[builtin])


def _from_row(row: WebFormField) -> FormField:
    if row.builtin is not None:
        return _builtin(row.builtin, row.required, row.label, row.help_text, row.form)
    custom = row.custom_field
    assert custom is not None  # the table's check constraint: a built-in or a custom field
    return FormField(name=f"cf-{custom.key}", key=custom.key, label=row.label or custom.label,
                     kind=custom.field_type.value, required=row.required or custom.required,
                     help_text=row.help_text or custom.help_text,
                     choices=list(custom.choices or []), custom_field=custom)


def form_fields(form: WebForm | None, *, signed_in: bool) -> list[FormField]:
    """The inputs a visitor fills in: the form's fields (or, without a form, subject,
    description and attachments). On a request form a signed-in customer is the requester,
    so name and e-mail are left out; anyone else must give an e-mail address."""
    if form is None:
        fields = [_builtin(BuiltinField.TITLE, True), _builtin(BuiltinField.DESCRIPTION, False),
                  _builtin(BuiltinField.ATTACHMENT, False)]
    else:
        # A survey stores answers only: no files, no item to fill.
        fields = [_from_row(row) for row in form.fields
                  if not (form.is_survey and (row.builtin == BuiltinField.ATTACHMENT
                                              or row.builtin in ITEM_FIELDS))]
    if form is not None and form.is_survey:
        return fields
    identity = (BuiltinField.NAME, BuiltinField.EMAIL)
    if signed_in:
        return [f for f in fields if f.builtin not in identity]
    given = {f.builtin for f in fields}
    extra = [_builtin(b, b == BuiltinField.EMAIL) for b in identity if b not in given]
    # The visitor's e-mail must be given even when the form marks it optional.
    fields = [_builtin(f.builtin, True, f.label, f.help_text)
              if f.builtin == BuiltinField.EMAIL else f for f in fields]
    return extra + fields


def default_request_form(portal: Portal) -> WebForm | None:
    """The portal's first active request (non-survey) form; None means the built-in one."""
    return db.session.scalar(
        select(WebForm).where(WebForm.portal_id == portal.id, WebForm.active.is_(True),
                              WebForm.is_survey.is_(False)).order_by(WebForm.id).limit(1))


def portal_form(portal: Portal, slug: str) -> WebForm | None:
    """An active form of ``portal`` (None for an inactive form or another portal's)."""
    return db.session.scalar(
        select(WebForm).where(WebForm.portal_id == portal.id, WebForm.slug == slug,
                              WebForm.active.is_(True)))
