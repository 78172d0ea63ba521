"""The flat list: rows with chosen columns, sortable, paged by keyset, groupable with counts.

``GET /views/list/items?<filters>&sort=&cursor=&page_size=&columns=`` answers
``{"rows": [...], "next_cursor"}``; ``GET /views/list/groups?<filters>&group_by=`` answers
the groups with their counts (and the grouping's label), computed by one SQL ``GROUP BY`` (a row per item and group).
The row functions are shared with the exports and the e-mailed reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask import Response, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session, aliased, selectinload

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import (
    Customer,
    CustomField,
    Item,
    ItemType,
    Organization,
    Project,
    Status,
    Team,
    User,
)
from webapp.models.items import item_assignee_team, item_assignee_user
from webapp.views.display import person_name
from webapp.views.labels import add_screen
from webapp.work_views.board import item_url, sla_states
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import SORTABLE, Page, Sort, fetch_page, page_size
from webapp.work_views.options import custom_field_keys
from webapp.work_views.page import flash_errors, json_errors, render_view

COLUMN_LABELS: dict[str, str] = {
    "id": "#", "title": "Title", "kind": "Kind", "type": "Type", "status": "Status",
    "priority": "Priority", "assignee": "Assignee", "team": "Team", "requester": "Requester",
    "organization": "Organization", "project": "Project", "due_at": "Due",
    "sla": "SLA", "percent_complete": "% done", "updated_at": "Updated",
}
DEFAULT_COLUMNS = ("id", "title", "status", "priority", "assignee", "due_at", "updated_at")
GROUPS = ("status", "type", "priority", "assignee", "team", "project", "organization",
          "requester")
DEFAULT_SORT = "-id"
MAX_GROUPS = 500
# Arguments of the list itself (not filters).
LIST_ARGS = ("sort", "cursor", "page_size", "columns", "group_by")


def _custom(value: Any) -> Any:
    return ", ".join(map(str, value)) if isinstance(value, list) else value


def custom_keys(session: Session) -> set[str]:
    return set(session.scalars(select(CustomField.key).distinct()))


def parse_columns(raw: Sequence[str] | str | None, session: Session) -> list[str]:
    """``columns=id,title,cf.size`` (or repeated) → known column names, in order."""
    parts = [raw] if isinstance(raw, str) else list(raw or [])
    names = [n.strip() for part in parts for n in part.split(",") if n.strip()]
    if not names:
        return list(DEFAULT_COLUMNS)
    keys = custom_keys(session) if any(n.startswith("cf.") for n in names) else set()
    bad = [n for n in names if n not in COLUMN_LABELS
           and not (n.startswith("cf.") and n[3:] in keys)]
    if bad:
        raise Invalid({"columns": [f"unknown column(s): {', '.join(bad)}; one of: "
                                   f"{', '.join(COLUMN_LABELS)} or cf.<custom field key>"]})
    return list(dict.fromkeys(names))


def column_labels(session: Session, names: Iterable[str]) -> dict[str, str]:
    """What people read for each column or grouping: the fixed labels, and a custom field's
    own label for ``cf.<key>`` (never the key) — shared by the list, exports and reports."""
    names = list(names)
    fields = {f"cf.{cf['key']}": cf["label"] for cf in custom_field_keys(session)} \
        if any(n.startswith("cf.") for n in names) else {}
    return {n: COLUMN_LABELS.get(n) or fields.get(n, n) for n in names}


def parse_group_by(text: str | None, session: Session) -> str | None:
    """``group_by``: one of ``GROUPS`` or ``cf.<key>``; empty: no grouping."""
    text = (text or "").strip()
    if not text:
        return None
    if text in GROUPS or (text.startswith("cf.") and text[3:] in custom_keys(session)):
        return text
    raise Invalid({"group_by": [f"cannot group by {text!r}; one of: {', '.join(GROUPS)} "
                                "or cf.<custom field key>"]})


def row_select() -> Select[Any]:
    """``select(Item)`` loading everything a row may show."""
    return select(Item).options(
        selectinload(Item.assignee_users), selectinload(Item.assignee_teams),
        selectinload(Item.item_type), selectinload(Item.status),
        selectinload(Item.project).selectinload(Project.organization),
        selectinload(Item.requester).selectinload(Customer.organization))


def _values(item: Item, sla: str) -> dict[str, Any]:
    organization = (item.requester.organization if item.requester else None) \
        or item.project.organization
    return {
        "id": item.id, "title": item.title, "kind": item.kind.value,
        "type": item.item_type.name, "status": item.status.name, "priority": item.priority,
        "assignee": ", ".join(sorted(person_name(u) for u in item.assignee_users)),
        "team": ", ".join(sorted(t.name for t in item.assignee_teams)),
        "requester": str(item.requester) if item.requester else "",
        "organization": organization.name if organization else "",
        "project": item.project.name,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "sla": sla, "percent_complete": item.percent_complete,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
    }


def rows_data(session: Session, items: Iterable[Item], columns: Sequence[str],
              with_url: bool = True) -> list[dict[str, Any]]:
    """Each item as ``{column: value}`` for ``columns`` (plus ``url``)."""
    items = list(items)
    states = sla_states(session, [i.id for i in items]) if "sla" in columns else {}
    rows = []
    for item in items:
        values = _values(item, states.get(item.id, "none"))
        row = {c: (_custom((item.custom_values or {}).get(c[3:])) if c.startswith("cf.")
                   else values[c]) for c in columns}
        if with_url:
            row["url"] = item_url(item)
        rows.append(row)
    return rows


def list_page(session: Session, view_filter: ViewFilter, viewer: Viewer, sort: Sort,
              size: int, cursor: str | None) -> Page:
    """One keyset page of the filtered, visible items."""
    return fetch_page(session, view_filter.apply(row_select(), session, viewer), sort, size,
                      cursor)


def items_data(args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The data endpoint's answer for query ``args`` (a MultiDict); raises ``Invalid``."""
    session = db.session
    view_filter = ViewFilter.parse(args, viewer, ignore=LIST_ARGS)
    sort = Sort.parse(args.get("sort"), DEFAULT_SORT)
    columns = parse_columns(args.getlist("columns"), session)
    page = list_page(session, view_filter, viewer, sort, page_size(args.get("page_size")),
                     args.get("cursor"))
    return {"rows": rows_data(session, page.rows, columns), "next_cursor": page.next_cursor}


