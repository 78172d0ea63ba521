"""The calendar: month and week ranges, day counts with "+N more", one day paged by keyset,
visibility and filters, and errors naming the bad argument."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest

from tests.clients import Browser
from tests.factories import quick_user


@pytest.fixture
def desk(app, client, make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    agent = quick_user(make, "Agent", teams=[team])
    return SimpleNamespace(make=make, team=team, project=project, agent=agent,
                           other=make.project(teams=[make.team()]))


def get(app, user, url: str) -> Any:
    return Browser(app, app.test_client(), user.username).get(url)


def due(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute))


def days_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["date"]: d for d in body["days"]}


def test_month_and_week_cover_whole_weeks_around_the_date(app, desk):
    body = get(app, desk.agent, "/views/calendar/data?mode=month&date=2026-03-18").get_json()
    # March 2026 starts on a Sunday and ends on a Tuesday: Mon 23 Feb … Sun 5 Apr.
    assert (body["start"], body["end"]) == ("2026-02-23", "2026-04-06")
    assert len(body["days"]) == 42 and body["days"][0]["date"] == "2026-02-23"
    body = get(app, desk.agent, "/views/calendar/data?mode=week&date=2026-03-18").get_json()
    assert (body["start"], body["end"]) == ("2026-03-16", "2026-03-23")
    assert [d["date"] for d in body["days"]][-1] == "2026-03-22"
    body = get(app, desk.agent, "/views/calendar/data?mode=month&date=2026-06-01").get_json()
    assert (body["start"], body["end"]) == ("2026-06-01", "2026-07-06")


def test_items_by_due_day_with_more_on_a_busy_day(app, desk):
    make = desk.make
    busy = [make.item(desk.project, due_at=due("2026-03-10", h)) for h in (15, 8, 11, 9, 17)]
    single = make.item(desk.project, due_at=due("2026-03-12", 23, 59))
    make.item(desk.project, due_at=due("2026-05-02"))  # outside the month grid
    make.item(desk.project)  # no due date
    make.item(desk.other, due_at=due("2026-03-10"))  # another team's project

    body = get(app, desk.agent, "/views/calendar/data?date=2026-03-01&per_day=3").get_json()
    days = days_of(body)
    assert days["2026-03-10"]["count"] == 5
    by_time = sorted(busy, key=lambda i: (i.due_at, i.id))
    assert [c["id"] for c in days["2026-03-10"]["items"]] == [i.id for i in by_time[:3]]
    assert days["2026-03-12"]["count"] == 1
    assert days["2026-03-12"]["items"][0]["id"] == single.id
    assert days["2026-03-12"]["items"][0]["due_at"] == "2026-03-12T23:59:00"
    assert sum(d["count"] for d in body["days"]) == 6

    seen: list[int] = []
    cursor = ""
    while True:
        page = get(app, desk.agent, "/views/calendar/items?day=2026-03-10&page_size=2"
                   + (f"&cursor={cursor}" if cursor else "")).get_json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i.id for i in by_time]


def test_a_collaborator_sees_only_their_items(app, desk):
    make = desk.make
    helper = quick_user(make, "Collaborator")
    mine = make.item(desk.project, due_at=due("2026-03-10"))
    mine.assignee_users = [helper]
    make.session.commit()
    make.item(desk.project, due_at=due("2026-03-10", 10))
    make.item(desk.project, due_at=due("2026-03-11"))

    body = get(app, helper, "/views/calendar/data?mode=week&date=2026-03-10").get_json()
    assert {d["date"]: d["count"] for d in body["days"] if d["count"]} == {"2026-03-10": 1}
    assert [c["id"] for c in days_of(body)["2026-03-10"]["items"]] == [mine.id]
    page = get(app, helper, "/views/calendar/items?day=2026-03-10").get_json()
    assert [c["id"] for c in page["items"]] == [mine.id]


def test_filters_narrow_the_days(app, desk):
    make = desk.make
    urgent = make.item(desk.project, due_at=due("2026-03-10"), priority=5, title="Server down")
    make.item(desk.project, due_at=due("2026-03-10", 10), priority=1)
    make.item(desk.project, due_at=due("2026-03-11"), priority=5)

    body = get(app, desk.agent,
               "/views/calendar/data?date=2026-03-10&priority=5&due_to=2026-03-10").get_json()
    assert {d["date"]: d["count"] for d in body["days"] if d["count"]} == {"2026-03-10": 1}
    body = get(app, desk.agent, "/views/calendar/data?date=2026-03-10&q=server").get_json()
    assert [c["id"] for d in body["days"] for c in d["items"]] == [urgent.id]


def test_the_page_draws_the_grid_and_keeps_filters_in_its_links(app, desk):
    html = Browser(app, app.test_client(), desk.agent.username).page(
        "/views/calendar/?mode=week&date=2026-03-18&priority=5")
    assert re.findall(r'<section class="rd-day[^"]*"\s+data-date="([\d-]+)"', html) == [
        f"2026-03-{d}" for d in range(16, 23)]
    assert "date=2026-03-11" in html and "date=2026-03-25" in html  # previous, next week
    assert "priority=5" in html.split("rd-cal-head", 1)[1]
    assert "Sortable.min.js" in html


@pytest.mark.parametrize("query, argument", [
    ("mode=year", "mode"), ("date=18.03.2026", "date"), ("per_day=0", "per_day"),
    ("per_day=x", "per_day"), ("priority=9", "priority"), ("colour=red", "colour"),
])
def test_bad_arguments_are_422_naming_the_argument(app, desk, query, argument):
    response = get(app, desk.agent, f"/views/calendar/data?{query}")
    assert response.status_code == 422
    assert argument in response.get_json()["errors"]


@pytest.mark.parametrize("query, argument", [
    ("", "day"), ("day=soon", "day"), ("day=2026-03-10&cursor=zz", "cursor"),
    ("day=2026-03-10&page_size=999", "page_size"),
])
def test_bad_day_arguments_are_422(app, desk, query, argument):
    response = get(app, desk.agent, f"/views/calendar/items?{query}")
    assert response.status_code == 422
    assert argument in response.get_json()["errors"]


def test_the_page_flashes_bad_arguments(app, desk):
    browser = Browser(app, app.test_client(), desk.agent.username)
    response = browser.get("/views/calendar/?mode=year")
    assert response.status_code == 302
    assert "'year' is not one of month, week" in browser.page("/views/calendar/").replace(
        "&#39;", "'")
