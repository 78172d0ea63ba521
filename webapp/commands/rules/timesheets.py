"""Rules for timesheets: hours in range, staff log time for themselves."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import Timesheet


def prepare_timesheet(session: Session, entry: Timesheet, viewer: Viewer, is_new: bool) -> None:
    if is_new and entry.user_id is None and entry.user is None:
        entry.user_id = viewer.user_id


def check_hours(session: Session, entry: Timesheet, viewer: Viewer, is_new: bool) -> dict:
    if entry.hours is None or not Decimal(0) < Decimal(str(entry.hours)) <= Decimal(24):
        return {"hours": ["must be more than 0 and at most 24"]}
    return {}


def validate_timesheet(session: Session, entry: Timesheet, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    if not viewer.is_admin and entry.user_id != viewer.user_id:
        errors["user"] = ["you may log time only for yourself"]
    return errors


rules_for(Timesheet).prepare.append(prepare_timesheet)
rules_for(Timesheet).check.append(check_hours)
rules_for(Timesheet).validate.append(validate_timesheet)
