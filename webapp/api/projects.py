"""REST APIs for portfolios, projects (with template duplication), folders and grants."""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.api.base import ScopedModelRestApi
from webapp.commands.duplicate_project import duplicate_project, parse_duplicate_request
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import Folder, Portfolio, Project, ProjectGrant


class PortfolioApi(ScopedModelRestApi):
    resource_name = "portfolio"
    class_permission_name = "Portfolio"
    datamodel = ScopedInterface(Portfolio)
    list_columns = ["id", "name", "description", "created_at"]
    show_columns = ["id", "name", "description", "created_at", "updated_at"]
    add_columns = ["name", "description"]
    edit_columns = add_columns


class ProjectApi(ScopedModelRestApi):
    resource_name = "project"
    class_permission_name = "Project"
    datamodel = ScopedInterface(Project)
    list_columns = ["id", "name", "is_template", "portfolio.id", "portfolio.name",
                    "organization.id", "organization.name", "hourly_rate", "created_at"]
    show_columns = ["id", "name", "description", "is_template", "portfolio.id",
                    "portfolio.name", "organization.id", "organization.name", "hourly_rate",
                    "teams.id", "teams.name", "folders.id", "folders.name", "created_at",
                    "updated_at"]
    add_columns = ["name", "description", "is_template", "portfolio", "organization", "teams",
                   "hourly_rate"]
    edit_columns = add_columns
    search_columns = ["name", "is_template", "portfolio", "organization"]

    @expose("/<int:pk>/duplicate", methods=("POST",))
    @protect()
    @safe
    @permission_name("duplicate")
    def duplicate(self, pk: int) -> Response:
        """Copy a template project with its folders and tasks.
        ---
        post:
          summary: Duplicate a template project under a new name
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
                  required: [name]
                  properties:
                    name: {type: string}
                    organization_id: {type: integer}
                    start_on: {type: string, format: date}
          responses:
            201:
              description: the new project
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        template = self.datamodel.get(pk)
        if template is None:
            return self.response_404()
        try:
            args = parse_duplicate_request(request.get_json(silent=True))
            copy = duplicate_project(db.session, template, request_viewer(), **args)
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)
        return self.response(201, id=copy.id, result={"id": copy.id, "name": copy.name})


class FolderApi(ScopedModelRestApi):
    resource_name = "folder"
    class_permission_name = "Folder"
    datamodel = ScopedInterface(Folder)
    list_columns = ["id", "name", "project.id", "project.name", "parent.id"]
    show_columns = list_columns
    add_columns = ["name", "project", "parent"]
    edit_columns = add_columns


class ProjectGrantApi(ScopedModelRestApi):
    resource_name = "project_grant"
    class_permission_name = "ProjectGrant"
    datamodel = ScopedInterface(ProjectGrant)
    list_columns = ["id", "project.id", "project.name", "user.id", "user.username"]
    show_columns = list_columns
    add_columns = ["project", "user"]
    edit_columns = add_columns
