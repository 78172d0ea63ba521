"""Saved views: a name for a view's filters, grouping, columns, sort and kind; private to its
owner or shared with one of the owner's teams.

JSON endpoints under ``/views/saved`` (the partial ``saved_views.html`` calls them): list
mine and shared, save, rename, share, delete (owner only); ``GET /views/saved/<id>`` reopens
a view: a redirect to its kind's page with its arguments. Whoever opens a view sees only
what their own visibility allows: the page filters again for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, abort, current_app, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import Team
from webapp.models.saved_views import SavedView, ViewKind
from webapp.models.teams import team_member
from webapp.work_views.filters import KNOWN, ViewFilter
from webapp.work_views.keyset import Sort
from webapp.work_views.list_view import parse_columns, parse_group_by
from webapp.work_views.page import json_errors
from webapp.work_views.registry import WORK_VIEW_LINKS

NAME_LENGTH = 120


def my_team_ids(viewer: Viewer) -> Any:
    return select(team_member.c.team_id).where(team_member.c.user_id == viewer.user_id)


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Views the viewer owns or that are shared with one of their teams."""
    return or_(SavedView.owner_id == viewer.user_id, SavedView.team_id.in_(my_team_ids(viewer)))


def find_visible(session: Session, viewer: Viewer, pk: int) -> SavedView:
    view = session.scalar(select(SavedView).where(SavedView.id == pk, visible_clause(viewer)))
    if view is None:
        abort(404)
    return view


def find_own(session: Session, viewer: Viewer, pk: int) -> SavedView:
    """The viewer's own view (404 if it is not visible, 403 if it is someone else's)."""
    view = find_visible(session, viewer, pk)
    if view.owner_id != viewer.user_id:
        abort(403)
    return view


def parse_name(raw: Any) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise Invalid({"name": ["is required"]})
    if len(name) > NAME_LENGTH:
        raise Invalid({"name": [f"is longer than {NAME_LENGTH} characters"]})
    return name


def parse_team(session: Session, viewer: Viewer, raw: Any) -> int | None:
    """``team_id``: empty (private) or one of the viewer's teams."""
    if raw in (None, "", 0, "0"):
        return None
    if not str(raw).isdigit():
        raise Invalid({"team_id": [f"{raw!r} is not a team id"]})
    team_id = int(raw)
    if team_id not in set(session.scalars(my_team_ids(viewer))):
        raise Invalid({"team_id": ["you can share only with a team you belong to"]})
    return team_id


def parse_kind(raw: Any) -> ViewKind:
    try:
        return ViewKind(str(raw or "list"))
    except ValueError as exc:
        raise Invalid({"kind": [f"{raw!r} is not one of "
                                f"{', '.join(k.value for k in ViewKind)}"]}) from exc


def view_settings(session: Session, viewer: Viewer, query: str,
                  kind: ViewKind) -> dict[str, Any]:
    """The view's stored parts from its page's query string: the normalized filter set,
    sort, columns and grouping (each validated; other arguments of the page are dropped)."""
    args: MultiDict[str, str] = MultiDict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    own = [name for name in args if name not in KNOWN and not name.startswith("cf.")]
    filters = ViewFilter.parse(args, viewer, ignore=own)
    filters.clauses(session)  # a cf.<key> no field has fails here
    sort = args.get("sort") or None
    if sort:
        Sort.parse(sort)
    is_list = kind == ViewKind.LIST
    columns = parse_columns(args.getlist("columns"), session) \
        if is_list and args.getlist("columns") else []
    group_by = parse_group_by(args.get("group_by"), session) if is_list else None
    return {"filters": filters.args, "sort": sort, "columns": columns, "group_by": group_by}


def view_args(view: SavedView) -> list[tuple[str, str]]:
    """The query arguments that reopen ``view``."""
    pairs = [(name, value) for name, values in (view.filters or {}).items()
             for value in ([values] if isinstance(values, str) else values)]
    if view.sort:
        pairs.append(("sort", view.sort))
    if view.columns:
        pairs.append(("columns", ",".join(view.columns)))
    if view.group_by:
        pairs.append(("group_by", view.group_by))
    return pairs


def page_url(view: SavedView) -> str:
    """The page of the view's kind with its arguments."""
    endpoint = next((e for kind, _label, e in WORK_VIEW_LINKS if kind == view.kind.value),
                    "ListView.list")
    query = urlencode(view_args(view))
    return url_for(endpoint) + (f"?{query}" if query else "")


def view_data(view: SavedView, viewer: Viewer) -> dict[str, Any]:
    return {"id": view.id, "name": view.name, "kind": view.kind.value,
            "team_id": view.team_id, "team": view.team.name if view.team else None,
            "mine": view.owner_id == viewer.user_id, "filters": view.filters,
            "columns": view.columns, "group_by": view.group_by, "sort": view.sort,
            "pinned": view.pinned,
            "url": url_for("SavedViewView.open", pk=view.id)}


