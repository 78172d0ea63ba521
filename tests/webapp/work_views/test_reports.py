"""Scheduled reports: next slot in the schedule's zone (DST-safe), recipients validated, due
reports mailed to a real SMTP sink with the view's rows (as its owner sees them), each slot
sent once even by two schedulers, errors recorded; the screens and "send now"."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.clients import Browser
from tests.webapp.work_views.test_filters import build_world
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models.saved_views import (
    ReportFormat,
    ReportFrequency,
    ReportSchedule,
    SavedView,
    ViewKind,
)
from webapp.work_views.export import cell
from webapp.work_views.reports import claim, next_run, parse_recipients, send_due_reports

UTC = dt.datetime


def schedule(frequency: str = "daily", hour: int = 8, zone: str = "UTC",
             weekday: int | None = None) -> ReportSchedule:
    return ReportSchedule(frequency=ReportFrequency(frequency), hour=hour, time_zone=zone,
                          weekday=weekday, recipients="a@example.com")


@pytest.mark.parametrize("plan, after, expected", [
    # daily, same day later / next day
    (schedule(hour=8), UTC(2024, 5, 6, 7, 59), UTC(2024, 5, 6, 8)),
    (schedule(hour=8), UTC(2024, 5, 6, 8, 0), UTC(2024, 5, 7, 8)),
    # Lisbon is UTC+1 in summer
    (schedule(hour=8, zone="Europe/Lisbon"), UTC(2024, 7, 1, 6), UTC(2024, 7, 1, 7)),
    # Berlin across spring-forward (31 March 2024): 08:00 local stays 08:00 local
    (schedule(hour=8, zone="Europe/Berlin"), UTC(2024, 3, 30, 7, 30), UTC(2024, 3, 31, 6)),
    (schedule(hour=8, zone="Europe/Berlin"), UTC(2024, 3, 29, 8), UTC(2024, 3, 30, 7)),
    # 02:00 does not exist that day in Berlin: it falls at 03:00 CEST (01:00 UTC)
    (schedule(hour=2, zone="Europe/Berlin"), UTC(2024, 3, 30, 12), UTC(2024, 3, 31, 1)),
    # 02:00 happens twice on 27 October 2024: the first one (CEST, 00:00 UTC), once
    (schedule(hour=2, zone="Europe/Berlin"), UTC(2024, 10, 26, 12), UTC(2024, 10, 27, 0)),
    (schedule(hour=2, zone="Europe/Berlin"), UTC(2024, 10, 27, 0), UTC(2024, 10, 28, 1)),
    # New York: 23:00 local is the next UTC day
    (schedule(hour=23, zone="America/New_York"), UTC(2024, 1, 15, 12), UTC(2024, 1, 16, 4)),
    # weekly on Monday (0) and Sunday (6)
    (schedule("weekly", 9, "UTC", 0), UTC(2024, 5, 8, 12), UTC(2024, 5, 13, 9)),
    (schedule("weekly", 9, "UTC", 0), UTC(2024, 5, 13, 8), UTC(2024, 5, 13, 9)),
    (schedule("weekly", 9, "UTC", 0), UTC(2024, 5, 13, 9), UTC(2024, 5, 20, 9)),
    (schedule("weekly", 7, "Asia/Tokyo", 6), UTC(2024, 5, 8, 0), UTC(2024, 5, 11, 22)),
])
def test_next_run_in_the_schedule_zone(plan, after, expected):
    assert next_run(plan, after) == expected


def test_an_unknown_zone_is_named():
    with pytest.raises(Invalid) as caught:
        next_run(schedule(zone="Mars/Olympus"), UTC(2024, 1, 1))
    assert "time_zone" in caught.value.messages


@pytest.mark.parametrize("text, expected", [
    ("a@example.com", ["a@example.com"]),
    (" a@example.com, b.c+d@sub.example.org ;a@example.com", ["a@example.com",
                                                             "b.c+d@sub.example.org"]),
])
def test_recipients(text, expected):
    assert parse_recipients(text) == expected


@pytest.mark.parametrize("text", ["", " , ", "nobody", "a@b", "a@example.com, x y@z.org",
                                  "<a@example.com>", "a@-example.com"])
def test_bad_recipients_are_named(text):
    with pytest.raises(Invalid) as caught:
        parse_recipients(text)
    assert "recipients" in caught.value.messages


@pytest.fixture
def world(make):
    return build_world(make)


def browser(app, user) -> Browser:
    return Browser(app, app.test_client(), user.username)


def report(make: Any, owner: Any, fmt: str = "csv", query: str = "",
           due: dt.datetime | None = None, columns: list[str] | None = None) -> ReportSchedule:
    """A saved view of ``owner``'s and its schedule, due at ``due``."""
    view = SavedView(name=f"View {owner.username} {fmt}", owner_id=owner.id,
                     kind=ViewKind.LIST, filters={}, sort="-id",
                     columns=columns or ["id", "title", "priority", "sla", "cf.size"])
    if query:
        view.filters = {k: [v] for k, v in (p.split("=") for p in query.split("&"))}
    make.session.add(view)
    make.session.flush()
    plan = ReportSchedule(saved_view_id=view.id, frequency=ReportFrequency.DAILY, hour=7,
                          time_zone="Europe/Lisbon", format=ReportFormat(fmt),
                          recipients="boss@client.example, ops@client.example",
                          next_run_at=due or UTC(2024, 5, 6, 6))
    make.session.add(plan)
    make.session.commit()
    return plan