# -- grouping

def _group_rows(group_by: str, narrow: Callable[[Select[Any]], Select[Any]]) -> Any:
    """A subquery of (g = group value, item_id), one row per item and group, with the filter
    and visibility applied by ``narrow``. Assignees and teams: an item is in the group of
    each; organization: the requester's and the project's, as the filter matches either."""
    simple = {"status": Item.status_id, "type": Item.item_type_id, "priority": Item.priority,
              "project": Item.project_id, "requester": Item.requester_id}
    if group_by in simple:
        return narrow(select(simple[group_by].label("g"), Item.id.label("item_id"))).subquery()
    if group_by in ("assignee", "team"):
        link = item_assignee_user if group_by == "assignee" else item_assignee_team
        key = link.c.user_id if group_by == "assignee" else link.c.team_id
        return narrow(select(key.label("g"), Item.id.label("item_id")).select_from(Item)
                      .outerjoin(link, link.c.item_id == Item.id)).subquery()
    if group_by == "organization":
        requester, project = aliased(Customer), aliased(Project)
        parts = [narrow(select(func.coalesce(first, second).label("g"),
                               Item.id.label("item_id")).select_from(Item)
                        .outerjoin(requester, requester.id == Item.requester_id)
                        .join(project, project.id == Item.project_id))
                 for first, second in ((requester.organization_id, project.organization_id),
                                       (project.organization_id, requester.organization_id))]
        return union(*parts).subquery()
    key = Item.custom_values[group_by[3:]].as_string()
    return narrow(select(key.label("g"), Item.id.label("item_id"))).subquery()


LABELS: dict[str, tuple[Any, Any]] = {
    "status": (Status, lambda s: s.name), "type": (ItemType, lambda t: t.name),
    "project": (Project, lambda p: p.name), "requester": (Customer, str),
    "assignee": (User, person_name), "team": (Team, lambda t: t.name),
    "organization": (Organization, lambda o: o.name),
}


