"""The calendar: items by due date (UTC days), a month or a week at a time.

``GET /views/calendar/data?mode=month|week&date=YYYY-MM-DD&<filters>`` answers every day of
the shown range with its count and its first ``per_day`` items (one GROUP BY and one
windowed query, so a busy day shows "+N more" instead of everything);
``GET /views/calendar/items?day=YYYY-MM-DD&cursor=`` pages through one day by keyset.
Rescheduling is a ``PUT /api/v1/<kind>/<id>`` of ``due_at`` made by the browser (the time of
day is kept), so the API's checks and events apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import Item, utcnow
from webapp.views.labels import add_screen
from webapp.work_views.board import cards, item_select
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort, fetch_page, page_size
from webapp.work_views.page import flash_errors, json_errors, render_view

MODES = ("month", "week")
DEFAULT_PER_DAY = {"month": 3, "week": 12}
MAX_PER_DAY = 50
CALENDAR_ARGS = ("mode", "date", "per_day", "day", "cursor", "page_size")


def _date_arg(name: str, text: str | None, default: dt.date | None = None) -> dt.date:
    if not text:
        if default is None:
            raise Invalid({name: ["is required (YYYY-MM-DD)"]})
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid({name: [f"{text!r} is not a date in the form YYYY-MM-DD"]}) from None


@dataclass(frozen=True)
class Span:
    """The days shown: whole weeks (Monday first) around ``anchor``'s month or week."""

    mode: str
    anchor: dt.date
    start: dt.date
    end: dt.date  # exclusive

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> Span:
        mode = args.get("mode") or "month"
        if mode not in MODES:
            raise Invalid({"mode": [f"{mode!r} is not one of {', '.join(MODES)}"]})
        anchor = _date_arg("date", args.get("date"), utcnow().date())
        if mode == "week":
            start = anchor - dt.timedelta(days=anchor.weekday())
            return cls(mode, anchor, start, start + dt.timedelta(days=7))
        first = anchor.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        end = following + dt.timedelta(days=(7 - following.weekday()) % 7)
        return cls(mode, anchor, start, end)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def weeks(self) -> list[list[dt.date]]:
        days = self.days
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    @property
    def previous(self) -> dt.date:
        if self.mode == "week":
            return self.anchor - dt.timedelta(days=7)
        return (self.anchor.replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> dt.date:
        if self.mode == "week":
            return self.anchor + dt.timedelta(days=7)
        return (self.anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)

    @property
    def title(self) -> str:
        if self.mode == "week":
            last = self.end - dt.timedelta(days=1)
            return f"{format_date(self.start, 'd MMM')} – {format_date(last, 'd MMM y')}"
        return str(format_date(self.anchor, "LLLL y"))


def _between(first: dt.date, end: dt.date) -> Any:
    """Due in [first, end) (dates, as midnight UTC)."""
    return Item.due_at.between(dt.datetime.combine(first, dt.time.min),
                               dt.datetime.combine(end, dt.time.min)
                               - dt.timedelta(microseconds=1))


def _day(value: Any) -> dt.date:
    """``DATE(due_at)`` as a date (SQLite answers text, PostgreSQL a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def parse_per_day(text: str | None, mode: str) -> int:
    if not text:
        return DEFAULT_PER_DAY[mode]
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PER_DAY:
        raise Invalid({"per_day": [f"must be a whole number from 1 to {MAX_PER_DAY}"]})
    return int(text)


def day_counts(session: Session, view_filter: ViewFilter, viewer: Viewer,
               span: Span) -> dict[dt.date, int]:
    day = func.date(Item.due_at)
    statement = view_filter.apply(select(day, func.count(Item.id))
                                  .where(_between(span.start, span.end)), session, viewer)
    return {_day(value): int(count) for value, count in session.execute(statement.group_by(day))}


def first_items(session: Session, view_filter: ViewFilter, viewer: Viewer, span: Span,
                per_day: int) -> list[Item]:
    """The first ``per_day`` items (by due time, then id) of each day of ``span``."""
    day = func.date(Item.due_at)
    rank = func.row_number().over(partition_by=day, order_by=(Item.due_at, Item.id))
    ranked = view_filter.apply(select(Item.id.label("id"), rank.label("rank"))
                               .where(_between(span.start, span.end)), session, viewer).subquery()
    return list(session.scalars(
        item_select().where(Item.id.in_(select(ranked.c.id).where(ranked.c.rank <= per_day)))
        .order_by(Item.due_at, Item.id)))


def calendar_data(args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """Every day of the span: its count and its first items (raises ``Invalid``)."""
    session = db.session
    view_filter = ViewFilter.parse(args, viewer, ignore=CALENDAR_ARGS)
    span = Span.parse(args)
    per_day = parse_per_day(args.get("per_day"), span.mode)
    counts = day_counts(session, view_filter, viewer, span)
    shown: dict[dt.date, list[dict[str, Any]]] = {}
    found = first_items(session, view_filter, viewer, span, per_day)
    for item, card in zip(found, cards(session, found), strict=True):
        shown.setdefault(item.due_at.date(), []).append(card)
    return {
        "mode": span.mode, "date": span.anchor.isoformat(), "start": span.start.isoformat(),
        "end": span.end.isoformat(), "per_day": per_day,
        "days": [{"date": d.isoformat(), "count": counts.get(d, 0), "items": shown.get(d, [])}
                 for d in span.days],
    }


def day_page(args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """One keyset page of the items due on ``day`` (raises ``Invalid``)."""
    session = db.session
    view_filter = ViewFilter.parse(args, viewer, ignore=CALENDAR_ARGS)
    day = _date_arg("day", args.get("day"))
    statement = view_filter.apply(item_select().where(
        _between(day, day + dt.timedelta(days=1))), session, viewer)
    page = fetch_page(session, statement, Sort.parse("due_at"), page_size(args.get("page_size")),
                      args.get("cursor"))
    return {"day": day.isoformat(), "items": cards(session, page.rows),
            "next_cursor": page.next_cursor}


class CalendarView(BaseView):
    route_base = "/views/calendar"
    default_view = "calendar"
    class_permission_name = "WorkView"
    method_permission_name = {"calendar": "read", "data": "read", "items": "read"}

    @expose("/")
    @has_access
    def calendar(self) -> Any:
        viewer = current_viewer()
        try:
            ViewFilter.parse(request.args, viewer, ignore=CALENDAR_ARGS)
            span = Span.parse(request.args)
            per_day = parse_per_day(request.args.get("per_day"), span.mode)
        except Invalid as exc:
            flash_errors(exc)
            return redirect(url_for("CalendarView.calendar"))
        keep = {k: v for k, v in request.args.to_dict(flat=False).items()
                if k not in ("mode", "date")}

        def link(**change: str) -> str:
            base = {"mode": span.mode, "date": span.anchor.isoformat()}
            return url_for("CalendarView.calendar", **{**keep, **base, **change})

        return render_view(self, "relaydesk/work_views/calendar.html", "calendar", span=span,
                           per_day=per_day, link=link, today=utcnow().date())

    @expose("/data")
    @has_access_api
    def data(self) -> Response:
        """The days of a month or week with their counts and first items."""
        try:
            return jsonify(calendar_data(request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)

    @expose("/items")
    @has_access_api
    def items(self) -> Response:
        """One keyset page of the items due on one day."""
        try:
            return jsonify(day_page(request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    add_screen(appbuilder, CalendarView, "Calendar", _l("Calendar"), "fa-calendar", menu)
    links.append(("calendar", _l("Calendar"), "CalendarView.calendar"))