def api_table(app, owner, view_id: int, columns: list[str]) -> list[list[str]]:
    """The rows the list's data endpoint gives the owner for the saved view."""
    session = browser(app, owner)
    query = urlsplit(session.get(f"/views/saved/{view_id}").headers["Location"]).query
    rows = session.get(f"/views/list/items?{query}&page_size=500").get_json()["rows"]
    return [[cell(r[c]) for c in columns] for r in rows]


def attachment(message: Any) -> tuple[str, bytes]:
    part = next(p for p in message.iter_attachments())
    return part.get_filename(), part.get_content()


def test_a_due_report_is_mailed_with_the_owners_rows(app, world, mail_sink):
    make = world.make
    mail_sink.clear()
    plan = report(make, world.agent)
    columns = plan.saved_view.columns
    now = UTC(2024, 5, 6, 6, 0, 30)
    assert send_due_reports(make.session, now) == 1
    assert len(mail_sink.messages) == 1
    message = mail_sink.messages[0]
    assert sorted(mail_sink.recipients[0]) == ["boss@client.example", "ops@client.example"]
    assert plan.saved_view.name in str(message["Subject"])
    name, data = attachment(message)
    assert name.endswith(".csv")
    table = list(csv.reader(io.StringIO(data.decode() if isinstance(data, bytes) else data)))
    assert table[0] == ["#", "Title", "Priority", "SLA", "Size"]  # the field's label
    expected = api_table(app, world.agent, plan.saved_view_id, columns)
    assert table[1:] == expected
    ids = {row[0] for row in table[1:]}
    assert str(world.items["printer"].id) in ids
    assert str(world.items["foreign"].id) not in ids  # not the agent's to see
    html = message.get_body(("html",)).get_content()
    assert world.items["printer"].title in html and "<table" in html
    assert "<th>Size</th>" in html and "cf.size" not in html

    make.session.expire_all()
    stored = make.session.get(ReportSchedule, plan.id)
    assert stored.last_sent_at == now and stored.last_error is None
    assert stored.next_run_at == UTC(2024, 5, 7, 6)  # 07:00 in Lisbon (summer)
    assert send_due_reports(make.session, now) == 0  # the slot is done
    assert len(mail_sink.messages) == 1


