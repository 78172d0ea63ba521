"""REST APIs for tickets and tasks (one model, two resources), with ticket → task."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import permission_name
from sqlalchemy.orm import joinedload

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.access.scope import load_visible
from webapp.api.base import ScopedModelRestApi
from webapp.commands.convert_item import convert_ticket_to_task, parse_convert_request
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import Item, ItemKind, ItemType, Project

_COMMON_LIST = ["id", "kind", "title", "item_type.id", "item_type.name", "status.id",
                "status.name", "priority", "project.id", "project.name", "requester.id",
                "requester.email", "due_at", "created_at", "updated_at"]
_COMMON_SHOW = _COMMON_LIST + [
    "description", "folder.id", "folder.name", "created_by.id", "created_by.username",
    "custom_values", "assignee_users.id", "assignee_users.username", "assignee_teams.id",
    "assignee_teams.name", "follower_users.id", "follower_users.username",
    "follower_customers.id", "follower_customers.email",
]
_COMMON_WRITE = ["title", "description", "item_type", "status", "priority", "project",
                 "folder", "requester", "due_at", "custom_values", "assignee_users",
                 "assignee_teams", "follower_users", "follower_customers"]
_PLANNING = ["planned_start", "planned_finish", "actual_start", "actual_finish",
             "percent_complete", "points"]


class _ItemApi(ScopedModelRestApi):
    kind: ItemKind
    datamodel = ScopedInterface(Item)
    search_columns = ["title", "item_type", "status", "priority", "project", "requester",
                      "folder", "assignee_users", "assignee_teams", "due_at", "created_at"]
    order_columns = ["id", "title", "priority", "due_at", "created_at", "updated_at"]
    base_order = ("id", "desc")
    optional_on_add = ("status", "custom_values", "priority")

    def pre_add(self, item: Item) -> None:
        item.kind = self.kind

    def preload(self, body: Any) -> None:
        type_id = body.get("item_type") if isinstance(body, dict) else None
        if isinstance(type_id, int) and not isinstance(type_id, bool):
            # Held on ``g``: the session's identity map keeps only weak references.
            g.preloaded_item_type = db.session.get(
                ItemType, type_id,
                options=[joinedload(ItemType.statuses), joinedload(ItemType.custom_fields)],
            )
        project_id = body.get("project") if isinstance(body, dict) else None
        if isinstance(project_id, int) and not isinstance(project_id, bool):
            # Loaded through the visibility rule, so the write check need not ask again.
            g.preloaded_project = load_visible(db.session, Project, project_id,
                                               request_viewer())


class TicketApi(_ItemApi):
    resource_name = "ticket"
    class_permission_name = "Ticket"
    kind = ItemKind.TICKET
    base_filters = [["kind", FilterEqual, ItemKind.TICKET]]
    list_columns = _COMMON_LIST
    show_columns = _COMMON_SHOW
    add_columns = _COMMON_WRITE
    edit_columns = _COMMON_WRITE

    @expose("/<int:pk>/convert-to-task", methods=("POST",))
    @protect()
    @safe
    @permission_name("convert_to_task")
    def convert_to_task(self, pk: int) -> Response:
        """Turn a ticket into a task, keeping its id, messages, followers and history.
        ---
        post:
          summary: Convert a ticket to a task
          parameters:
          - in: path
            name: pk
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    item_type_id: {type: integer}
          responses:
            200:
              description: the item, now a task
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        ticket = self.datamodel.get(pk, self._base_filters)
        if ticket is None:
            return self.response_404()
        try:
            args: dict[str, Any] = parse_convert_request(request.get_json(silent=True))
            task = convert_ticket_to_task(db.session, ticket, request_viewer(), **args)
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)
        return self.response(
            200, id=task.id,
            result={"id": task.id, "kind": task.kind.value, "item_type_id": task.item_type_id,
                    "status_id": task.status_id},
        )


class TaskApi(_ItemApi):
    resource_name = "task"
    class_permission_name = "Task"
    kind = ItemKind.TASK
    base_filters = [["kind", FilterEqual, ItemKind.TASK]]
    list_columns = _COMMON_LIST + _PLANNING
    show_columns = _COMMON_SHOW + _PLANNING + ["predecessors.id", "predecessors.title"]
    add_columns = _COMMON_WRITE + _PLANNING + ["predecessors"]
    edit_columns = add_columns
