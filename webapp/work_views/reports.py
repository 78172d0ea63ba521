"""Saved views mailed as reports on a schedule (daily or weekly, at an hour of a time zone).

``send_due_reports(session, now)`` is called by the scheduler's pass: each due schedule is
first claimed (``UPDATE … SET next_run_at = <next> WHERE next_run_at = <old>``, so two
schedulers never send one slot twice), then its view is run as its owner (their
visibility) and mailed with the rows attached (CSV or XLSX) and the first rows in the body.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from wtforms.validators import ValidationError

from connectors.email import build_message, send
from connectors.errors import Permanent, Retryable
from hub.actions.mail import smtp_settings
from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import User
from webapp.models.saved_views import ReportFrequency, ReportSchedule, SavedView
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen
from webapp.work_views.export import FORMATS, cell, export_bytes, header
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort
from webapp.work_views.list_view import DEFAULT_COLUMNS, DEFAULT_SORT, list_page, rows_data

log = logging.getLogger(__name__)
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
BODY_ROWS = 20
MAX_RECIPIENTS = 50


def parse_recipients(text: str | None) -> list[str]:
    """Comma-separated e-mail addresses (people need no account); raises ``Invalid``."""
    found = [part.strip() for part in (text or "").replace(";", ",").split(",")
             if part.strip()]
    if not found:
        raise Invalid({"recipients": ["name at least one e-mail address"]})
    bad = [a for a in found if not EMAIL.match(a) or len(a) > 254]
    if bad:
        raise Invalid({"recipients": [f"not an e-mail address: {', '.join(bad)}"]})
    if len(found) > MAX_RECIPIENTS:
        raise Invalid({"recipients": [f"at most {MAX_RECIPIENTS} recipients"]})
    return list(dict.fromkeys(found))


def parse_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid({"time_zone": [f"{name!r} is not a time zone (e.g. Europe/Lisbon)"]}) \
            from exc


def validate_schedule(schedule: ReportSchedule) -> None:
    """Every problem of a schedule's settings at once; raises ``Invalid``."""
    errors: dict[str, list[str]] = {}
    for check in (lambda: parse_recipients(schedule.recipients),
                  lambda: parse_zone(schedule.time_zone)):
        try:
            check()
        except Invalid as exc:
            errors.update(exc.messages)
    if schedule.hour is None or not 0 <= schedule.hour <= 23:
        errors["hour"] = ["must be an hour from 0 to 23"]
    if schedule.frequency == ReportFrequency.WEEKLY and \
            (schedule.weekday is None or not 0 <= schedule.weekday <= 6):
        errors["weekday"] = ["a weekly report needs a weekday (0 = Monday … 6 = Sunday)"]
    if errors:
        raise Invalid(errors)


def next_run(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    """The first slot strictly after ``after`` (naive UTC), as naive UTC. The slot is the
    wall-clock hour in the schedule's zone: a report at 08:00 stays at 08:00 local across
    DST changes (an hour that does not exist that day falls one hour later; one that
    occurs twice is the first)."""
    zone = parse_zone(schedule.time_zone)
    local_after = after.replace(tzinfo=dt.UTC).astimezone(zone)
    day = local_after.date()
    step = 7 if schedule.frequency == ReportFrequency.WEEKLY else 1
    if schedule.frequency == ReportFrequency.WEEKLY:
        day += dt.timedelta(days=(int(schedule.weekday or 0) - day.weekday()) % 7)
    while True:
        slot = dt.datetime.combine(day, dt.time(schedule.hour), tzinfo=zone)
        slot_utc = slot.astimezone(dt.UTC).replace(tzinfo=None)
        if slot_utc > after:
            return slot_utc
        day += dt.timedelta(days=step)


def claim(session: Session, schedule: ReportSchedule, now: dt.datetime) -> bool:
    """Move the schedule to its next slot if nobody else did; True: this caller sends."""
    old = schedule.next_run_at
    result = session.execute(
        update(ReportSchedule).where(ReportSchedule.id == schedule.id,
                                     ReportSchedule.next_run_at == old)
        .values(next_run_at=next_run(schedule, max(now, old or now)))
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def report_view(session: Session, view: SavedView) -> tuple[ViewFilter, Sort, list[str],
                                                           Viewer]:
    """The saved view's filter, sort and columns, for its owner."""
    owner = session.get(User, view.owner_id)
    viewer = Viewer.for_user(owner)
    view_filter = ViewFilter.parse(view.filters or {}, viewer)
    sort = Sort.parse(view.sort, DEFAULT_SORT) if view.sort else Sort.parse(DEFAULT_SORT)
    return view_filter, sort, list(view.columns or DEFAULT_COLUMNS), viewer


def html_table(session: Session, rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header(session, columns))
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(r[c]))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return f'<table border="1" cellpadding="4"><tr>{head}</tr>{body}</table>'


def build_report(session: Session, schedule: ReportSchedule, now: dt.datetime) -> Any:
    """The e-mail (an ``EmailMessage``) of one report."""
    view = schedule.saved_view
    view_filter, sort, columns, viewer = report_view(session, view)
    first = list_page(session, view_filter, viewer, sort, BODY_ROWS, None)
    preview = rows_data(session, first.rows, columns, with_url=False)
    fmt = schedule.format.value
    data = export_bytes(session, view_filter, viewer, sort, columns, fmt)
    config = current_app.config
    settings = smtp_settings(config, config["MAIL_FROM"])
    subject = f"Report: {view.name} ({now:%Y-%m-%d})"
    more = " (first rows; every row is in the attachment)" if first.next_cursor else ""
    text = f"{view.name}: the view's rows are attached as {fmt.upper()}{more}."
    html = (f"<p>{escape(view.name)}{escape(more)}</p>" + html_table(session, preview, columns))
    message = build_message(settings, parse_recipients(schedule.recipients), subject, text,
                            html, sender_name=config.get("MAIL_BRAND_NAME"))
    maintype, subtype = FORMATS[fmt].split(";")[0].split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype,
                           filename=f"{view.name}-{now:%Y-%m-%d}.{fmt}")
    return message


