"""Base class of every model REST API: scoped reads, checked writes, typed errors."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder.api import ModelRestApi

from webapp.commands.errors import CommandError
from webapp.security.resources import METHOD_PERMISSIONS


class ScopedModelRestApi(ModelRestApi):
    """Reads are filtered by ``ScopedInterface``; writes go through its check.

    FAB's ``@safe`` would turn our typed errors into 500s, so the headless verbs map them
    to their status (422 with field messages, 403, 404) here.
    """

    allow_browser_login = True
    method_permission_name = METHOD_PERMISSIONS
    page_size = 25

    optional_on_add: tuple[str, ...] = ()
    """Columns NOT NULL in the database that a write rule fills in when left out."""

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        for name in self.optional_on_add:
            field = self.add_model_schema.fields.get(name)
            if field is not None:
                field.required = False

    def _answer(self, call: Any, *args: Any) -> Response:
        try:
            return call(*args)
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)

    def post_headless(self) -> Response:
        return self._answer(super().post_headless)

    def put_headless(self, pk: Any) -> Response:
        return self._answer(super().put_headless, pk)

    def delete_headless(self, pk: Any) -> Response:
        return self._answer(super().delete_headless, pk)
