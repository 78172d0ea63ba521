"""A fix to Flask-AppBuilder's form fields, applied once on import.

FAB 5.3's ``EnumField`` looks a posted name up in the enum with ``[]`` (a ``KeyError`` for a
made-up name) and its ``pre_validate`` raises ``ValueError`` for a missing one; WTForms 3 turns
only ``ValueError`` from coercion and ``ValidationError`` from validation into field errors,
so a form posted without, or with a made-up, value of an enum column (item kind, status
category, report frequency …) was a 500 instead of the form again with the field's error.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fields import EnumField
from wtforms.validators import ValidationError

_init = EnumField.__init__


def _init_with_checked_coerce(self: EnumField, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    lookup = self.coerce

    def coerce(value: Any) -> Any:
        try:
            return lookup(value)
        except KeyError:
            raise ValueError(f"{value!r} is not one of the choices") from None

    self.coerce = coerce


def _pre_validate(self: EnumField, form: Any) -> None:
    if not any(self.data == self.coerce(value) for value, _ in self.choices):
        raise ValidationError(self.gettext("Not a valid choice"))


EnumField.__init__ = _init_with_checked_coerce
EnumField.pre_validate = _pre_validate
