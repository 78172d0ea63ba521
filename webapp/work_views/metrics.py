"""The dashboard's figures, aggregated by the database over the items a filter and the
viewer's visibility allow, in UTC buckets (day, week from Monday, month).

What each figure means:
- **opened**: items created in the bucket.
- **solved**: items *now* in a done-category status whose status changed in the bucket (an
  item solved, reopened and solved again counts once, when it was last solved; one reopened
  and still open does not count). The same moment closes an SLA's resolution clock.
- **backlog**: items not in a done-category status now, per status (not bound to the range).
- **SLA attainment**: SLA targets falling due in the bucket: *met* when the first public staff
  reply (first response) or the solve (resolution) came at or before the due time, *breached*
  when it came later or has not come and the time has passed, *pending* otherwise; the
  percentage is met / (met + breached).
- **first-response time**: creation → first public reply by staff, in the bucket of the reply.
- **resolution time**: creation → solve, in the bucket of the solve (the items counted as
  solved).
- **satisfaction**: ratings given in the bucket; satisfied = 4 or 5.
- **hours**: timesheet hours by work date, per project and per person.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.models import (
    Item,
    ItemSla,
    ItemType,
    Message,
    Project,
    Status,
    StatusCategory,
    Timesheet,
    User,
    utcnow,
)
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating
from webapp.sql_time import BUCKETS, date_bucket, hours_between
from webapp.work_views.filters import ViewFilter

RANGE_ARGS = ("from", "to", "bucket")
DEFAULT_DAYS = 30
MAX_DAYS = 3660
MAX_BUCKETS = 400
SATISFIED_FROM = 4
TOP_ROWS = 20  # per hours chart; the rest are summed into one "Other" row


@dataclass(frozen=True)
class Range:
    """The days measured (``start`` to ``end``, inclusive, UTC) and the bucket size."""

    start: dt.date
    end: dt.date
    bucket: str

    @classmethod
    def parse(cls, args: Mapping[str, Any], today: dt.date | None = None) -> Range:
        """``from``/``to`` (YYYY-MM-DD; default the last 30 days) and ``bucket`` (default by
        length: day up to two months, week up to a year, else month). Raises ``Invalid``."""
        today = today or utcnow().date()
        errors: dict[str, list[str]] = {}

        def day(name: str) -> dt.date | None:
            text = (args.get(name) or "").strip()
            if not text:
                return None
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                errors[name] = [f"{text!r} is not a date in the form YYYY-MM-DD"]
                return None

        start, end = day("from"), day("to")
        if errors:
            raise Invalid(errors)
        end = end or (start + dt.timedelta(days=DEFAULT_DAYS - 1) if start else today)
        start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        days = (end - start).days + 1
        if days < 1:
            raise Invalid({"to": ["is before from"]})
        if days > MAX_DAYS:
            raise Invalid({"from": [f"the range is {days} days; at most {MAX_DAYS}"]})
        bucket = (args.get("bucket") or "").strip()
        if not bucket:
            bucket = "day" if days <= 62 else "week" if days <= 366 else "month"
        elif bucket not in BUCKETS:
            raise Invalid({"bucket": [f"{bucket!r} is not one of {', '.join(BUCKETS)}"]})
        found = cls(start, end, bucket)
        if len(found.buckets) > MAX_BUCKETS:
            raise Invalid({"bucket": [f"{len(found.buckets)} {bucket}s is too many to draw "
                                      f"(at most {MAX_BUCKETS}); choose a longer bucket"]})
        return found

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min)

    @property
    def end_at(self) -> dt.datetime:
        """Midnight after the last day (exclusive)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)

    @property
    def buckets(self) -> list[str]:
        """The first day of every bucket touching the range, as ``date_bucket`` spells it."""
        if self.bucket == "day":
            first, step = self.start, dt.timedelta(days=1)
        elif self.bucket == "week":
            first, step = self.start - dt.timedelta(days=self.start.weekday()), None
        else:
            first, step = self.start.replace(day=1), None
        found: list[str] = []
        current = first
        while current <= self.end:
            found.append(current.isoformat())
            if step is not None:
                current += step
            elif self.bucket == "week":
                current += dt.timedelta(days=7)
            else:
                current = (current + dt.timedelta(days=32)).replace(day=1)
        return found

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start_at, column < self.end_at)


