"""The status board: one column per status of one item type, in workflow order.

The page draws the columns with their counts (one GROUP BY with the filters); each column
then loads its cards a keyset page at a time (``GET /views/board/column/<status_id>``) as it
is scrolled, so thousands of items never reach the page at once. Cards are ordered by
``-id`` (newest first: the ``ix_item_status_id_id`` index serves it at any size), or by
another keyset sort given as ``sort`` (e.g. ``-priority``, then id). Moving a card is a
``PUT /api/v1/<kind>/<id>`` made by the browser, so the workflow, write check and events of
the REST API apply; there is no second update path here.

The card helpers (``card_data``, ``sla_states``, ``json_errors``) are shared with the
calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Response, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import Item, ItemKind, ItemType, Status, utcnow
from webapp.views.display import person_name
from webapp.views.labels import add_screen
from webapp.work_views.filters import SLA_STATES, ViewFilter, sla_clause
from webapp.work_views.keyset import Page, Sort, fetch_page, page_size
from webapp.work_views.page import flash_errors, json_errors, render_view

DEFAULT_STUCK_DAYS = 7
DEFAULT_SORT = "-id"
# Arguments of the board itself (not filters).
BOARD_ARGS = ("stuck_days", "cursor", "page_size", "sort")


# -- shared with the calendar

def sla_states(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The SLA state (ok/warning/breached/none) of each item, by the filter's own rules."""
    if not ids:
        return {}
    state = case(*[(sla_clause(name), name) for name in ("breached", "warning", "ok")],
                 else_="none")
    rows = session.execute(select(Item.id, state).where(Item.id.in_(ids)))
    return {item_id: value for item_id, value in rows}


def item_url(item: Item) -> str:
    """The item's page in the agent workspace (tickets and tasks alike)."""
    return url_for("WorkspaceTicketView.page", pk=item.id)


def card_data(item: Item, sla: str, now: dt.datetime) -> dict[str, Any]:
    """What a card shows, as JSON."""
    people = [person_name(u) for u in item.assignee_users]
    return {
        "id": item.id, "kind": item.kind.value, "title": item.title, "url": item_url(item),
        "status_id": item.status_id, "priority": item.priority,
        "percent_complete": item.percent_complete,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "overdue": bool(item.due_at and item.due_at < now),
        "assignees": people + [t.name for t in item.assignee_teams],
        "sla": sla if sla in SLA_STATES else "none",
    }


def cards(session: Session, items: Iterable[Item]) -> list[dict[str, Any]]:
    """``card_data`` of each item (one query for all their SLA states)."""
    items = list(items)
    states = sla_states(session, [i.id for i in items])
    now = utcnow()
    return [card_data(i, states.get(i.id, "none"), now) for i in items]


def item_select() -> Any:
    """``select(Item)`` loading what a card shows."""
    return select(Item).options(selectinload(Item.assignee_users),
                                selectinload(Item.assignee_teams))


# -- the board

def parse_stuck_days(text: str | None) -> int:
    if text is None or text.strip() == "":
        return DEFAULT_STUCK_DAYS
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 3650:
        raise Invalid({"stuck_days": ["must be a whole number of days from 1 to 3650"]})
    return int(text)


def board_type(session: Session, view_filter: ViewFilter) -> ItemType:
    """The item type whose statuses are the columns: ``type``, else the default type of
    ``kind`` (tickets when no kind is given)."""
    chosen = view_filter.ids.get("type", [])
    if len(chosen) > 1:
        raise Invalid({"type": ["the board shows one item type: choose one"]})
    if chosen:
        item_type = session.get(ItemType, chosen[0])
        if item_type is None:
            raise Invalid({"type": [f"there is no item type {chosen[0]}"]})
        return item_type
    kind = view_filter.kind or ItemKind.TICKET
    item_type = session.scalar(select(ItemType).where(ItemType.kind == kind)
                               .order_by(ItemType.is_default.desc(), ItemType.id))
    if item_type is None:
        raise Invalid({"type": [f"there is no {kind.value} type to show"]})
    return item_type