def deliver(session: Session, schedule: ReportSchedule, now: dt.datetime) -> bool:
    """Build and send one report, recording the outcome on the schedule."""
    try:
        message = build_report(session, schedule, now)
        send(smtp_settings(current_app.config, current_app.config["MAIL_FROM"]), message)
    except (Invalid, Permanent, Retryable, ValueError) as exc:
        session.rollback()
        schedule.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        session.commit()
        log.warning("report %s not sent: %s", schedule.id, schedule.last_error)
        return False
    schedule.last_sent_at, schedule.last_error = now, None
    session.commit()
    return True


def send_due_reports(session: Session, now: dt.datetime) -> int:
    """Send every enabled report whose slot has come (``now``: naive UTC); returns how many
    were sent by this caller."""
    due = list(session.scalars(select(ReportSchedule).where(
        ReportSchedule.enabled.is_(True), ReportSchedule.next_run_at.is_not(None),
        ReportSchedule.next_run_at <= now).order_by(ReportSchedule.next_run_at)))
    sent = 0
    for schedule in due:
        if claim(session, schedule, now):
            session.refresh(schedule)
            sent += deliver(session, schedule, now)
    return sent


# -- screens

def _wtf(check: Any) -> Any:
    def validator(_form: Any, field: Any) -> None:
        try:
            check(field.data)
        except Invalid as exc:
            raise ValidationError("; ".join(str(m) for ms in exc.messages.values()
                                            for m in ms)) from exc
    return validator


def _own_view_ids() -> list[int]:
    return list(db.session.scalars(select(SavedView.id).where(
        SavedView.owner_id == current_viewer().user_id)))


def _me() -> int | None:
    return current_viewer().user_id


def _readable(exc: Invalid) -> str:
    messages = exc.messages if isinstance(exc.messages, dict) else {"": [exc.messages]}
    return "; ".join(f"{name}: {', '.join(map(str, ms))}" for name, ms in messages.items())


class ReportScheduleView(ScopedModelView):
    list_title = _l("Scheduled reports")
    show_title = _l("Scheduled report")
    add_title = _l("New scheduled report")
    edit_title = _l("Edit scheduled report")
    route_base = "/views/reports"
    datamodel = SQLAInterface(ReportSchedule)
    class_permission_name = "ReportSchedule"
    list_columns = ["saved_view", "frequency", "weekday", "hour", "time_zone", "recipients",
                    "format", "enabled", "next_run_at", "last_sent_at", "last_error"]
    show_columns = list_columns
    add_columns = edit_columns = ["saved_view", "frequency", "weekday", "hour", "time_zone",
                                  "recipients", "format", "enabled"]
    description_columns = {
        "weekday": _l("Weekly reports: 0 = Monday … 6 = Sunday"),
        "hour": _l("0–23, in the time zone below"),
        "time_zone": _l("e.g. Europe/Lisbon, America/New_York, UTC"),
        "recipients": _l("Comma-separated e-mail addresses (no account needed)"),
    }
    validators_columns = {"recipients": [_wtf(parse_recipients)],
                          "time_zone": [_wtf(parse_zone)]}
    base_filters = [["saved_view_id", FilterInFunction, _own_view_ids]]
    search_columns = ["frequency", "format", "enabled", "recipients", "time_zone"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "saved_view": [["owner_id", FilterEqualFunction, _me]]}
    base_order = ("next_run_at", "asc")
    show_template = "relaydesk/work_views/report_show.html"

    def pre_add(self, item: ReportSchedule) -> None:
        self._prepare(item)

    def pre_update(self, item: ReportSchedule) -> None:
        self._prepare(item)

    def _prepare(self, item: ReportSchedule) -> None:
        """Own view only, valid settings, the first slot computed (else a flashed error)."""
        view = item.saved_view or db.session.get(SavedView, item.saved_view_id)
        try:
            if view is None or view.owner_id != current_viewer().user_id:
                raise Invalid({"saved_view": ["choose one of your own saved views"]})
            if item.frequency == ReportFrequency.DAILY:
                item.weekday = None
            validate_schedule(item)
        except Invalid as exc:
            raise ValueError(_readable(exc)) from exc
        item.recipients = ", ".join(parse_recipients(item.recipients))
        item.next_run_at = next_run(item, dt.datetime.now(dt.UTC).replace(tzinfo=None))

    @expose("/send_now/<int:pk>", methods=["POST"])
    @has_access
    def send_now(self, pk: int) -> Any:
        session = db.session
        schedule = session.scalar(select(ReportSchedule).join(SavedView).where(
            ReportSchedule.id == pk, SavedView.owner_id == current_viewer().user_id))
        if schedule is None:
            flash(gettext("No such report of yours."), "danger")
        elif deliver(session, schedule, dt.datetime.now(dt.UTC).replace(tzinfo=None)):
            flash(gettext("Report sent to %(recipients)s.", recipients=schedule.recipients),
                  "success")
        else:
            flash(gettext("The report was not sent: %(reason)s", reason=schedule.last_error),
                  "danger")
        return redirect(url_for("ReportScheduleView.show", pk=pk))


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, ReportScheduleView, "Scheduled reports", _l("Scheduled reports"),
               "fa-envelope", menu)
