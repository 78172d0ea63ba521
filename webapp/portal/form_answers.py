"""What the customer entered in a web form's own fields (custom fields, due date, priority,
…), with the labels the form showed, for the request's page in the portal."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import BuiltinField, FormSubmission, Item
from webapp.web_forms.fields import PRIORITY_LABELS, builtin_label

# Shown elsewhere on the page (title, thread, files) or known to the customer (who they are).
_SHOWN_ELSEWHERE = {BuiltinField.TITLE, BuiltinField.DESCRIPTION, BuiltinField.NAME,
                    BuiltinField.EMAIL, BuiltinField.ATTACHMENT}


def _text(builtin: BuiltinField | None, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if builtin == BuiltinField.PRIORITY and value in PRIORITY_LABELS:
        return str(PRIORITY_LABELS[value])
    return str(value)


def form_answers(item: Item) -> list[tuple[str, str]]:
    """(label, answer) of each field of the form that made ``item``, in the form's order;
    empty when no form made it. Fields since removed from the form are left out."""
    submission = db.session.scalar(select(FormSubmission).where(
        FormSubmission.item_id == item.id).order_by(FormSubmission.id).limit(1))
    if submission is None:
        return []
    answers = submission.answers or {}
    shown = []
    for row in submission.form.fields:
        if row.builtin in _SHOWN_ELSEWHERE:
            continue
        key = row.builtin.value if row.builtin else row.custom_field.key  # type: ignore[union-attr]
        if answers.get(key) in (None, "", []):
            continue
        label = row.label or (row.custom_field.label if row.custom_field
                              else builtin_label(row.builtin))  # type: ignore[arg-type]
        shown.append((label, _text(row.builtin, answers[key])))
    return shown