@dataclass(frozen=True)
class Scope:
    """What every figure is measured over: a session, the filter, its viewer and the range."""

    session: Session
    view_filter: ViewFilter
    viewer: Viewer
    range: Range

    def items(self, statement: Select[Any]) -> Select[Any]:
        """``statement`` (joining Item) limited to the filter's and the viewer's items."""
        return self.view_filter.apply(statement, self.session, self.viewer)

    def per_bucket(self, rows: Any, empty: Any = 0) -> list[Any]:
        """``(bucket, value)`` rows as a list over every bucket of the range."""
        found = {bucket: value for bucket, value in rows}
        return [found.get(bucket, empty) for bucket in self.range.buckets]

    def bucket(self, column: Any) -> Any:
        return date_bucket(column, self.range.bucket).label("bucket")


def _done(done: bool = True) -> ColumnElement[bool]:
    """The item's status is (``done=False``: is not) of the done category."""
    category = Status.category == StatusCategory.DONE
    return Item.status_id.in_(select(Status.id).where(category if done else ~category))


def _staff_reply(message: Any) -> ColumnElement[bool]:
    """``message`` is a public reply by staff made after the item's creation."""
    return and_(message.is_public.is_(True), message.author_user_id.is_not(None),
                message.created_at >= Item.created_at)


def _first_reply() -> Any:
    """When staff first answered the item publicly (a correlated subquery on Item)."""
    return (select(func.min(Message.created_at))
            .where(Message.item_id == Item.id, _staff_reply(Message))
            .correlate(Item).scalar_subquery())


def _count_by_bucket(scope: Scope, column: Any, *where: ColumnElement[bool]) -> list[int]:
    bucket = scope.bucket(column)
    rows = scope.session.execute(scope.items(
        select(bucket, func.count(Item.id)).where(scope.range.within(column), *where))
        .group_by(bucket))
    return scope.per_bucket(((b, int(n)) for b, n in rows))


def opened_and_solved(scope: Scope) -> tuple[list[int], list[int]]:
    return (_count_by_bucket(scope, Item.created_at),
            _count_by_bucket(scope, Item.status_changed_at, _done()))


def backlog(scope: Scope) -> list[dict[str, Any]]:
    """Open items now, per status, in each type's workflow order."""
    # Counted per status_id alone first: grouping the joined names made PostgreSQL hash-join
    # every open item before counting (a third of the dashboard's time at 1M items).
    counts = scope.items(
        select(Item.status_id.label("status_id"), func.count(Item.id).label("count"))
        .where(_done(False))
        .group_by(Item.status_id)).subquery()
    statement = (
        select(Status.id, Status.name, ItemType.name, Status.colour, Status.category, counts.c.count)
        .join(counts, counts.c.status_id == Status.id)
        .join(ItemType, ItemType.id == Status.item_type_id)
        .order_by(ItemType.name, Status.position, Status.id))
    return [{"status_id": sid, "status": name, "type": type_name, "colour": colour,
             "category": StatusCategory(category).value, "count": int(count)}
            for sid, name, type_name, colour, category, count in scope.session.execute(statement)]


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def sla_attainment(scope: Scope) -> dict[str, dict[str, Any]]:
    """Per target: met / breached / pending of the targets due in the range, and % met per
    bucket of the due time."""
    now = utcnow()
    solved = case((_done(), Item.status_changed_at))
    answered = {
        "first_response": (ItemSla.first_response_due_at,
                           func.coalesce(ItemSla.first_responded_at, _first_reply())),
        "resolution": (ItemSla.resolution_due_at, func.coalesce(ItemSla.resolved_at, solved)),
    }
    found: dict[str, dict[str, Any]] = {}
    for target, (due, met_at) in answered.items():
        met = and_(met_at.is_not(None), met_at <= due)
        breached = or_(met_at > due, and_(met_at.is_(None), due < now))
        bucket = scope.bucket(due)
        rows = scope.session.execute(scope.items(
            select(bucket, func.sum(case((met, 1), else_=0)),
                   func.sum(case((breached, 1), else_=0)), func.count(ItemSla.id))
            .select_from(Item).join(ItemSla, ItemSla.item_id == Item.id).where(scope.range.within(due)))
            .group_by(bucket)).all()
        counts = {b: (int(m or 0), int(x or 0), int(n)) for b, m, x, n in rows}
        met_total = sum(m for m, _, _ in counts.values())
        breached_total = sum(x for _, x, _ in counts.values())
        found[target] = {
            "met": met_total, "breached": breached_total,
            "pending": sum(n for _, _, n in counts.values()) - met_total - breached_total,
            "percent": _percent(met_total, met_total + breached_total),
            "by_bucket": scope.per_bucket(
                ((b, _percent(m, m + x)) for b, (m, x, _) in counts.items()), None),
        }
    return found


