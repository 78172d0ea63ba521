"""The satisfaction report: counts per score, average and share of satisfied (4–5) ratings,
overall and per month, assignee and organization; aggregated by the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, visibility_clause
from webapp.models import Customer, Organization, User
from webapp.models.items import item_assignee_user
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating
from webapp.sql_time import date_bucket

SATISFIED_FROM = 4


@dataclass(frozen=True)
class Summary:
    """The ratings of one group (a month, an assignee, an organization, or all)."""

    label: str
    total: int
    per_score: dict[int, int]
    average: float | None
    satisfied: int

    @property
    def satisfied_percent(self) -> float | None:
        return round(100.0 * self.satisfied / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Report:
    start: dt.date | None
    end: dt.date | None
    overall: Summary
    by_month: list[Summary]
    by_assignee: list[Summary]
    by_organization: list[Summary]


def _measures() -> list[ColumnElement[Any]]:
    score = SatisfactionRating.score
    return [func.count(SatisfactionRating.id), func.avg(score),
            func.sum(case((score >= SATISFIED_FROM, 1), else_=0)),
            *[func.sum(case((score == n, 1), else_=0)) for n in RATING_SCALE]]


def _summary(label: str, row: Any) -> Summary:
    total, average, satisfied, *counts = row
    return Summary(label=label, total=int(total or 0),
                   per_score={n: int(c or 0) for n, c in zip(RATING_SCALE, counts, strict=True)},
                   average=round(float(average), 2) if average is not None else None,
                   satisfied=int(satisfied or 0))


def _window(viewer: Viewer, start: dt.date | None, end: dt.date | None
            ) -> list[ColumnElement[bool]]:
    where = [visibility_clause(SatisfactionRating, viewer)]
    created = SatisfactionRating.created_at
    if start is not None:
        where.append(created >= dt.datetime.combine(start, dt.time()))
    if end is not None:  # the whole last day
        where.append(created < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return where


def satisfaction_report(session: Session, viewer: Viewer, start: dt.date | None = None,
                        end: dt.date | None = None) -> Report:
    """The ratings given from ``start`` to ``end`` (days, UTC, inclusive) that ``viewer``
    may see."""
    where = _window(viewer, start, end)
    overall = session.execute(select(*_measures()).where(*where)).one()

    month = date_bucket(SatisfactionRating.created_at, "month").label("month")
    months = session.execute(select(month, *_measures()).where(*where)
                             .group_by(month).order_by(month)).all()

    # A ticket with two assignees counts for each of them.
    assignees = session.execute(
        select(User.id, User.username, *_measures())
        .select_from(SatisfactionRating)
        .outerjoin(item_assignee_user,
                   item_assignee_user.c.item_id == SatisfactionRating.item_id)
        .outerjoin(User, User.id == item_assignee_user.c.user_id)
        .where(*where).group_by(User.id, User.username).order_by(User.username)).all()

    organizations = session.execute(
        select(Organization.id, Organization.name, *_measures())
        .select_from(SatisfactionRating)
        .outerjoin(Customer, Customer.id == SatisfactionRating.customer_id)
        .outerjoin(Organization, Organization.id == Customer.organization_id)
        .where(*where).group_by(Organization.id, Organization.name)
        .order_by(Organization.name)).all()

    return Report(
        start=start, end=end, overall=_summary("All", overall),
        by_month=[_summary(row[0][:7], row[1:]) for row in months],
        by_assignee=_named(assignees, "Unassigned"),
        by_organization=_named(organizations, "No organization"),
    )


def _named(rows: Sequence[Any], nobody: str) -> list[Summary]:
    """Groups by name, the group without one (no assignee, no organization) last."""
    named = [_summary(row[1], row[2:]) for row in rows if row[0] is not None]
    rest = [_summary(nobody, row[2:]) for row in rows if row[0] is None]
    return named + rest
