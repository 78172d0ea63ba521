"""Rules for workflow configuration: status colours, custom field definitions."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import CustomField, FieldType, Status

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def validate_status(session: Session, status: Status, viewer: Viewer, is_new: bool) -> dict:
    if not _COLOUR.match(status.colour or ""):
        return {"colour": ["must be a colour like #1a2b3c"]}
    return {}


def validate_custom_field(
    session: Session, field: CustomField, viewer: Viewer, is_new: bool
) -> dict:
    errors: dict[str, list[str]] = {}
    if not _KEY.match(field.key or ""):
        errors["key"] = ["must start with a letter and hold only a-z, 0-9 and _ (max 60)"]
    needs_choices = field.field_type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
    choices = field.choices
    if needs_choices:
        if not isinstance(choices, list) or not choices or not all(
            isinstance(c, str) and c for c in choices
        ):
            errors["choices"] = ["must be a non-empty list of texts for a choice field"]
        elif len(set(choices)) != len(choices):
            errors["choices"] = ["must not repeat a choice"]
    elif choices:
        errors["choices"] = ["only choice fields have choices"]
    return errors


rules_for(Status).validate.append(validate_status)
rules_for(CustomField).validate.append(validate_custom_field)