def test_an_xlsx_report_holds_the_rows(app, world, mail_sink):
    make = world.make
    mail_sink.clear()
    plan = report(make, world.admin, "xlsx", query="priority=1")
    columns = plan.saved_view.columns
    assert send_due_reports(make.session, UTC(2024, 5, 6, 7)) == 1
    name, data = attachment(mail_sink.messages[0])
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    values = [[cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["#", "Title", "Priority", "SLA", "Size"]
    assert values[1:] == api_table(app, world.admin, plan.saved_view_id, columns)
    assert len(values) == 3  # the printer and the foreign item (priority 1)


def test_not_yet_due_and_disabled_reports_wait(app, world, mail_sink):
    make = world.make
    mail_sink.clear()
    report(make, world.agent, due=UTC(2024, 5, 6, 9))
    off = report(make, world.admin, due=UTC(2024, 5, 6, 5))
    off.enabled = False
    make.session.commit()
    assert send_due_reports(make.session, UTC(2024, 5, 6, 8)) == 0
    assert mail_sink.messages == []


def test_two_schedulers_send_a_slot_once(app, world, mail_sink):
    make = world.make
    mail_sink.clear()
    plan = report(make, world.agent)
    now = UTC(2024, 5, 6, 6, 1)
    other = Session(db.engine)
    try:
        stale = other.get(ReportSchedule, plan.id)  # the second scheduler read it too
        assert stale.next_run_at == UTC(2024, 5, 6, 6)
        assert send_due_reports(make.session, now) == 1
        assert claim(other, stale, now) is False
        assert send_due_reports(other, now) == 0
    finally:
        other.close()
    assert len(mail_sink.messages) == 1


def test_a_failed_send_is_recorded_and_the_slot_moves_on(app, world, mail_sink):
    make = world.make
    plan = report(make, world.agent)
    before = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = 9  # nothing listens there
    try:
        assert send_due_reports(make.session, UTC(2024, 5, 6, 6, 5)) == 0
    finally:
        app.config["SMTP_PORT"] = before
    make.session.expire_all()
    stored = make.session.get(ReportSchedule, plan.id)
    assert "unreachable" in stored.last_error and stored.last_sent_at is None
    assert stored.next_run_at == UTC(2024, 5, 7, 6)


def form(view_id: int, **extra: Any) -> dict[str, Any]:
    data = {"saved_view": str(view_id), "frequency": "weekly", "weekday": "2", "hour": "9",
            "time_zone": "Europe/Lisbon", "recipients": "boss@client.example",
            "format": "csv", "enabled": "y"}
    data.update(extra)
    return data


def test_the_screen_creates_a_schedule_of_my_own_view(app, world):
    make = world.make
    mine = SavedView(name="Mine", owner_id=world.agent.id, kind=ViewKind.LIST, filters={},
                     columns=[])
    theirs = SavedView(name="Theirs", owner_id=world.admin.id, kind=ViewKind.LIST,
                       filters={}, columns=[])
    make.session.add_all([mine, theirs])
    make.session.commit()
    session = browser(app, world.agent)
    page = session.page("/views/reports/add")
    assert 'data-url="/views/reports/related/saved_view"' in page  # searched, not listed
    found = session.get("/views/reports/related/saved_view").get_json()["results"]
    assert [view["text"] for view in found] == ["Mine"]

    bad = session.post("/views/reports/add", data=form(mine.id, recipients="boss, x@y"))
    assert bad.status_code == 200 and "not an e-mail address" in bad.get_data(as_text=True)
    bad = session.post("/views/reports/add", data=form(mine.id, time_zone="Mars/Base"))
    assert "is not a time zone" in bad.get_data(as_text=True)
    session.post("/views/reports/add", data=form(theirs.id))
    assert make.session.query(ReportSchedule).count() == 0

    done = session.post("/views/reports/add", data=form(mine.id))
    assert done.status_code == 302
    make.session.expire_all()
    created = make.session.query(ReportSchedule).one()
    assert created.saved_view_id == mine.id and created.weekday == 2
    assert created.next_run_at is not None and created.next_run_at.weekday() == 2
    assert created.next_run_at.hour in (8, 9)  # 09:00 Lisbon


def test_schedules_of_others_are_not_listed_nor_sent(app, world, mail_sink):
    make = world.make
    mail_sink.clear()
    theirs = report(make, world.admin)
    mine = report(make, world.agent)
    session = browser(app, world.agent)
    listing = session.page("/views/reports/list/")
    assert mine.saved_view.name in listing and theirs.saved_view.name not in listing
    response = session.post(f"/views/reports/send_now/{theirs.id}")
    assert response.status_code == 302 and mail_sink.messages == []
    response = session.post(f"/views/reports/send_now/{mine.id}")
    assert response.status_code == 302 and len(mail_sink.messages) == 1
    assert session.get(f"/views/reports/show/{theirs.id}").status_code in (302, 404)
    show = session.page(f"/views/reports/show/{mine.id}")
    assert "Send now" in show
