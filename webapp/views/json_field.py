"""A form field for JSON columns: edited as indented JSON text, stored as the parsed value."""

from __future__ import annotations

import json
from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_babel import gettext
from wtforms import TextAreaField, ValidationError

from webapp.views.labels import COLUMN_LABELS


class JsonTextField(TextAreaField):
    widget = BS3TextAreaFieldWidget()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return json.dumps(self.data, indent=2, ensure_ascii=False)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.data = None
            raise ValidationError(gettext("is not valid JSON: %(reason)s (line %(line)s)",
                                          reason=exc.msg, line=exc.lineno)) from exc


def json_fields(*names: str, help_texts: dict[str, str] | None = None) -> dict[str, Any]:
    """``add_form_extra_fields``/``edit_form_extra_fields`` for the given JSON columns."""
    help_texts = help_texts or {}
    return {name: JsonTextField(COLUMN_LABELS.get(name, name.replace("_", " ").capitalize()),
                                description=help_texts.get(name, "")) for name in names}