def _rounded(value: Any, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def _durations(scope: Scope, measured: Select[Any]) -> dict[str, Any]:
    """Count, median and average of ``measured``'s ``hours`` column, and the median per
    bucket of its ``end_at`` column (rows already limited to the range and the filter)."""
    rows = measured.subquery()
    bucket = date_bucket(rows.c.end_at, scope.range.bucket)
    hours = rows.c.hours
    session = scope.session
    if session.get_bind().dialect.name == "postgresql":
        # One pass: ROLLUP adds the all-buckets row (its bucket NULL) to the per-bucket ones.
        found = session.execute(
            select(bucket, func.count(), func.avg(hours),
                   func.percentile_cont(0.5).within_group(hours))
            .group_by(func.rollup(bucket))).all()
        overall = next((row for row in found if row[0] is None), (None, 0, None, None))
        count, average, median = overall[1:]
        per_bucket = [(row[0], row[3]) for row in found if row[0] is not None]
    else:  # SQLite has neither ROLLUP nor a percentile function
        values: dict[str, list[float]] = {}
        for b, value in session.execute(select(bucket, hours)):
            values.setdefault(b, []).append(float(value))
        everything = [v for group in values.values() for v in group]
        count = len(everything)
        average = statistics.fmean(everything) if everything else None
        median = statistics.median(everything) if everything else None
        per_bucket = [(b, statistics.median(group)) for b, group in values.items()]
    return {"count": int(count), "median_hours": _rounded(median),
            "average_hours": _rounded(average),
            "by_bucket": scope.per_bucket(((b, _rounded(v)) for b, v in per_bucket), None)}


def response_times(scope: Scope) -> dict[str, dict[str, Any]]:
    # Driven by the range's replies (not by every item): an item's first reply falls in the
    # range when it has one there and none before.
    earlier = aliased(Message)
    replied_at = func.min(Message.created_at)
    first_replies = scope.items(
        select(replied_at.label("end_at"), hours_between(Item.created_at, replied_at)
               .label("hours"))
        .select_from(Item).join(Message, Message.item_id == Item.id)
        .where(_staff_reply(Message), scope.range.within(Message.created_at),
               ~exists().where(earlier.item_id == Item.id, _staff_reply(earlier),
                               earlier.created_at < scope.range.start_at))
        .group_by(Item.id, Item.created_at))
    solves = scope.items(
        select(Item.status_changed_at.label("end_at"),
               hours_between(Item.created_at, Item.status_changed_at).label("hours"))
        .where(_done(), scope.range.within(Item.status_changed_at)))
    return {"first_response": _durations(scope, first_replies),
            "resolution": _durations(scope, solves)}


def satisfaction(scope: Scope) -> dict[str, Any]:
    score = SatisfactionRating.score
    rated = scope.range.within(SatisfactionRating.created_at)
    join = (SatisfactionRating, SatisfactionRating.item_id == Item.id)
    row = scope.session.execute(scope.items(
        select(func.count(SatisfactionRating.id), func.avg(score),
               func.sum(case((score >= SATISFIED_FROM, 1), else_=0)),
               *[func.sum(case((score == n, 1), else_=0)) for n in RATING_SCALE])
        .select_from(Item).join(*join).where(rated))).one()
    total, average, satisfied, *per_score = row
    bucket = scope.bucket(SatisfactionRating.created_at)
    by_bucket = scope.session.execute(scope.items(
        select(bucket, func.avg(score)).select_from(Item).join(*join).where(rated)).group_by(bucket))
    return {"count": int(total), "average": _rounded(average),
            "satisfied_percent": _percent(int(satisfied or 0), int(total)),
            "per_score": {str(n): int(c or 0) for n, c in zip(RATING_SCALE, per_score,
                                                               strict=True)},
            "by_bucket": scope.per_bucket(((b, _rounded(v)) for b, v in by_bucket), None)}


def _top(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The largest ``TOP_ROWS`` groups, then one "Other" row summing the rest."""
    found = [{"id": key, "name": name, "hours": _rounded(hours)} for key, name, hours in rows]
    if len(found) <= TOP_ROWS:
        return found
    rest = sum(float(hours) for _, _, hours in rows[TOP_ROWS:])
    other = gettext("Other (%(n)s)", n=len(rows) - TOP_ROWS)
    return [*found[:TOP_ROWS], {"id": None, "name": other, "hours": round(rest, 2)}]


def hours_logged(scope: Scope) -> dict[str, Any]:
    """Timesheet hours worked in the range on the filter's items, by project and by person."""
    logged = and_(Timesheet.work_date >= scope.range.start, Timesheet.work_date <= scope.range.end)
    total_hours = func.sum(Timesheet.hours)

    def by(joined: Any, on: ColumnElement[bool], *group: Any) -> list[tuple[Any, ...]]:
        """Hours per ``group`` (its first column a key), largest first."""
        return [tuple(row) for row in scope.session.execute(scope.items(
            select(*group, total_hours).select_from(Timesheet)
            .join(Item, Item.id == Timesheet.item_id).join(joined, on).where(logged)
            .group_by(*group).order_by(total_hours.desc(), group[0])))]

    person = func.trim(func.coalesce(User.first_name, literal("")) + literal(" ")
                       + func.coalesce(User.last_name, literal("")))
    projects = by(Project, Project.id == Item.project_id, Project.id, Project.name)
    people = [(key, name or login, hours) for key, name, login, hours
              in by(User, User.id == Timesheet.user_id, User.id, person, User.username)]
    total = sum(float(hours) for _, _, hours in projects)
    return {"total": round(total, 2), "by_project": _top(projects), "by_person": _top(people)}


def dashboard_data(session: Session, args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """Every figure of the dashboard for query arguments ``args`` (raises ``Invalid``)."""
    view_filter = ViewFilter.parse(args, viewer, ignore=RANGE_ARGS)
    scope = Scope(session, view_filter, viewer, Range.parse(args))
    opened, solved = opened_and_solved(scope)
    statuses = backlog(scope)
    return {
        "from": scope.range.start.isoformat(), "to": scope.range.end.isoformat(),
        "bucket": scope.range.bucket, "buckets": scope.range.buckets,
        "opened": opened, "solved": solved,
        "totals": {"opened": sum(opened), "solved": sum(solved),
                   "backlog": sum(row["count"] for row in statuses)},
        "backlog": statuses, "sla": sla_attainment(scope), "times": response_times(scope),
        "satisfaction": satisfaction(scope), "hours": hours_logged(scope),
    }
