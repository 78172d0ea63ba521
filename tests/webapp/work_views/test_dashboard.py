"""The dashboard's page and data endpoint over HTTP: what each role gets, the range and
filter arguments, errors naming the bad argument, and the chart library served locally."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest

from tests.clients import Browser
from tests.factories import quick_user


@pytest.fixture
def desk(app, make) -> SimpleNamespace:
    team = make.team()
    project = make.project(teams=[team])
    return SimpleNamespace(make=make, project=project,
                           agent=quick_user(make, "Agent", teams=[team]),
                           reader=quick_user(make, "Read-only", teams=[team]),
                           other=make.project(teams=[make.team()]))


def get(app, user, url: str) -> Any:
    return Browser(app, app.test_client(), user.username).get(url)


def test_the_data_counts_what_the_viewer_may_see(app, desk):
    when = dt.datetime(2026, 3, 4, 9, 0)
    for _ in range(3):
        desk.make.item(desk.project, created_at=when, priority=2)
    desk.make.item(desk.project, created_at=when, priority=4)
    desk.make.item(desk.other, created_at=when)
    query = "/views/dashboard/data?from=2026-03-01&to=2026-03-07"
    for user in (desk.agent, desk.reader):
        response = get(app, user, query)
        assert response.status_code == 200
        body = response.get_json()
        assert body["buckets"] == [f"2026-03-0{d}" for d in range(1, 8)]
        assert body["opened"] == [0, 0, 0, 4, 0, 0, 0]
    assert get(app, desk.agent, query + "&priority=4").get_json()["totals"]["opened"] == 1
    assert get(app, desk.agent, query + "&project=" + str(desk.other.id)
               ).get_json()["totals"]["opened"] == 0


@pytest.mark.parametrize("query, argument", [
    ("from=2026-02-30", "from"), ("to=tomorrow", "to"), ("bucket=hour", "bucket"),
    ("from=2026-03-02&to=2026-03-01", "to"), ("from=2016-01-01&to=2026-01-01&bucket=day", "bucket"),
    ("priority=9", "priority"), ("colour=red", "colour"), ("cf.nothing=1", "cf.nothing"),
])
def test_bad_arguments_are_422_naming_the_argument(app, desk, query, argument):
    response = get(app, desk.agent, f"/views/dashboard/data?{query}")
    assert response.status_code == 422
    assert argument in response.get_json()["errors"]


def test_anonymous_callers_get_nothing(app, desk):
    client = app.test_client()
    assert client.get("/views/dashboard/data").status_code == 401
    response = client.get("/views/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_offers_the_range_and_loads_charts_from_the_package(app, desk):
    html = Browser(app, app.test_client(), desk.agent.username).page(
        "/views/dashboard/?from=2026-03-01&to=2026-03-31&bucket=week&priority=5")
    assert 'id="rd-dashboard"' in html
    assert 'data-data-url="/views/dashboard/data"' in html
    assert re.search(r'value="2026-03-01"', html) and re.search(r'value="2026-03-31"', html)
    assert "priority=5" in html  # the filter travels to the data request
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert any(src.startswith("/static/vendor/chartjs/") for src in scripts)
    assert all(not src.startswith(("http:", "https:", "//")) for src in scripts)
    for src in scripts:
        if "chartjs" in src or "work_dashboard" in src:
            assert app.test_client().get(src).status_code == 200
    # The switcher above every view links to the dashboard.
    assert 'href="/views/dashboard/' in Browser(app, app.test_client(),
                                                desk.agent.username).page("/views/list/")


def test_the_page_flashes_bad_arguments(app, desk):
    browser = Browser(app, app.test_client(), desk.agent.username)
    response = browser.get("/views/dashboard/?bucket=hour")
    assert response.status_code == 302
    assert "'hour' is not one of day, week, month" in browser.page(
        "/views/dashboard/").replace("&#39;", "'")
