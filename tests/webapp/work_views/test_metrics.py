"""The dashboard's figures on both backends: every expected number is computed by the test
from the rows it made (dates, offsets, scores, hours), for an Agent who sees one team's
projects and for an Admin who sees everything."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update

from tests.factories import quick_user, timesheet
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import (
    Item,
    ItemSla,
    Message,
    SlaPolicy,
    Status,
    StatusCategory,
    utcnow,
)
from webapp.models.satisfaction import SatisfactionRating
from webapp.work_views import metrics
from webapp.work_views.metrics import Range, dashboard_data

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture
def desk(app, make) -> SimpleNamespace:
    team = make.team()
    agent = quick_user(make, "Agent", teams=[team])
    admin = quick_user(make, "Admin")
    mine = make.project(teams=[team], name="Mine")
    second = make.project(teams=[team], name="Second")
    hidden = make.project(teams=[make.team()], name="Hidden")
    return SimpleNamespace(make=make, agent=agent, admin=admin, mine=mine, second=second,
                           hidden=hidden, customer=make.customer(), policy=None)


def figures(user: Any, **args: str) -> dict[str, Any]:
    return dashboard_data(db.session, {**MARCH, **args}, Viewer.for_user(user))


def status_of(item: Item, category: StatusCategory) -> Status:
    return next(s for s in item.item_type.statuses if s.category == category)


def ticket(desk: SimpleNamespace, created: str, solved: str | None = None,
           project: Any = None, **kw: Any) -> Item:
    """A ticket created at ``created``; with ``solved``, moved to a done status then."""
    item = desk.make.item(project or desk.mine, created_at=at(created), **kw)
    if solved is not None:
        # A Core UPDATE: the ORM's hook would stamp status_changed_at with the clock.
        db.session.execute(update(Item).where(Item.id == item.id).values(
            status_id=status_of(item, StatusCategory.DONE).id,
            status_changed_at=at(solved)))
        db.session.commit()
        db.session.refresh(item)
    return item


def reply(desk: SimpleNamespace, item: Item, hours: float, *, public: bool = True,
          staff: bool = True) -> Message:
    row = Message(item_id=item.id, body_html="<p>Hi</p>", is_public=public,
                  author_user_id=desk.agent.id if staff else None,
                  author_customer_id=None if staff else desk.customer.id,
                  created_at=item.created_at + dt.timedelta(hours=hours))
    db.session.add(row)
    db.session.commit()
    return row


def test_opened_and_solved_per_day_week_and_month(app, desk):
    created = ["2026-03-02 09:00", "2026-03-02 17:30", "2026-03-05 10:00", "2026-03-31 23:59",
               "2026-03-16 00:00", "2026-03-20 10:00"]
    solved = {"2026-03-02 09:00": "2026-03-04 12:00", "2026-03-16 00:00": "2026-03-16 08:00",
              "2026-03-20 10:00": "2026-04-02 10:00"}  # the last one solved after the range
    for when in created:
        ticket(desk, when, solved.get(when))
    ticket(desk, "2026-02-27 10:00", "2026-03-02 08:00")  # opened before, solved inside
    ticket(desk, "2026-04-01 00:00")  # the day after the range
    ticket(desk, "2026-03-02 11:00", project=desk.hidden)  # another team's project
    inside = created
    solved_inside = ["2026-03-04 12:00", "2026-03-16 08:00", "2026-03-02 08:00"]

    def per(bucket_of: Any, whens: list[str]) -> Counter[str]:
        return Counter(bucket_of(at(w).date()).isoformat() for w in whens)

    for bucket, bucket_of in (
            ("day", lambda d: d),
            ("week", lambda d: d - dt.timedelta(days=d.weekday())),
            ("month", lambda d: d.replace(day=1))):
        body = figures(desk.agent, bucket=bucket)
        assert body["bucket"] == bucket
        opened, done = per(bucket_of, inside), per(bucket_of, solved_inside)
        assert dict(zip(body["buckets"], body["opened"], strict=True)) == {
            b: opened.get(b, 0) for b in body["buckets"]}
        assert dict(zip(body["buckets"], body["solved"], strict=True)) == {
            b: done.get(b, 0) for b in body["buckets"]}
        assert set(opened) <= set(body["buckets"])
    week = figures(desk.agent, bucket="week")
    # 1 March 2026 is a Sunday: its week starts on Monday 23 February.
    assert week["buckets"][0] == "2026-02-23" and week["buckets"][-1] == "2026-03-30"
    assert figures(desk.agent, bucket="month")["buckets"] == ["2026-03-01"]
    assert figures(desk.agent)["totals"]["opened"] == len(inside)
    assert figures(desk.admin)["totals"]["opened"] == len(inside) + 1


def test_backlog_counts_open_items_per_status_in_workflow_order(app, desk):
    sample = ticket(desk, "2026-03-02 09:00")
    statuses = sample.item_type.statuses
    open_statuses = [s for s in statuses if s.category != StatusCategory.DONE]
    wanted = {s.id: n + 1 for n, s in enumerate(open_statuses)}
    wanted[sample.status_id] -= 1  # the sample already counts once
    for status_id, count in wanted.items():
        for _ in range(count):
            item = ticket(desk, "2026-01-05 09:00")
            db.session.execute(update(Item).where(Item.id == item.id)
                               .values(status_id=status_id))
    db.session.commit()
    ticket(desk, "2026-03-03 09:00", "2026-03-04 09:00")  # done: not backlog
    ticket(desk, "2026-03-03 09:00", project=desk.hidden)
    body = figures(desk.agent)
    rows = [r for r in body["backlog"] if r["type"] == sample.item_type.name]
    assert [r["status_id"] for r in rows] == [s.id for s in sorted(
        open_statuses, key=lambda s: (s.position, s.id))]
    assert {r["status_id"]: r["count"] for r in rows} == {
        s.id: n + 1 for n, s in enumerate(open_statuses)}
    assert all(r["category"] != "done" for r in body["backlog"])
    assert body["totals"]["backlog"] == sum(n + 1 for n in range(len(open_statuses)))
    assert figures(desk.admin)["totals"]["backlog"] == body["totals"]["backlog"] + 1


def test_first_response_and_resolution_times(app, desk):
    offsets = {"2026-03-02 09:00": 1.5, "2026-03-02 12:00": 3.0, "2026-03-09 08:00": 10.0,
               "2026-03-10 08:00": 0.25}
    for created, hours in offsets.items():
        item = ticket(desk, created)
        reply(desk, item, hours / 2, public=False)  # a private note is no response
        reply(desk, item, hours / 3, staff=False)  # nor is the customer's own message
        reply(desk, item, hours)
        reply(desk, item, hours + 5)  # later replies do not count
    unanswered = ticket(desk, "2026-03-03 09:00")
    reply(desk, unanswered, 1, public=False)
    late = ticket(desk, "2026-03-30 20:00")
    reply(desk, late, 30)  # answered on 1 April: outside the range
    hidden = ticket(desk, "2026-03-02 09:00", project=desk.hidden)
    reply(desk, hidden, 100)

    resolutions = {("2026-03-01 00:00", "2026-03-02 00:00"): 24.0,
                   ("2026-03-03 06:00", "2026-03-05 06:30"): 48.5,
                   ("2026-03-20 10:00", "2026-03-20 13:00"): 3.0}
    for (created, solved), _ in resolutions.items():
        ticket(desk, created, solved)

    body = figures(desk.agent, bucket="week")
    first = body["times"]["first_response"]
    assert first["count"] == len(offsets)
    assert first["median_hours"] == pytest.approx(statistics.median(offsets.values()), abs=0.01)
    assert first["average_hours"] == pytest.approx(statistics.mean(offsets.values()), abs=0.01)
    weeks = dict(zip(body["buckets"], first["by_bucket"], strict=True))
    assert weeks["2026-03-02"] == pytest.approx(statistics.median([1.5, 3.0]), abs=0.01)
    assert weeks["2026-03-09"] == pytest.approx(statistics.median([10.0, 0.25]), abs=0.01)
    assert weeks["2026-03-16"] is None

    solved = body["times"]["resolution"]
    assert solved["count"] == len(resolutions) == body["totals"]["solved"]
    assert solved["median_hours"] == pytest.approx(statistics.median(resolutions.values()))
    assert solved["average_hours"] == pytest.approx(
        round(statistics.mean(resolutions.values()), 2))
    assert figures(desk.admin)["times"]["first_response"]["count"] == len(offsets) + 1


def clock(desk: SimpleNamespace, item: Item, first_hours: float | None,
          resolution_hours: float | None, **recorded: dt.datetime) -> ItemSla:
    if desk.policy is None:
        desk.policy = SlaPolicy(name="Dashboard test policy")
        db.session.add(desk.policy)
        db.session.commit()
    start = item.created_at
    row = ItemSla(item_id=item.id, policy_id=desk.policy.id, started_at=start,
                  first_response_due_at=None if first_hours is None
                  else start + dt.timedelta(hours=first_hours),
                  resolution_due_at=None if resolution_hours is None
                  else start + dt.timedelta(hours=resolution_hours), **recorded)
    db.session.add(row)
    db.session.commit()
    return row


def test_sla_attainment_met_breached_and_pending(app, desk):
    # Replied in 2 h (due 4 h) and solved in 30 h (due 24 h): response met, resolution missed.
    a = ticket(desk, "2026-03-02 09:00", "2026-03-03 15:00")
    reply(desk, a, 2)
    clock(desk, a, 4, 24)
    # Never answered nor solved, both due times passed: both breached.
    b = ticket(desk, "2026-03-10 09:00")
    clock(desk, b, 4, 24)
    # The scanner recorded a late response (no message needed); solved in time.
    c = ticket(desk, "2026-03-11 09:00", "2026-03-11 12:00")
    clock(desk, c, 4, 8, first_responded_at=at("2026-03-11 14:00"))
    # Replied in time; its resolution falls due in April (outside the range).
    d = ticket(desk, "2026-03-31 09:00")
    reply(desk, d, 1)
    clock(desk, d, 4, 24 * 5)
    clock(desk, ticket(desk, "2026-03-02 09:00", project=desk.hidden), 4, 24)

    body = figures(desk.agent, bucket="week")
    response, resolution = body["sla"]["first_response"], body["sla"]["resolution"]
    assert (response["met"], response["breached"], response["pending"]) == (2, 2, 0)
    assert response["percent"] == 50.0
    assert (resolution["met"], resolution["breached"], resolution["pending"]) == (1, 2, 0)
    assert resolution["percent"] == pytest.approx(round(100 / 3, 1))
    weeks = dict(zip(body["buckets"], response["by_bucket"], strict=True))
    assert weeks["2026-03-02"] == 100.0  # a, due 2 March 13:00
    assert weeks["2026-03-09"] == 0.0  # b and c, both missed
    assert weeks["2026-03-30"] == 100.0  # d
    assert weeks["2026-03-16"] is None
    assert figures(desk.admin)["sla"]["first_response"]["breached"] == 3


def test_sla_targets_not_yet_due_are_pending(app, desk):
    now = utcnow().replace(microsecond=0)
    item = desk.make.item(desk.mine, created_at=now - dt.timedelta(hours=1))
    clock(desk, item, 4, 48)
    today = now.date()
    body = dashboard_data(db.session, {"from": (today - dt.timedelta(days=3)).isoformat(),
                                       "to": (today + dt.timedelta(days=3)).isoformat()},
                          Viewer.for_user(desk.agent))
    for target in ("first_response", "resolution"):
        found = body["sla"][target]
        assert (found["met"], found["breached"], found["pending"]) == (0, 0, 1)
        assert found["percent"] is None


def test_satisfaction_average_distribution_and_buckets(app, desk):
    scores = {"2026-03-02 10:00": 5, "2026-03-03 10:00": 4, "2026-03-10 10:00": 2,
              "2026-03-11 10:00": 5, "2026-03-12 10:00": 1}
    for when, score in scores.items():
        item = ticket(desk, "2026-02-20 09:00", "2026-02-21 09:00")
        db.session.add(SatisfactionRating(item_id=item.id, score=score, created_at=at(when)))
    outside = ticket(desk, "2026-02-20 09:00")
    db.session.add(SatisfactionRating(item_id=outside.id, score=1,
                                      created_at=at("2026-04-01 10:00")))
    hidden = ticket(desk, "2026-02-20 09:00", project=desk.hidden)
    db.session.add(SatisfactionRating(item_id=hidden.id, score=1,
                                      created_at=at("2026-03-05 10:00")))
    db.session.commit()

    body = figures(desk.agent, bucket="week")["satisfaction"]
    values = list(scores.values())
    assert body["count"] == len(values)
    assert body["average"] == pytest.approx(round(statistics.mean(values), 2))
    assert body["per_score"] == {str(n): values.count(n) for n in range(1, 6)}
    assert body["satisfied_percent"] == round(100 * sum(v >= 4 for v in values) / len(values), 1)
    weeks = dict(zip(figures(desk.agent, bucket="week")["buckets"], body["by_bucket"],
                     strict=True))
    assert weeks["2026-03-02"] == statistics.mean([5, 4])
    assert weeks["2026-03-09"] == pytest.approx(round(statistics.mean([2, 5, 1]), 2))
    assert figures(desk.admin)["satisfaction"]["count"] == len(values) + 1


def test_hours_by_project_and_person(app, desk, monkeypatch):
    ann = quick_user(desk.make, "Agent", name="ann")
    ann.first_name, ann.last_name = "Ann", "Agent"
    bob = quick_user(desk.make, "Agent", name="bob")
    bob.first_name, bob.last_name = "", ""
    db.session.commit()
    mine, second = ticket(desk, "2026-02-01 09:00"), ticket(desk, "2026-02-01 09:00",
                                                          project=desk.second)
    logged = [(mine, ann, "3.5", 2), (mine, bob, "2", 3), (second, ann, "1.25", 31),
              (second, bob, "4", 20)]
    for item, user, hours, day in logged:
        timesheet(desk.make, item, user, hours, work_date=dt.date(2026, 3, day))
    timesheet(desk.make, mine, ann, "7", work_date=dt.date(2026, 4, 1))  # outside
    hidden = ticket(desk, "2026-02-01 09:00", project=desk.hidden)
    timesheet(desk.make, hidden, ann, "9", work_date=dt.date(2026, 3, 5))

    def totals(key: Any) -> dict[Any, float]:
        found: Counter[Any] = Counter()
        for item, user, hours, _ in logged:
            found[key(item, user)] += float(Decimal(hours))
        return dict(found)

    body = figures(desk.agent)["hours"]
    assert body["total"] == sum(float(h) for _, _, h, _ in logged)
    by_project = totals(lambda item, user: item.project_id)
    assert [(r["id"], r["hours"]) for r in body["by_project"]] == sorted(
        by_project.items(), key=lambda kv: -kv[1])
    assert {r["id"]: r["name"] for r in body["by_project"]} == {
        desk.mine.id: "Mine", desk.second.id: "Second"}
    by_person = totals(lambda item, user: user.id)
    assert {r["id"]: r["hours"] for r in body["by_person"]} == by_person
    # A name when the user has one, else the login.
    assert {r["id"]: r["name"] for r in body["by_person"]} == {ann.id: "Ann Agent",
                                                               bob.id: "bob"}
    assert figures(desk.admin)["hours"]["total"] == body["total"] + 9

    monkeypatch.setattr(metrics, "TOP_ROWS", 1)
    top = figures(desk.agent)["hours"]["by_project"]
    assert top[0]["hours"] == max(by_project.values())
    assert top[1] == {"id": None, "name": "Other (1)", "hours": min(by_project.values())}


def test_the_filter_narrows_every_figure(app, desk):
    urgent = ticket(desk, "2026-03-02 09:00", "2026-03-03 09:00", priority=5)
    calm = ticket(desk, "2026-03-02 10:00", "2026-03-04 09:00", priority=1)
    for item in (urgent, calm):
        reply(desk, item, 2)
        timesheet(desk.make, item, desk.agent, "2", work_date=dt.date(2026, 3, 2))
        db.session.add(SatisfactionRating(item_id=item.id, score=5,
                                          created_at=at("2026-03-05 10:00")))
    db.session.commit()
    body = figures(desk.agent, priority="5")
    assert body["totals"]["opened"] == body["totals"]["solved"] == 1
    assert body["times"]["first_response"]["count"] == 1
    assert body["satisfaction"]["count"] == 1
    assert body["hours"]["total"] == 2.0
    assert figures(desk.agent)["totals"]["opened"] == 2


def test_collaborators_see_only_their_own_items(app, desk):
    collaborator = quick_user(desk.make, "Collaborator")
    own = ticket(desk, "2026-03-02 09:00", created_by_id=collaborator.id)
    ticket(desk, "2026-03-02 09:00")
    timesheet(desk.make, own, collaborator, "1.5", work_date=dt.date(2026, 3, 2))
    body = figures(collaborator)
    assert body["totals"]["opened"] == 1
    assert body["hours"]["total"] == 1.5
    assert figures(desk.agent)["totals"]["opened"] == 2


def test_range_defaults_and_errors():
    today = dt.date(2026, 11, 24)
    default = Range.parse({}, today)
    assert (default.start, default.end, default.bucket) == (dt.date(2026, 10, 26), today, "day")
    assert len(default.buckets) == 30
    assert Range.parse({"from": "2026-01-01", "to": "2026-06-30"}, today).bucket == "week"
    assert Range.parse({"from": "2024-01-01", "to": "2026-06-30"}, today).bucket == "month"
    starting = Range.parse({"from": "2026-02-01"}, today)
    assert starting.end == dt.date(2026, 3, 2)
    problems = {
        (("from", "2026-13-01"),): "from",
        (("to", "yesterday"),): "to",
        (("from", "2026-03-02"), ("to", "2026-03-01")): "to",
        (("bucket", "hour"),): "bucket",
        (("from", "2020-01-01"), ("to", "2026-01-01"), ("bucket", "day")): "bucket",
        (("from", "2000-01-01"), ("to", "2026-01-01")): "from",
    }
    for args, named in problems.items():
        with pytest.raises(Invalid) as error:
            Range.parse(dict(args), today)
        assert list(error.value.messages) == [named], args
