"""REST APIs for events, recipes and their actions, and the delivery ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import ValidationError

from hub.actions import REGISTRY, describe
from webapp.access.interface import ScopedInterface, request_viewer
from webapp.api.base import ScopedModelRestApi
from webapp.automation import delivery_ledger, wake_workers
from webapp.commands.errors import CommandError
from webapp.commands.recipes import action_problems, recipe_data, save_recipe
from webapp.extensions import db
from webapp.models import Delivery, DeliveryStatus, Event, Recipe, RecipeAction


class EventApi(ScopedModelRestApi):
    resource_name = "event"
    class_permission_name = "Event"
    datamodel = ScopedInterface(Event)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "type", "subject_type", "subject_id", "actor_user.id",
                    "actor_user.username", "actor_customer.id", "actor_customer.email",
                    "actor_recipe_id", "depth", "diff", "created_at", "processed_at"]
    show_columns = list_columns + ["data"]
    search_columns = ["type", "subject_type", "subject_id", "actor_recipe_id", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "desc")


class RecipeApi(ScopedModelRestApi):
    resource_name = "recipe"
    class_permission_name = "Recipe"
    datamodel = ScopedInterface(Recipe)
    list_columns = ["id", "name", "enabled", "position", "trigger_event", "trigger_filter",
                    "conditions", "organization.id", "organization.name", "builtin_key"]
    show_columns = list_columns + ["actions.id", "actions.position", "actions.action_type",
                                   "actions.params", "created_at", "updated_at"]
    add_columns = ["name", "enabled", "position", "trigger_event", "trigger_filter",
                   "conditions", "organization"]
    edit_columns = add_columns
    search_columns = ["name", "enabled", "trigger_event", "organization"]
    base_order = ("position", "asc")
    optional_on_add = ("enabled", "position")

    # A body with ``actions`` ({action_type, params} in order) writes the recipe and its
    # actions in one transaction through the recipe editor's write path (``save_recipe``);
    # the recipe's own fields are still read by this API's schema (types, organization).
    def post_headless(self) -> Response:
        body = request.get_json(silent=True) if request.is_json else None
        if not isinstance(body, dict) or "actions" not in body:
            return super().post_headless()
        return self._save_with_actions(body, None)

    def put_headless(self, pk: Any) -> Response:
        body = request.get_json(silent=True) if request.is_json else None
        if not isinstance(body, dict) or "actions" not in body:
            return super().put_headless(pk)
        recipe = self.datamodel.get(pk, self._base_filters)
        if recipe is None:
            return self.response_404()
        return self._save_with_actions(body, recipe)

    def _save_with_actions(self, body: dict[str, Any], recipe: Recipe | None) -> Response:
        fields = {key: value for key, value in body.items() if key != "actions"}
        session = db.session
        viewer = request_viewer()
        try:
            if recipe is None:
                row = self.add_model_schema.load(fields)
            else:
                row = self.edit_model_schema.load(self._merge_update_item(recipe, fields),
                                                  instance=recipe)
        except ValidationError as err:
            errors = dict(err.messages) if isinstance(err.messages, dict) else \
                {"_schema": err.messages}
            action_problems(session, viewer, body, errors)  # every problem at once
            session.rollback()
            return self.response_422(message=errors)
        try:
            saved = save_recipe(session, viewer, {"actions": body["actions"]}, recipe,
                                new=row if recipe is None else None)
            result = recipe_data(saved)
            session.commit()
        except CommandError as exc:
            session.rollback()
            return self.response(exc.status, message=exc.messages)
        if recipe is None:
            return self.response(201, result=result, id=saved.id)
        return self.response(200, result=result, id=saved.id)

    @expose("/actions", methods=("GET",))
    @protect()
    @safe
    @permission_name("actions_catalog")
    def actions_catalog(self) -> Response:
        """Every action a recipe can use, with its input form.
        ---
        get:
          summary: The action catalogue (fields, types, required flags, choices)
          responses:
            200:
              description: actions
        """
        return self.response(200, result=[describe(spec) for spec in REGISTRY.values()])

    @expose("/<int:pk>/rerun-failed", methods=("POST",))
    @protect()
    @safe
    @permission_name("rerun_failed")
    def rerun_failed(self, pk: int) -> Response:
        """Replay every failed or dead delivery of this recipe since a time.
        ---
        post:
          summary: Re-run what failed for a recipe since T
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [since]
                  properties:
                    since: {type: string, format: date-time}
          responses:
            200:
              description: the replayed delivery ids
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        recipe = self.datamodel.get(pk)
        if recipe is None:
            return self.response_404()
        body = request.get_json(silent=True)
        since = _parse_since(body)
        if isinstance(since, str):
            return self.response_422(message={"since": [since]})
        ids = delivery_ledger().rerun_failed(recipe.id, since)
        wake_workers()
        return self.response(200, result={"replayed": ids})


def _parse_since(body: Any) -> dt.datetime | str:
    if not isinstance(body, dict) or not body.get("since"):
        return "is required (an ISO date-time, e.g. 2026-11-23T08:00:00)"
    try:
        since = dt.datetime.fromisoformat(str(body["since"]))
    except ValueError:
        return "must be an ISO date-time, e.g. 2026-11-23T08:00:00"
    if since.tzinfo is not None:
        since = since.astimezone(dt.UTC).replace(tzinfo=None)
    return since






class RecipeActionApi(ScopedModelRestApi):
    resource_name = "recipe_action"
    class_permission_name = "RecipeAction"
    datamodel = ScopedInterface(RecipeAction)
    list_columns = ["id", "recipe.id", "recipe.name", "position", "action_type", "params"]
    show_columns = list_columns
    add_columns = ["recipe", "position", "action_type", "params"]
    edit_columns = ["position", "action_type", "params"]
    search_columns = ["recipe", "action_type"]
    base_order = ("position", "asc")
    optional_on_add = ("position", "params")


class DeliveryApi(ScopedModelRestApi):
    resource_name = "delivery"
    class_permission_name = "Delivery"
    datamodel = ScopedInterface(Delivery)
    include_route_methods = {"get", "get_list", "info", "replay"}
    list_columns = ["id", "event.id", "event.type", "recipe.id", "recipe.name",
                    "recipe_action.id", "webhook_endpoint.id", "webhook_endpoint.name",
                    "action_type", "status", "attempts", "next_attempt_at",
                    "lease_expires_at", "last_error", "duration_ms", "created_at",
                    "finished_at"]
    show_columns = list_columns + ["result", "updated_at"]
    search_columns = ["event", "recipe", "status", "action_type", "created_at"]
    order_columns = ["id", "created_at", "next_attempt_at"]
    base_order = ("id", "desc")

    @expose("/<int:pk>/replay", methods=("POST",))
    @protect()
    @safe
    @permission_name("replay")
    def replay(self, pk: int) -> Response:
        """Run a delivery again (and the actions that waited on it).
        ---
        post:
          summary: Replay one delivery
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          responses:
            200:
              description: the delivery, pending again
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        delivery = self.datamodel.get(pk)
        if delivery is None:
            return self.response_404()
        if delivery.status == DeliveryStatus.RUNNING:
            return self.response_422(message={"status": ["is running; wait for it to end"]})
        delivery_ledger().replay(delivery)
        wake_workers()
        return self.response(200, result={"id": delivery.id, "status": delivery.status.value})