def _labels(session: Session, group_by: str, values: list[Any]) -> dict[Any, str]:
    if group_by == "priority":
        return {v: "★" * int(v) or "none" for v in values}
    if group_by not in LABELS:
        return {v: str(v) for v in values}
    model, label = LABELS[group_by]
    ids = [v for v in values if v is not None]
    return {row.id: label(row) for row in session.scalars(
        select(model).where(model.id.in_(ids)))} if ids else {}


def group_counts(session: Session, view_filter: ViewFilter, viewer: Viewer,
                 group_by: str) -> list[dict[str, Any]]:
    """``[{"value", "label", "count"}]``, largest first; ``value`` None: the item has none."""
    rows = _group_rows(group_by, lambda stmt: view_filter.apply(stmt, session, viewer))
    counted = session.execute(
        select(rows.c.g, func.count(rows.c.item_id).label("n")).group_by(rows.c.g)
        .order_by(func.count(rows.c.item_id).desc()).limit(MAX_GROUPS)).all()
    labels = _labels(session, group_by, [value for value, _n in counted])
    return [{"value": None if value is None else str(value),
             "label": "(none)" if value is None else labels.get(value, str(value)),
             "count": int(n)} for value, n in counted]


def groups_data(args: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The groups endpoint's answer; raises ``Invalid``."""
    session = db.session
    view_filter = ViewFilter.parse(args, viewer, ignore=LIST_ARGS)
    group_by = parse_group_by(args.get("group_by"), session)
    if group_by is None:
        raise Invalid({"group_by": ["is required"]})
    total = session.scalar(view_filter.apply(select(func.count(Item.id)), session, viewer))
    return {"group_by": group_by, "label": column_labels(session, [group_by])[group_by],
            "total": int(total or 0),
            "groups": group_counts(session, view_filter, viewer, group_by)}


class ListView(BaseView):
    route_base = "/views/list"
    default_view = "list"
    class_permission_name = "WorkView"
    method_permission_name = {"list": "read", "items": "read", "groups": "read"}

    @expose("/")
    @has_access
    def list(self) -> Any:
        session = db.session
        viewer = current_viewer()
        try:
            ViewFilter.parse(request.args, viewer, ignore=LIST_ARGS)
            sort = Sort.parse(request.args.get("sort"), DEFAULT_SORT)
            columns = parse_columns(request.args.getlist("columns"), session)
            group_by = parse_group_by(request.args.get("group_by"), session)
        except Invalid as exc:
            flash_errors(exc)
            return redirect(url_for("ListView.list"))
        fields = custom_field_keys(session)
        available = [(name, label) for name, label in COLUMN_LABELS.items()] + \
            [(f"cf.{cf['key']}", cf["label"]) for cf in fields]
        group_names = list(GROUPS) + [f"cf.{cf['key']}" for cf in fields]
        group_labels = column_labels(session, group_names)
        return render_view(
            self, "relaydesk/work_views/list.html", "list",
            config={"itemsUrl": url_for("ListView.items"),
                    "groupsUrl": url_for("ListView.groups"),
                    "columns": columns, "labels": dict(available), "groupBy": group_by,
                    "sort": f"{'-' if sort.descending else ''}{sort.name}",
                    "sortable": sorted(SORTABLE)},
            available=available, columns=columns, group_by=group_by,
            groups=[(name, group_labels[name]) for name in group_names])

    @expose("/items")
    @has_access_api
    def items(self) -> Response:
        """``{"rows": [{column: value, "url"}], "next_cursor"}``."""
        try:
            return jsonify(items_data(request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)

    @expose("/groups")
    @has_access_api
    def groups(self) -> Response:
        """``{"group_by", "total", "groups": [{"value", "label", "count"}]}``."""
        try:
            return jsonify(groups_data(request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    from webapp.work_views import export, reports, saved

    add_screen(appbuilder, ListView, "List", _l("List"), "fa-list", menu)
    links.append(("list", _l("List"), "ListView.list"))
    saved.register(appbuilder, menu)
    export.register(appbuilder)
    reports.register(appbuilder, menu)
