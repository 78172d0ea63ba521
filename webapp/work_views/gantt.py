"""The Gantt view: one project's tasks as planned and actual bars, their dependencies and the
critical path; planned bars are dragged in the browser and saved through the task API.

Page ``/views/gantt/?project=<id>&<filters>``; data ``/views/gantt/data`` (JSON); bar colours
``/views/gantt/colours`` (POST, write right), kept as the workspace setting "gantt_colours".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Response, flash, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.access.scope import Viewer, current_viewer, load_visible
from webapp.commands.errors import Invalid, NotFound
from webapp.extensions import db
from webapp.models import Item, ItemKind, Project, StatusCategory, WorkspaceSetting, utcnow
from webapp.views.labels import add_screen
from webapp.work_views.critical_path import DependencyCycle, critical_path, planned_days
from webapp.work_views.filters import ViewFilter
from webapp.work_views.page import render_view, save_setting

COLOURS_KEY = "gantt_colours"
DEFAULT_COLOURS = {"planned": "#4a7fd6", "actual": "#5cb85c", "critical": "#d9534f"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def gantt_colours(session: Session) -> dict[str, str]:
    """The stored bar colours over the defaults."""
    row = session.get(WorkspaceSetting, COLOURS_KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    return {part: stored.get(part, default) for part, default in DEFAULT_COLOURS.items()}


def parse_colours(body: Any) -> dict[str, str]:
    """``{"planned": "#rrggbb", "actual": …, "critical": …}`` (each optional) checked."""
    if not isinstance(body, dict):
        raise Invalid({"_schema": ["send a JSON object of colours"]})
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        if name not in DEFAULT_COLOURS:
            errors[name] = [f"is not a bar colour (one of {', '.join(DEFAULT_COLOURS)})"]
        elif not isinstance(value, str) or not _HEX.match(value):
            errors[name] = [f"{value!r} is not a colour in the form #rrggbb"]
    if errors:
        raise Invalid(errors)
    return {name: value.lower() for name, value in body.items()}


def _project(session: Session, viewer: Viewer, found: ViewFilter) -> Project:
    ids = found.ids.get("project", [])
    if len(ids) != 1:
        raise Invalid({"project": ["choose one project (the Gantt shows one project)"
                                   if ids else "is required: the project whose tasks to show"]})
    project = load_visible(session, Project, ids[0], viewer)
    if project is None:
        # A collaborator sees the tasks they work on, not the project's other tasks.
        visible = found.apply(select(Item.id).where(Item.project_id == ids[0]), session, viewer)
        project = session.get(Project, ids[0]) if session.scalar(visible.limit(1)) else None
    if project is None:
        raise NotFound({"project": [f"no project {ids[0]} that you may see"]})
    return project


def _actual_end(task: Item, today: dt.date) -> dt.date | None:
    """Where the actual bar ends: its finish, or today while the task is under way."""
    if task.actual_start is None:
        return None
    return task.actual_finish or max(today, task.actual_start)


def _bars_span(tasks: list[Item], today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day any bar (planned or actual) covers; ``(None, None)`` without
    bars. The chart opens at today when today is among them, else at the first bar."""
    bars = [(t.planned_start, t.planned_finish) for t in tasks
            if t.planned_start and t.planned_finish]
    bars += [(t.actual_start, _actual_end(t, today)) for t in tasks if t.actual_start]
    if not bars:
        return None, None
    return min(a for a, _ in bars), max(b for _, b in bars if b)


def gantt_data(session: Session, viewer: Viewer, args: Any) -> dict[str, Any]:
    """The tasks of the project named by ``args`` (a MultiDict; filters applied) as bars, dependencies
    and critical path. Raises ``Invalid`` (bad arguments) or ``NotFound``."""
    found = ViewFilter.parse(args.to_dict(flat=False), viewer)
    project = _project(session, viewer, found)
    statement = found.apply(
        select(Item).where(Item.kind == ItemKind.TASK)
        .options(selectinload(Item.predecessors), selectinload(Item.status)),
        session, viewer)
    tasks = list(session.scalars(statement.order_by(
        Item.planned_start.is_(None), Item.planned_start, Item.id)))
    shown = {t.id for t in tasks}
    preds = {t.id: [p.id for p in t.predecessors if p.id in shown] for t in tasks}
    error = None
    try:
        path = critical_path({t.id: planned_days(t.planned_start, t.planned_finish)
                              for t in tasks}, preds)
    except DependencyCycle as exc:
        error, path = str(exc), None
    today = utcnow().date()

    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    first_bar, last_bar = _bars_span(tasks, today)
    return {
        "project": {"id": project.id, "name": project.name},
        "today": today.isoformat(),
        "first_bar": day(first_bar), "last_bar": day(last_bar),
        "colours": gantt_colours(session),
        "error": error,
        "critical_days": path.length if path else None,
        "tasks": [{
            "id": t.id, "title": t.title, "url": url_for("TaskView.show", pk=t.id),
            "status": t.status.name, "done": t.status.category == StatusCategory.DONE,
            "percent_complete": t.percent_complete,
            "planned_start": day(t.planned_start), "planned_finish": day(t.planned_finish),
            "actual_start": day(t.actual_start), "actual_finish": day(t.actual_finish),
            "actual_end": day(_actual_end(t, today)),
            "in_progress": t.actual_start is not None and t.actual_finish is None,
            "predecessors": preds[t.id],
            "critical": bool(path and t.id in path.tasks),
        } for t in tasks],
        "dependencies": [{"from": p, "to": s, "critical": bool(path and (p, s) in path.links)}
                         for s in preds for p in preds[s]],
    }


class GanttView(BaseView):
    route_base = "/views/gantt"
    default_view = "gantt"
    class_permission_name = "WorkView"
    method_permission_name = {"gantt": "read", "data": "read", "colours": "write"}

    @expose("/")
    @has_access
    def gantt(self) -> Any:
        session, viewer = db.session, current_viewer()
        data_url = None
        try:
            found = ViewFilter.parse(request.args.to_dict(flat=False), viewer)
            if found.ids.get("project"):
                _project(session, viewer, found)
                data_url = url_for("GanttView.data", **request.args.to_dict(flat=False))
        except (Invalid, NotFound) as exc:
            for name, messages in exc.messages.items():  # type: ignore[union-attr]
                flash(f"{name}: {'; '.join(map(str, messages))}", "danger")
        return render_view(
            self, "relaydesk/work_views/gantt.html", "gantt", data_url=data_url,
            colours=gantt_colours(session),
            can_write=bool(self.appbuilder.sm.has_access("can_write", "WorkView")))

    @expose("/data")
    @has_access_api
    def data(self) -> Response:
        try:
            return jsonify(gantt_data(db.session, current_viewer(), request.args))
        except (Invalid, NotFound) as exc:
            response = jsonify(errors=exc.messages)
            response.status_code = exc.status
            return response

    @expose("/colours", methods=["POST"])
    @has_access_api
    def colours(self) -> Response:
        session = db.session
        try:
            chosen = parse_colours(request.get_json(silent=True))
        except Invalid as exc:
            response = jsonify(errors=exc.messages)
            response.status_code = 422
            return response
        stored = {**gantt_colours(session), **chosen}
        save_setting(session, COLOURS_KEY, stored)
        return jsonify(colours=stored)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    add_screen(appbuilder, GanttView, "Gantt", _l("Gantt"), "fa-align-left", menu)
    links.append(("gantt", _l("Gantt"), "GanttView.gantt"))