def column_counts(session: Session, view_filter: ViewFilter, viewer: Viewer,
                  statuses: Sequence[Status]) -> dict[int, int]:
    """Items per status (with the filters and the viewer's visibility), every status
    present."""
    statement = view_filter.apply(
        select(Item.status_id, func.count(Item.id))
        .where(Item.status_id.in_([s.id for s in statuses])), session, viewer)
    found = {status_id: count for status_id, count in
             session.execute(statement.group_by(Item.status_id))}
    return {s.id: int(found.get(s.id, 0)) for s in statuses}


def column_page(session: Session, view_filter: ViewFilter, viewer: Viewer, status: Status,
                sort: Sort, size: int, cursor: str | None) -> Page:
    """One keyset page of the cards in ``status``."""
    statement = view_filter.apply(item_select().where(Item.status_id == status.id),
                                  session, viewer)
    return fetch_page(session, statement, sort, size, cursor)


def column_cards(session: Session, page: Page, stuck_days: int) -> list[dict[str, Any]]:
    """Cards of a column page, with days in the column and the stuck flag."""
    now = utcnow()
    found = cards(session, page.rows)
    for card, item in zip(found, page.rows, strict=True):
        in_column = now - item.status_changed_at
        card["days_in_column"] = in_column.days
        card["stuck"] = in_column > dt.timedelta(days=stuck_days)
    return found


def status_data(status: Status, count: int) -> dict[str, Any]:
    return {"id": status.id, "name": status.name, "colour": status.colour,
            "category": status.category.value, "count": count}


def board_data(args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The columns of the board for ``args`` (raises ``Invalid``)."""
    session = db.session
    view_filter = ViewFilter.parse(args, viewer, ignore=BOARD_ARGS)
    stuck_days = parse_stuck_days(args.get("stuck_days"))
    Sort.parse(args.get("sort"), DEFAULT_SORT)
    item_type = board_type(session, view_filter)
    counts = column_counts(session, view_filter, viewer, item_type.statuses)
    return {
        "type": {"id": item_type.id, "name": item_type.name, "kind": item_type.kind.value},
        "stuck_days": stuck_days,
        "columns": [status_data(s, counts[s.id]) for s in item_type.statuses],
    }


class BoardView(BaseView):
    route_base = "/views/board"
    default_view = "board"
    class_permission_name = "WorkView"
    method_permission_name = {"board": "read", "data": "read", "column": "read"}

    @expose("/")
    @has_access
    def board(self) -> Any:
        viewer = current_viewer()
        try:
            board = board_data(request.args, viewer)
        except Invalid as exc:
            flash_errors(exc)
            if request.args:
                return redirect(url_for("BoardView.board"))
            board = None
        return render_view(self, "relaydesk/work_views/board.html", "board", board=board)

    @expose("/data")
    @has_access_api
    def data(self) -> Response:
        """The columns (statuses in workflow order) with their counts."""
        try:
            return jsonify(board_data(request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)

    @expose("/column/<int:status_id>")
    @has_access_api
    def column(self, status_id: int) -> Response:
        """One keyset page of a column's cards: ``{"cards", "next_cursor"}``."""
        session = db.session
        status = session.get(Status, status_id)
        if status is None:
            return json_errors(Invalid({"status_id": [f"there is no status {status_id}"]}),
                               404)
        viewer = current_viewer()
        try:
            view_filter = ViewFilter.parse(request.args, viewer,
                                          ignore=BOARD_ARGS)
            stuck_days = parse_stuck_days(request.args.get("stuck_days"))
            sort = Sort.parse(request.args.get("sort"), DEFAULT_SORT)
            size = page_size(request.args.get("page_size"))
            page = column_page(session, view_filter, viewer, status, sort, size,
                               request.args.get("cursor"))
        except Invalid as exc:
            return json_errors(exc)
        return jsonify(cards=column_cards(session, page, stuck_days),
                       next_cursor=page.next_cursor)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    add_screen(appbuilder, BoardView, "Status board", _l("Status board"), "fa-columns", menu)
    links.append(("board", _l("Board"), "BoardView.board"))
