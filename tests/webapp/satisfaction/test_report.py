"""The report's numbers, checked against the same aggregation done in Python on the inputs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from tests.clients import Browser
from tests.webapp.satisfaction import solved_ticket
from webapp.access.scope import SYSTEM, Viewer
from webapp.models.satisfaction import SatisfactionRating
from webapp.satisfaction.ratings import record_rating
from webapp.satisfaction.report import satisfaction_report


def _expected(rows: list[tuple[int, dt.datetime, list[str], str | None]]) -> dict:
    """label → (total, per score, average, satisfied) for each grouping of ``rows``."""
    groups: dict[str, dict[str, list[int]]] = {
        "overall": defaultdict(list), "month": defaultdict(list),
        "assignee": defaultdict(list), "organization": defaultdict(list)}
    for score, when, assignees, organization in rows:
        groups["overall"]["All"].append(score)
        groups["month"][when.strftime("%Y-%m")].append(score)
        for name in assignees or ["Unassigned"]:
            groups["assignee"][name].append(score)
        groups["organization"][organization or "No organization"].append(score)

    def summary(scores: list[int]) -> tuple:
        return (len(scores), {n: scores.count(n) for n in range(1, 6)},
                round(sum(scores) / len(scores), 2), sum(1 for s in scores if s >= 4))

    return {kind: {label: summary(scores) for label, scores in found.items()}
            for kind, found in groups.items()}


def _actual(report) -> dict:
    def table(summaries) -> dict:
        return {s.label: (s.total, s.per_score, s.average, s.satisfied) for s in summaries}

    return {"overall": table([report.overall]) if report.overall.total else {},
            "month": table(report.by_month), "assignee": table(report.by_assignee),
            "organization": table(report.by_organization)}


def _world(make):
    """Ratings over three months by customers of two organizations (and none), of tickets
    assigned to ann, bob, both or nobody. Returns the rows as the test knows them."""
    ann, bob = make.user("Agent", name="ann"), make.user("Collaborator", name="bob")
    acme, globex = make.organization("Acme"), make.organization("Globex")
    people = {"Acme": make.customer(organization_id=acme.id),
              "Globex": make.customer(organization_id=globex.id), None: make.customer()}
    users = {"ann": ann, "bob": bob}
    plan = [  # score, when, assignees, organization
        (5, dt.datetime(2024, 1, 3, 9), ["ann"], "Acme"),
        (4, dt.datetime(2024, 1, 31, 23, 59), ["ann", "bob"], "Acme"),
        (2, dt.datetime(2024, 2, 1, 0, 0), ["bob"], "Globex"),
        (1, dt.datetime(2024, 2, 14, 12), [], None),
        (3, dt.datetime(2024, 2, 29, 18), ["ann"], "Globex"),
        (5, dt.datetime(2024, 3, 1, 8), ["bob"], None),
        (4, dt.datetime(2024, 3, 15, 8), [], "Acme"),
    ]
    for score, when, assignees, organization in plan:
        customer = people[organization]
        ticket = solved_ticket(make, customer, assignee_users=[users[n] for n in assignees])
        rating = record_rating(make.session, ticket, customer, score)
        rating.created_at = when
        make.session.commit()
    return plan, ann, bob


def test_report_numbers_overall_per_month_assignee_and_organization(app, make):
    plan, _ann, _bob = _world(make)
    report = satisfaction_report(make.session, SYSTEM)
    assert _actual(report) == _expected(plan)
    assert report.overall.satisfied_percent == round(
        100 * sum(1 for row in plan if row[0] >= 4) / len(plan), 1)
    assert [s.label for s in report.by_month] == ["2024-01", "2024-02", "2024-03"]
    assert report.by_assignee[-1].label == "Unassigned"
    assert report.by_organization[-1].label == "No organization"


def test_report_for_a_date_range_includes_both_whole_days(app, make):
    plan, _ann, _bob = _world(make)
    start, end = dt.date(2024, 1, 31), dt.date(2024, 2, 29)
    report = satisfaction_report(make.session, SYSTEM, start, end)
    inside = [row for row in plan if start <= row[1].date() <= end]
    assert len(inside) == 4
    assert _actual(report) == _expected(inside)
    empty = satisfaction_report(make.session, SYSTEM, dt.date(2030, 1, 1))
    assert empty.overall.total == 0 and empty.overall.average is None
    assert empty.overall.satisfied_percent is None and empty.by_month == []


def test_report_counts_only_what_the_viewer_sees(app, make):
    plan, _ann, bob = _world(make)
    collaborator = Viewer.for_user(bob)
    report = satisfaction_report(make.session, collaborator)
    assert _actual(report) == _expected([row for row in plan if "bob" in row[2]])


def test_report_page_shows_the_numbers_and_refuses_bad_dates(app, client, make):
    plan, _ann, _bob = _world(make)
    admin = make.user("Admin")
    browser = Browser(app, client, admin.username)
    page = browser.page("/satisfaction/report?start=2024-03-01&end=2024-03-31")
    march = [row for row in plan if row[1].month == 3]
    assert f'class="rd-total">{len(march)}<' in page
    average = sum(row[0] for row in march) / len(march)
    assert f'class="rd-average">{average:.2f}<' in page
    assert "2024-03" in page and "2024-01" not in page
    bad = browser.get("/satisfaction/report?start=yesterday")
    assert bad.status_code == 400 and "is not a date (YYYY-MM-DD)" in bad.get_data(as_text=True)
    backwards = browser.get("/satisfaction/report?start=2024-03-02&end=2024-03-01")
    assert backwards.status_code == 400
    assert "before its start" in backwards.get_data(as_text=True)
    assert make.session.query(SatisfactionRating).count() == len(plan)
