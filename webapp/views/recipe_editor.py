"""The recipe editor (admins): trigger → conditions → actions on one page, each action's form
built from its input schema (``describe``), saved through the recipe write rules, with a
"test with the last matching event" that shows the rendered inputs."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request
from flask_appbuilder import AppBuilder, BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import lazy_gettext as _l

from hub.actions import REGISTRY, describe
from hub.conditions import OPERATORS
from webapp.access.interface import request_viewer
from webapp.commands.errors import CommandError
from webapp.commands.recipes import preview, recipe_data, save_recipe
from webapp.commands.webhooks import KNOWN_EVENTS
from webapp.extensions import db
from webapp.models import Recipe
from webapp.views.labels import add_screen
from webapp.views.recipe_events import event_fields, trigger_families, trigger_problem
from webapp.views.recipe_lookups import FIELD_LOOKUPS, LOOKUPS, suggestions
from webapp.views.related_picker import MAX_QUERY_LENGTH


def _described(spec: Any) -> dict[str, Any]:
    action = describe(spec)
    for item in action["fields"]:
        item["lookup"] = FIELD_LOOKUPS.get(item["name"]) if item["type"] == "String" else None
    return action


def editor_catalogue() -> dict[str, Any]:
    """What the page needs to build its forms: fixed lists only. Rows that grow with the data
    (connections, endpoints, inbound events, projects, users …) are searched while typing
    (``lookup``)."""
    return {
        "actions": [_described(spec) for spec in REGISTRY.values()],
        "events": list(KNOWN_EVENTS),
        "families": trigger_families(),
        "operators": list(OPERATORS),
    }


def _json(status: int, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


class RecipeEditorView(BaseView):
    route_base = "/recipe-editor"
    default_view = "new"
    class_permission_name = "RecipeEditor"
    method_permission_name = {"new": "write", "edit": "write", "save": "write",
                              "test": "write", "lookup": "write", "fields": "write"}

    def _page(self, recipe: Recipe | None) -> Any:
        return self.render_template(
            "relaydesk/recipe_editor.html", catalogue=editor_catalogue(),
            recipe=recipe_data(recipe) if recipe is not None else None)

    @expose("/")
    @has_access
    def new(self) -> Any:
        return self._page(None)

    @expose("/<int:pk>")
    @has_access
    def edit(self, pk: int) -> Any:
        recipe = db.session.get(Recipe, pk)
        if recipe is None:
            abort(404)
        return self._page(recipe)

    @expose("/save", methods=["POST"])
    @has_access_api
    def save(self) -> Response:
        body = request.get_json(silent=True)
        recipe = None
        if isinstance(body, dict) and body.get("id") is not None:
            recipe = db.session.get(Recipe, body["id"])
            if recipe is None:
                return _json(404, message={"id": [f"no recipe {body['id']}"]})
        try:
            saved = save_recipe(db.session, request_viewer(), body, recipe)
            db.session.commit()
        except CommandError as exc:
            db.session.rollback()
            return _json(exc.status, message=exc.messages)
        return _json(201 if recipe is None else 200, id=saved.id,
                     result=recipe_data(saved))

    @expose("/test", methods=["POST"])
    @has_access_api
    def test(self) -> Response:
        try:
            result = preview(db.session, request.get_json(silent=True))
        except CommandError as exc:
            return _json(exc.status, message=exc.messages)
        return _json(200, result=result)

    @expose("/fields")
    @has_access_api
    def fields(self) -> Response:
        """``?event=<type or pattern>``: ``{"event", "fields": {group: [path, …]}}``, what a
        condition or template of a recipe on that trigger can read."""
        event = request.args.get("event", "")
        problem = trigger_problem(db.session, event)
        if problem:
            return _json(422, message={"event": [problem]})
        return _json(200, event=event, fields=event_fields(event))

    @expose("/lookup/<kind>")
    @has_access_api
    def lookup(self, kind: str) -> Response:
        """``?q=<text>`` (and ``connector=`` for connections): up to 20 suggestions."""
        if kind not in LOOKUPS:
            return _json(404, message={"kind": [f"one of {', '.join(sorted(LOOKUPS))}"]})
        text = request.args.get("q", "")
        if len(text) > MAX_QUERY_LENGTH:
            return _json(400, message={"q": [f"at most {MAX_QUERY_LENGTH} characters"]})
        return _json(200, results=suggestions(kind, text, request.args.to_dict()))


def register_recipe_editor(appbuilder: AppBuilder) -> None:
    add_screen(appbuilder, RecipeEditorView, "Recipe editor", _l("Recipe editor"),
               "fa-pencil-square-o", "Automation")
