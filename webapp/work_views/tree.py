"""The tree view: portfolio (or customer organization) → project → folder → items, each node
with roll-ups of the items under it (count, open, average percent complete, hours logged).

Roll-ups come from two GROUP BY queries per page (items, timesheet hours) by (project,
folder), summed up the tree over those groups, never over the items; the items of a folder
load when its node is opened, a keyset page at a time. The default grouping is the
workspace setting "tree_grouping", which admins change on the page.

Page ``/views/tree/?grouping=portfolio|organization&<filters>``; JSON ``/views/tree/data``,
``/views/tree/items?in_project=<id>&in_folder=<id>|none&cursor=…``, and
``POST /views/tree/grouping`` ``{"grouping": …}`` (admins).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Response, flash, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from webapp.access.scope import Viewer, current_viewer, visibility_clause
from webapp.commands.errors import CommandError, Forbidden, Invalid
from webapp.extensions import db
from webapp.models import (
    Folder,
    Item,
    ItemKind,
    Organization,
    Portfolio,
    Project,
    Status,
    StatusCategory,
    Timesheet,
    WorkspaceSetting,
)
from webapp.views.labels import add_screen
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort, fetch_page, page_size
from webapp.work_views.page import json_errors, render_view, save_setting

GROUPING_KEY = "tree_grouping"
GROUPINGS = {"portfolio": _l("No portfolio"), "organization": _l("No organization")}
ITEM_ARGS = ("in_project", "in_folder", "cursor", "page_size")
Group = tuple[int, int | None]  # (project id, folder id)


@dataclass
class Totals:
    """Roll-up of the items under a node."""

    items: int = 0
    open: int = 0
    percent_sum: float = 0.0
    percent_count: int = 0
    hours: Decimal = Decimal(0)

    def add(self, other: Totals) -> None:
        self.items += other.items
        self.open += other.open
        self.percent_sum += other.percent_sum
        self.percent_count += other.percent_count
        self.hours += other.hours

    def as_dict(self) -> dict[str, Any]:
        percent = (round(self.percent_sum / self.percent_count, 1)
                   if self.percent_count else None)
        return {"items": self.items, "open": self.open, "percent_complete": percent,
                "hours": float(self.hours)}


@dataclass
class Node:
    kind: str  # portfolio | organization | project | folder
    id: int | None
    label: str
    own: Totals = field(default_factory=Totals)
    totals: Totals = field(default_factory=Totals)
    children: list[Node] = field(default_factory=list)
    items_url: str | None = None  # folders (and a project's "no folder"): their items

    def roll_up(self) -> Totals:
        """Sets ``totals`` to this node's own items plus its children's, bottom up."""
        self.totals = Totals()
        self.totals.add(self.own)
        for child in self.children:
            self.totals.add(child.roll_up())
        return self.totals

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "label": self.label,
                "totals": self.totals.as_dict(), "items_url": self.items_url,
                "children": [c.as_dict() for c in self.children]}


def default_grouping(session: Session) -> str:
    row = session.get(WorkspaceSetting, GROUPING_KEY)
    return row.value if row is not None and row.value in GROUPINGS else "portfolio"


def parse_grouping(value: Any) -> str:
    if value not in GROUPINGS:
        raise Invalid({"grouping": [f"{value!r} is not one of {', '.join(GROUPINGS)}"]})
    return str(value)


def rollups(session: Session, viewer: Viewer, found: ViewFilter) -> dict[Group, Totals]:
    """Totals of the visible, filtered items per (project, folder), in two GROUP BY queries."""
    keys = (Item.project_id, Item.folder_id)
    counted = found.apply(
        select(*keys, func.count(Item.id),
               func.sum(case((Status.category == StatusCategory.DONE, 0), else_=1)),
               func.sum(Item.percent_complete), func.count(Item.percent_complete))
        .join(Status, Status.id == Item.status_id), session, viewer).group_by(*keys)
    totals: dict[Group, Totals] = {}
    for project_id, folder_id, items, open_, percent_sum, percent_count in session.execute(
            counted):
        totals[(project_id, folder_id)] = Totals(items, int(open_ or 0), float(percent_sum or 0),
                                                 percent_count)
    hours = found.apply(select(*keys, func.sum(Timesheet.hours))
                        .join(Timesheet, Timesheet.item_id == Item.id),
                        session, viewer).group_by(*keys)
    for project_id, folder_id, logged in session.execute(hours):
        totals[(project_id, folder_id)].hours = Decimal(str(logged or 0))
    return totals


def _items_url(project_id: int, folder: int | str, found: ViewFilter) -> str:
    return url_for("TreeView.items", in_project=project_id, in_folder=folder, **found.args)


def _project_node(project: Project, folders: list[Folder], totals: Mapping[Group, Totals],
                  found: ViewFilter, keep_empty: bool) -> Node:
    node = Node("project", project.id, project.name)
    wanted = {f for (p, f) in totals if p == project.id and f is not None}
    by_id = {f.id: f for f in folders}
    for folder_id in list(wanted):  # a folder with items brings its parents along
        parent = by_id[folder_id].parent_id if folder_id in by_id else None
        while parent is not None and parent in by_id and parent not in wanted:
            wanted.add(parent)
            parent = by_id[parent].parent_id
    nodes = {f.id: Node("folder", f.id, f.name, own=totals.get((project.id, f.id), Totals()),
                        items_url=_items_url(project.id, f.id, found))
             for f in folders if keep_empty or f.id in wanted}
    for folder in folders:
        if folder.id in nodes:
            parent = nodes.get(folder.parent_id) if folder.parent_id else None
            (parent.children if parent else node.children).append(nodes[folder.id])
    loose = totals.get((project.id, None))
    if loose is not None:
        node.children.append(Node("folder", None, gettext("No folder"), own=loose,
                                  items_url=_items_url(project.id, "none", found)))
    return node


def build_tree(session: Session, viewer: Viewer, found: ViewFilter,
               grouping: str) -> list[Node]:
    """The top nodes (portfolios or organizations, then the "none" bucket), rolled up."""
    totals = rollups(session, viewer, found)
    project_ids = {p for (p, _f) in totals}
    keep_empty = not found.args  # unfiltered: the viewer's empty projects and folders too
    if keep_empty:
        project_ids |= set(session.scalars(select(Project.id).where(
            visibility_clause(Project, viewer), Project.is_template.is_(False))))
    if not project_ids:
        return []
    projects = list(session.scalars(select(Project).where(Project.id.in_(project_ids))
                                    .order_by(Project.name, Project.id)))
    folders: dict[int, list[Folder]] = {}
    for folder in session.scalars(select(Folder).where(Folder.project_id.in_(project_ids))
                                  .order_by(Folder.name, Folder.id)):
        folders.setdefault(folder.project_id, []).append(folder)
    column = "portfolio_id" if grouping == "portfolio" else "organization_id"
    model = Portfolio if grouping == "portfolio" else Organization
    group_ids = {getattr(p, column) for p in projects} - {None}
    groups = {g.id: Node(grouping, g.id, g.name) for g in session.scalars(
        select(model).where(model.id.in_(group_ids)).order_by(model.name))} if group_ids else {}
    nobody = Node(grouping, None, str(GROUPINGS[grouping]))
    for project in projects:
        group = groups.get(getattr(project, column)) or nobody
        group.children.append(_project_node(project, folders.get(project.id, []), totals,
                                            found, keep_empty))
    top = list(groups.values()) + ([nobody] if nobody.children else [])
    for node in top:
        node.roll_up()
    return top


def _int(name: str, value: str | None) -> int:
    if not value or not value.isdigit() or int(value) >= 2**31:
        raise Invalid({name: [f"{value!r} is not an id (a whole number)"]})
    return int(value)


def item_page(session: Session, viewer: Viewer, args: Any) -> dict[str, Any]:
    """One keyset page (``args``: a MultiDict) of the visible, filtered items of one folder (``in_folder=none``:
    the project's items outside any folder)."""
    found = ViewFilter.parse(args.to_dict(flat=False), viewer, ignore=ITEM_ARGS)
    project_id = _int("in_project", args.get("in_project"))
    folder = args.get("in_folder")
    where = (Item.folder_id.is_(None) if folder == "none"
             else Item.folder_id == _int("in_folder", folder))
    statement = found.apply(select(Item).where(Item.project_id == project_id, where)
                            .options(selectinload(Item.status)), session, viewer)
    page = fetch_page(session, statement, Sort.parse("id"), page_size(args.get("page_size")),
                      args.get("cursor"))
    view = {ItemKind.TASK: "TaskView.show", ItemKind.TICKET: "TicketView.show"}
    return {"items": [{"id": i.id, "title": i.title, "kind": i.kind.value,
                       "status": i.status.name,
                       "done": i.status.category == StatusCategory.DONE,
                       "percent_complete": i.percent_complete,
                       "url": url_for(view[i.kind], pk=i.id)} for i in page.rows],
            "next_cursor": page.next_cursor}


def _tree_args(session: Session, viewer: Viewer, args: Any) -> tuple[ViewFilter, str]:
    found = ViewFilter.parse(args.to_dict(flat=False), viewer, ignore=("grouping",))
    grouping = args.get("grouping") or default_grouping(session)
    return found, parse_grouping(grouping)


class TreeView(BaseView):
    route_base = "/views/tree"
    default_view = "tree"
    class_permission_name = "WorkView"
    method_permission_name = {"tree": "read", "data": "read", "items": "read",
                              "grouping": "write"}

    @expose("/")
    @has_access
    def tree(self) -> Any:
        session, viewer = db.session, current_viewer()
        nodes: list[Node] = []
        grouping = default_grouping(session)
        try:
            found, grouping = _tree_args(session, viewer, request.args)
            nodes = build_tree(session, viewer, found, grouping)
        except Invalid as exc:
            for name, messages in exc.messages.items():  # type: ignore[union-attr]
                flash(f"{name}: {'; '.join(map(str, messages))}", "danger")
        return render_view(
            self, "relaydesk/work_views/tree.html", "tree", nodes=nodes, grouping=grouping,
            groupings=list(GROUPINGS), default=default_grouping(session),
            is_admin=viewer.is_admin)

    @expose("/data")
    @has_access_api
    def data(self) -> Response:
        session, viewer = db.session, current_viewer()
        try:
            found, grouping = _tree_args(session, viewer, request.args)
        except Invalid as exc:
            return json_errors(exc)
        return jsonify(grouping=grouping,
                       nodes=[n.as_dict() for n in build_tree(session, viewer, found, grouping)])

    @expose("/items")
    @has_access_api
    def items(self) -> Response:
        try:
            return jsonify(item_page(db.session, current_viewer(), request.args))
        except Invalid as exc:
            return json_errors(exc)

    @expose("/grouping", methods=["POST"])
    @has_access_api
    def grouping(self) -> Response:
        session = db.session
        try:
            if not current_viewer().is_admin:
                raise Forbidden({"grouping": ["only admins choose the default grouping"]})
            body = request.get_json(silent=True)
            chosen = parse_grouping(body.get("grouping") if isinstance(body, dict) else None)
        except CommandError as exc:
            return json_errors(exc)
        save_setting(session, GROUPING_KEY, chosen)
        return jsonify(grouping=chosen)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    add_screen(appbuilder, TreeView, "Tree", _l("Tree"), "fa-sitemap", menu)
    links.append(("tree", _l("Tree"), "TreeView.tree"))
