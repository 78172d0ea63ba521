"""The Gantt data: planned and actual bars, dependencies, the critical path the test works
out from its own durations, visibility, filters, cycles, bar colours, and bad arguments."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from tests.clients import Browser
from tests.factories import quick_user
from webapp.models import ItemKind, WorkspaceSetting, utcnow

D = dt.date(2024, 3, 1)


def days(start: dt.date, finish: dt.date) -> int:
    return (finish - start).days + 1


@pytest.fixture
def plan(app, client, make) -> SimpleNamespace:
    """A → B → D and A → C → D, plus a ticket and another team's project."""
    team = make.team()
    project = make.project(teams=[team])
    agent = quick_user(make, "Agent", teams=[team])

    def task(title: str, start: dt.date, finish: dt.date, after: list[Any] = (), **kw: Any) -> Any:
        return make.item(project, ItemKind.TASK, title=title, planned_start=start,
                         planned_finish=finish, predecessors=list(after), **kw)

    a = task("Design", D, D + dt.timedelta(days=2), actual_start=D,
             actual_finish=D + dt.timedelta(days=3), percent_complete=100)
    b = task("Build", D + dt.timedelta(days=3), D + dt.timedelta(days=7), [a],
             actual_start=D + dt.timedelta(days=4), percent_complete=40)
    c = task("Buy parts", D + dt.timedelta(days=3), D + dt.timedelta(days=4), [a])
    d = task("Ship", D + dt.timedelta(days=8), D + dt.timedelta(days=9), [b, c])
    ticket = make.item(project, ItemKind.TICKET, title="A ticket in the project")
    other = make.project(teams=[make.team()])
    make.item(other, ItemKind.TASK, title="Elsewhere", planned_start=D, planned_finish=D)
    return SimpleNamespace(make=make, project=project, agent=agent, a=a, b=b, c=c, d=d,
                           ticket=ticket, other=other, team=team)


def get(app, client, user, url: str) -> Any:
    return Browser(app, app.test_client(), user.username).get(url)


