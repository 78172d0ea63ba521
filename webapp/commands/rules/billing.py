"""Rules for billed hours: a timesheet entry on an invoice no longer changes."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import Timesheet

#: What an invoice line was computed from.
_BILLED_FIELDS = ("hours", "billable", "item_id", "work_date", "user_id")


def check_invoiced(session: Session, entry: Timesheet, viewer: Viewer, is_new: bool) -> dict:
    if is_new or entry.invoiced_at is None:
        return {}
    state = inspect(entry)
    changed = [name for name in _BILLED_FIELDS if state.attrs[name].history.has_changes()]
    reason = f"is on invoice {entry.invoice_ref}; billed hours cannot change"
    return {name: [reason] for name in changed}


rules_for(Timesheet).check.append(check_invoiced)