def views_menu(session: Session, viewer: Viewer) -> dict[str, Any]:
    """The viewer's views, the views shared with their teams, and their teams."""
    views = list(session.scalars(select(SavedView).where(visible_clause(viewer))
                                 .order_by(SavedView.name)))
    teams = list(session.scalars(select(Team).where(Team.id.in_(my_team_ids(viewer)))
                                 .order_by(Team.name)))
    return {"mine": [view_data(v, viewer) for v in views if v.owner_id == viewer.user_id],
            "shared": [view_data(v, viewer) for v in views if v.owner_id != viewer.user_id],
            "teams": [{"id": t.id, "name": t.name} for t in teams]}


def save_view(session: Session, viewer: Viewer, body: Mapping[str, Any]) -> SavedView:
    """A new view of the viewer's from ``{name, kind, query, team_id}``."""
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    for name, parse in (("name", lambda: parse_name(body.get("name"))),
                        ("kind", lambda: parse_kind(body.get("kind"))),
                        ("team_id", lambda: parse_team(session, viewer, body.get("team_id")))):
        try:
            found[name] = parse()
        except Invalid as exc:
            errors.update(exc.messages)
    if errors:
        raise Invalid(errors)
    settings = view_settings(session, viewer, str(body.get("query") or ""), found["kind"])
    view = SavedView(name=found["name"], owner_id=viewer.user_id, kind=found["kind"],
                     team_id=found["team_id"], **settings)
    session.add(view)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Invalid({"name": [f"you already have a view named {found['name']!r}"]}) from exc
    return view


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


class SavedViewView(BaseView):
    route_base = "/views/saved"
    class_permission_name = "SavedView"
    method_permission_name = {"mine": "read", "open": "read", "save": "write",
                              "rename": "write", "share": "write", "remove": "write",
                              "pin": "write"}

    @expose("/", methods=["GET"])
    @has_access_api
    def mine(self) -> Response:
        """``{"mine": [...], "shared": [...], "teams": [...]}``."""
        return jsonify(views_menu(db.session, current_viewer()))

    @expose("/", methods=["POST"])
    @has_access_api
    def save(self) -> Response:
        """Save ``{name, kind, query (the page's query string), team_id}``."""
        viewer = current_viewer()
        try:
            view = save_view(db.session, viewer, _body())
        except Invalid as exc:
            return json_errors(exc)
        response = jsonify(view_data(view, viewer))
        response.status_code = 201
        return response

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def open(self, pk: int) -> Any:
        return redirect(page_url(find_visible(db.session, current_viewer(), pk)))

    @expose("/<int:pk>/rename", methods=["POST"])
    @has_access_api
    def rename(self, pk: int) -> Response:
        session, viewer = db.session, current_viewer()
        view = find_own(session, viewer, pk)
        try:
            view.name = parse_name(_body().get("name"))
            session.commit()
        except Invalid as exc:
            return json_errors(exc)
        except IntegrityError:
            session.rollback()
            return json_errors(Invalid({"name": ["you already have a view with this name"]}))
        return jsonify(view_data(view, viewer))

    @expose("/<int:pk>/share", methods=["POST"])
    @has_access_api
    def share(self, pk: int) -> Response:
        """``{"team_id": <one of my teams> | null}`` (null: private again)."""
        session, viewer = db.session, current_viewer()
        view = find_own(session, viewer, pk)
        try:
            view.team_id = parse_team(session, viewer, _body().get("team_id"))
        except Invalid as exc:
            return json_errors(exc)
        session.commit()
        return jsonify(view_data(view, viewer))

    @expose("/<int:pk>/pin", methods=["POST"])
    @has_access_api
    def pin(self, pk: int) -> Response:
        """``{"pinned": true|false}``: show the view with its count on my workspace home."""
        session, viewer = db.session, current_viewer()
        view = find_own(session, viewer, pk)
        pinned = _body().get("pinned")
        if not isinstance(pinned, bool):
            return json_errors(Invalid({"pinned": ["must be true or false"]}))
        view.pinned = pinned
        session.commit()
        return jsonify(view_data(view, viewer))

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access_api
    def remove(self, pk: int) -> Response:
        session = db.session
        session.delete(find_own(session, current_viewer(), pk))
        session.commit()
        return jsonify(deleted=pk)


def register(appbuilder: Any, menu: str) -> None:
    appbuilder.add_view_no_menu(SavedViewView)

    @current_app.context_processor
    def _saved_views() -> dict[str, Any]:
        return {"saved_views_menu": lambda: views_menu(db.session, current_viewer())}