def test_bars_dependencies_and_critical_path(app, client, plan):
    response = get(app, client, plan.agent, f"/views/gantt/data?project={plan.project.id}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    tasks = {t["id"]: t for t in body["tasks"]}
    made = [plan.a, plan.b, plan.c, plan.d]
    assert set(tasks) == {t.id for t in made}  # tasks only, this project only
    for item in made:
        bar = tasks[item.id]
        assert bar["planned_start"] == item.planned_start.isoformat()
        assert bar["planned_finish"] == item.planned_finish.isoformat()
        assert bar["actual_start"] == (item.actual_start.isoformat() if item.actual_start else None)
    assert tasks[plan.a.id]["actual_end"] == plan.a.actual_finish.isoformat()
    # B started and has not finished: its actual bar runs to today
    assert tasks[plan.b.id]["in_progress"] is True
    assert tasks[plan.b.id]["actual_end"] == max(utcnow().date(), plan.b.actual_start).isoformat()
    assert tasks[plan.c.id]["actual_end"] is None
    assert {(d["from"], d["to"]) for d in body["dependencies"]} == {
        (plan.a.id, plan.b.id), (plan.a.id, plan.c.id), (plan.b.id, plan.d.id),
        (plan.c.id, plan.d.id)}

    # The longer of the two chains A-B-D and A-C-D is the critical one.
    chains = [[plan.a, plan.b, plan.d], [plan.a, plan.c, plan.d]]
    lengths = [sum(days(t.planned_start, t.planned_finish) for t in chain) for chain in chains]
    longest = chains[lengths.index(max(lengths))]
    assert body["critical_days"] == max(lengths)
    assert {i for i, t in tasks.items() if t["critical"]} == {t.id for t in longest}
    critical_links = {(d["from"], d["to"]) for d in body["dependencies"] if d["critical"]}
    assert critical_links == {(x.id, y.id) for x, y in zip(longest, longest[1:], strict=False)}
    assert body["error"] is None


def test_filters_narrow_the_tasks_and_their_links(app, client, plan):
    body = get(app, client, plan.agent,
               f"/views/gantt/data?project={plan.project.id}&q=Bu").get_json()
    shown = {t["id"] for t in body["tasks"]}
    assert shown == {plan.b.id, plan.c.id}  # "Build", "Buy parts"
    assert body["dependencies"] == []  # their predecessor and successor are filtered out


def test_a_dependency_cycle_is_reported_not_followed(app, client, plan):
    plan.a.predecessors = [plan.d]
    plan.make.session.commit()
    response = get(app, client, plan.agent, f"/views/gantt/data?project={plan.project.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert "cycle" in body["error"] and f"#{plan.a.id}" in body["error"]
    assert not any(t["critical"] for t in body["tasks"])
    assert body["critical_days"] is None


def test_outsiders_get_nothing(app, client, plan):
    outsider = quick_user(plan.make, "Agent", teams=[plan.make.team()])
    teamless = quick_user(plan.make, "Agent")
    for user in (outsider, teamless):
        response = get(app, client, user, f"/views/gantt/data?project={plan.project.id}")
        assert response.status_code == 404
        assert "project" in response.get_json()["errors"]
        page = get(app, client, user, f"/views/gantt/?project={plan.project.id}")
        assert page.status_code == 200
        assert "data-url" not in page.get_data(as_text=True)
    # the agent cannot reach the other team's project either
    assert get(app, client, plan.agent,
               f"/views/gantt/data?project={plan.other.id}").status_code == 404


def test_a_collaborator_sees_only_the_tasks_they_work_on(app, client, plan):
    collaborator = quick_user(plan.make, "Collaborator")
    plan.b.assignee_users = [collaborator]
    plan.make.session.commit()
    body = get(app, client, collaborator,
               f"/views/gantt/data?project={plan.project.id}").get_json()
    assert [t["id"] for t in body["tasks"]] == [plan.b.id]


@pytest.mark.parametrize("query,bad", [
    ("", "project"),
    ("project=abc", "project"),
    ("project={p}&project={o}", "project"),
    ("project={p}&priority=9", "priority"),
    ("project={p}&colour=red", "colour"),
    ("project={p}&due_from=soon", "due_from"),
])
def test_bad_arguments_are_422_naming_the_argument(app, client, plan, query, bad):
    query = query.format(p=plan.project.id, o=plan.other.id)
    response = get(app, client, plan.agent, f"/views/gantt/data?{query}")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [bad]


def test_the_page_waits_for_a_project_and_flashes_bad_arguments(app, client, plan):
    browser = Browser(app, app.test_client(), plan.agent.username)
    assert "Choose a project" in browser.page("/views/gantt/")
    html = browser.page(f"/views/gantt/?project={plan.project.id}")
    assert f"/views/gantt/data?project={plan.project.id}" in html
    assert "work_gantt.js" in html
    html = browser.page(f"/views/gantt/?project={plan.project.id}&priority=9")
    assert "priority" in html and "data-url" not in html


def test_bar_colours_are_saved_by_writers_and_checked(app, client, plan):
    browser = Browser(app, app.test_client(), plan.agent.username)
    bad = browser.post("/views/gantt/colours", json={"planned": "blue", "shadow": "#000000"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"planned", "shadow"}
    saved = browser.post("/views/gantt/colours", json={"critical": "#AA0011"})
    assert saved.status_code == 200
    assert saved.get_json()["colours"]["critical"] == "#aa0011"
    body = browser.get(f"/views/gantt/data?project={plan.project.id}").get_json()
    assert body["colours"]["critical"] == "#aa0011"
    plan.make.session.expire_all()
    assert plan.make.session.get(WorkspaceSetting, "gantt_colours").value["critical"] == "#aa0011"

    reader = quick_user(plan.make, "Read-only", teams=[plan.team])
    refused = Browser(app, app.test_client(), reader.username).post(
        "/views/gantt/colours", json={"critical": "#000000"})
    assert refused.status_code in (401, 403)
    assert Browser(app, app.test_client(), reader.username).get(
        f"/views/gantt/data?project={plan.project.id}").status_code == 200
