"""The inbox: one queue or saved view as dense rows, a preview pane beside them, multi-select
with bulk actions, keyboard navigation and a command palette (static/workspace/inbox.js)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import lazy_gettext
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import Customer, Item, ItemKind, Project, SavedView, Status, Team, User
from webapp.models.teams import team_member
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort, fetch_page
from webapp.work_views.page import flash_errors, json_errors
from webapp.work_views.saved import find_visible
from webapp.workspace.bulk import BulkRequest, run_bulk
from webapp.workspace.present import person_name
from webapp.workspace.queues import (
    COUNT_CAP,
    QUEUES,
    QueueContext,
    find_queue,
    queue_counts,
    queue_items,
)
from webapp.workspace.rows import inbox_rows

PAGE_SIZE = 50
SORTS = {"-updated_at": lazy_gettext("Latest activity"),
         "updated_at": lazy_gettext("Waiting longest"),
         "-priority": lazy_gettext("Highest priority"),
         "due_at": lazy_gettext("Due soonest"),
         "-created_at": lazy_gettext("Newest"),
         "created_at": lazy_gettext("Oldest")}
DEFAULT_SORT = "-updated_at"


def _with_rows(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Item.assignee_users), selectinload(Item.assignee_teams),
        selectinload(Item.status), selectinload(Item.item_type),
        selectinload(Item.project).selectinload(Project.organization),
        selectinload(Item.requester).selectinload(Customer.organization))


def _source(session: Session, viewer: Viewer, args: Any) -> tuple[Select[Any], str, Any]:
    """The statement of items the request's queue or saved view lists, its key and title."""
    view_id = args.get("view")
    if view_id:
        if not str(view_id).isdigit():
            raise Invalid({"view": [f"{view_id!r} is not a saved view id"]})
        view = find_visible(session, viewer, int(view_id))
        statement = ViewFilter.parse(view.filters or {}, viewer).apply(
            select(Item), session, viewer)
        return statement, f"view:{view.id}", view.name
    queue = find_queue(args.get("queue") or "mine")
    return (queue_items(session, queue, QueueContext.for_viewer(viewer)), queue.key,
            queue.label)


def _sort(args: Any) -> Sort:
    text = args.get("sort") or DEFAULT_SORT
    if text not in SORTS:
        raise Invalid({"sort": [f"{text!r} is not one of {', '.join(SORTS)}"]})
    return Sort.parse(text)


def _page(args: Any) -> dict[str, Any]:
    session = db.session
    viewer = current_viewer()
    statement, key, title = _source(session, viewer, args)
    page = fetch_page(session, _with_rows(statement), _sort(args), PAGE_SIZE,
                      args.get("cursor"))
    queue_key = key if not key.startswith("view:") else None
    return {"key": key, "title": title, "next_cursor": page.next_cursor,
            "rows": inbox_rows(session, page.rows, viewer.user_id, queue_key)}


def _choices(session: Session, viewer: Viewer) -> dict[str, Any]:
    """What the bulk bar and the palette offer: statuses by name, staff, the viewer's teams."""
    statuses = sorted({name for (name,) in session.execute(
        select(Status.name).distinct())})
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    mine = set(session.scalars(select(team_member.c.team_id).where(
        team_member.c.user_id == viewer.user_id)))
    users = session.scalars(select(User).where(User.active.is_(True))
                            .order_by(User.first_name, User.last_name)).all()
    views = session.scalars(select(SavedView).where(SavedView.owner_id == viewer.user_id)
                            .order_by(SavedView.name)).all()
    return {
        "statuses": statuses,
        "teams": [{"id": t.id, "name": t.name, "mine": t.id in mine} for t in teams],
        "users": [{"id": u.id, "name": person_name(u)} for u in users],
        "views": [{"name": v.name, "url": url_for("InboxView.saved", pk=v.id)} for v in views],
        "queues": [{"name": str(q.label), "url": url_for("InboxView.queue", key=q.key)}
                   for q in QUEUES],
    }


class InboxView(BaseView):
    route_base = "/workspace/inbox"
    default_view = "queue"
    class_permission_name = "Ticket"
    method_permission_name = {"queue": "read", "saved": "read", "rows": "read",
                              "counts": "read", "bulk": "write"}

    def _render(self, args: dict[str, Any]) -> Any:
        session = db.session
        viewer = current_viewer()
        try:
            data = _page(args)
        except Invalid as exc:
            flash_errors(exc)
            return redirect(url_for("WorkspaceHomeView.index"))
        # The counts come from the counts endpoint right after the page (and every 30 s):
        # the list shows without waiting for them.
        queues = [{"key": q.key, "label": q.label, "url": url_for("InboxView.queue", key=q.key)}
                  for q in QUEUES]
        config = {
            "rowsUrl": url_for("InboxView.rows"), "bulkUrl": url_for("InboxView.bulk"),
            "countsUrl": url_for("InboxView.counts"), "countCap": COUNT_CAP,
            "source": {k: v for k, v in args.items() if k in ("queue", "view", "sort")},
            "nextCursor": data["next_cursor"], "choices": _choices(session, viewer),
            "ticketUrl": url_for("WorkspaceTicketView.page", pk=0).replace("/0", "/{id}"),
            "newUrl": url_for("WorkspaceTicketView.new"),
        }
        return self.render_template(
            "workspace/inbox.html", data=data, queues=queues, sorts=SORTS,
            sort=args.get("sort") or DEFAULT_SORT, config=config, args=args,
            can_write=self.appbuilder.sm.has_access("can_write", "Ticket"))

    @expose("/<key>")
    @has_access
    def queue(self, key: str) -> Any:
        return self._render({"queue": key, "sort": request.args.get("sort") or DEFAULT_SORT})

    @expose("/view/<int:pk>")
    @has_access
    def saved(self, pk: int) -> Any:
        find_visible(db.session, current_viewer(), pk)  # 404 for a view one may not see
        return self._render({"view": str(pk), "sort": request.args.get("sort") or DEFAULT_SORT})

    @expose("/rows")
    @has_access_api
    def rows(self) -> Response:
        """The next page (``cursor``) or a fresh first page of a queue or view, as JSON."""
        try:
            data = _page(request.args)
        except Invalid as exc:
            return json_errors(exc, 400)
        data["title"] = str(data["title"])
        data["html"] = render_template("workspace/_rows.html", rows=data["rows"])
        return jsonify(data)

    @expose("/counts")
    @has_access_api
    def counts(self) -> Response:
        """``{queue key: count}`` for the live counts beside the list."""
        return jsonify(queue_counts(db.session, QueueContext.for_viewer(current_viewer())))

    @expose("/bulk", methods=["POST"])
    @has_access_api
    def bulk(self) -> Response:
        """Apply one action to up to 100 items: ``{"done": [ids], "failed": {id: reason}}``."""
        session = db.session
        viewer = current_viewer()
        security = self.appbuilder.sm
        may_task = security.has_access("can_write", "Task")

        def may_write(item: Item) -> bool:
            return item.kind == ItemKind.TICKET or may_task

        try:
            bulk_request = BulkRequest.parse(request.get_json(silent=True))
            result = run_bulk(session, viewer, bulk_request, may_write)
        except Invalid as exc:
            return json_errors(exc, 400)
        return jsonify(result)


def register(appbuilder: Any) -> None:
    appbuilder.add_view(InboxView, "Inbox", icon="fa-inbox", category="Work",
                        href="/workspace/inbox/mine")
    work = appbuilder.menu.find("Work")
    work.childs.insert(0, work.childs.pop())  # the inbox first: where agents work
