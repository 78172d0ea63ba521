"""Actual dates follow the workflow: entering an "in progress" status sets actual_start,
entering "done" sets actual_finish (and actual_start when empty); dates typed by hand win
(issue 17, point 12). Through PUT /api/v1/task/<id>."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tests.factories import ApiClient, Factory
from webapp.models import ItemKind, Status, utcnow


class Tasks:
    def __init__(self, app: Any, make: Factory) -> None:
        self.api = ApiClient(app.test_client(), make.user("Admin").username)
        self.project = make.project(teams=[make.team()]).id
        self.task_type = make.item_type(ItemKind.TASK, "Task")
        self.status = {s.name: s.id for s in make.session.scalars(
            select(Status).where(Status.item_type_id == self.task_type.id))}

    def create(self, **fields: Any) -> int:
        response = self.api.post("/api/v1/task/", json={
            "title": "Install the router", "item_type": self.task_type.id,
            "project": self.project, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def put(self, task_id: int, **fields: Any) -> dict[str, Any]:
        if "status" in fields:
            fields["status"] = self.status[fields["status"]]
        response = self.api.put(f"/api/v1/task/{task_id}", json=fields)
        assert response.status_code == 200, response.get_json()
        return self.dates(task_id)

    def dates(self, task_id: int) -> dict[str, Any]:
        shown = self.api.get(f"/api/v1/task/{task_id}").get_json()["result"]
        return {"start": shown["actual_start"], "finish": shown["actual_finish"]}


def _today() -> set[str]:
    # The rule dates a change in UTC; a test running over midnight accepts either day.
    now = utcnow().date()
    return {now.isoformat(), (now + dt.timedelta(days=1)).isoformat()}


def test_statuses_set_actual_dates_once(app: Any, make: Factory) -> None:
    tasks = Tasks(app, make)
    task = tasks.create()
    assert tasks.dates(task) == {"start": None, "finish": None}

    started = tasks.put(task, status="In progress")
    assert started["start"] in _today() and started["finish"] is None
    # Another status of the same category, or a back-and-forth, keeps the first date.
    assert tasks.put(task, status="Blocked") == started
    assert tasks.put(task, title="Install the new router") == started

    done = tasks.put(task, status="Done")
    assert done["start"] == started["start"] and done["finish"] in _today()
    # Reopened and done again: the dates already there stay.
    assert tasks.put(task, status="In progress") == done
    assert tasks.put(task, status="Done") == done


def test_straight_to_done_sets_both(app: Any, make: Factory) -> None:
    tasks = Tasks(app, make)
    task = tasks.create()
    done = tasks.put(task, status="Done")
    assert done["start"] in _today() and done["finish"] == done["start"]
    # Created directly in an "in progress" status.
    other = tasks.create(status=tasks.status["In progress"])
    assert tasks.dates(other)["start"] in _today()


def test_dates_typed_by_hand_win(app: Any, make: Factory) -> None:
    tasks = Tasks(app, make)
    task = tasks.create(actual_start="2026-11-02")
    # Typed in the same change as the status: kept.
    assert tasks.put(task, status="In progress", actual_start="2026-10-01") == {
        "start": "2026-10-01", "finish": None}
    assert tasks.put(task, status="Done", actual_finish="2026-10-20") == {
        "start": "2026-10-01", "finish": "2026-10-20"}

    # Typed earlier: kept too.
    earlier = tasks.create()
    tasks.put(earlier, actual_start="2026-09-15")
    done = tasks.put(earlier, status="Done")
    assert done["start"] == "2026-09-15" and done["finish"] in _today()

    # A "New" status sets nothing.
    untouched = tasks.create()
    assert tasks.put(untouched, status="Not started", title="still waiting") == {
        "start": None, "finish": None}


def test_a_start_planned_by_hand_after_today_finishes_no_earlier(
        app: Any, make: Factory) -> None:
    tasks = Tasks(app, make)
    future = (utcnow().date() + dt.timedelta(days=10)).isoformat()
    task = tasks.create(actual_start=future)
    assert tasks.put(task, status="Done") == {"start": future, "finish": future}
