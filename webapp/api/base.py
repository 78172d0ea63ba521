"""Base class of every model REST API: scoped reads, checked writes, typed errors."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.const import API_RESULT_RES_KEY
from marshmallow import Schema, ValidationError
from marshmallow_sqlalchemy.fields import Related, RelatedList

from webapp.api.list_args import filter_problems, page_problems
from webapp.commands.errors import CommandError
from webapp.security.resources import METHOD_PERMISSIONS

BODY_NOT_OBJECT = "body must be a JSON object"


class ExistingRelated(Related):
    """A reference by id to a row that exists.

    marshmallow-sqlalchemy turns an unknown id into a new, transient row (which then fails to
    insert, or worse) and looks up ids of the wrong type (a database error on PostgreSQL);
    here both are field errors.
    """

    def _deserialize(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        (key,) = (prop.key for prop in self.related_keys)
        if isinstance(value, dict) and set(value) == {key}:
            value = value[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be an integer id")
        # Ids are 32-bit; a larger number would be a database error, not a missing row.
        found = self.session.get(self.related_model, value) if 0 < value < 2**31 else None
        if found is None:
            # The same words as the write check's for rows one may not see.
            name = self.related_model.__tablename__.replace("_", " ")
            raise ValidationError(f"no {name} with id {value} that you may use")
        return found


def _strict_related(schema: Schema) -> None:
    for field in schema.fields.values():
        if type(field) is Related:
            field.__class__ = ExistingRelated
        elif isinstance(field, RelatedList) and type(field.inner) is Related:
            field.inner.__class__ = ExistingRelated


def raw_download(data: bytes, mimetype: str, filename: str) -> Response:
    """Stored bytes as received, always downloaded, never sniffed or rendered."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
        for schema in (self.add_model_schema, self.edit_model_schema):
            if schema is not None:
                _strict_related(schema)

    def _answer(self, call: Any, *args: Any) -> Response:
        try:
            return call(*args)
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)

    def _max_page_size(self) -> int:
        return int(self.max_page_size or current_app.config["FAB_API_MAX_PAGE_SIZE"])

    def get_list_headless(self, **kwargs: Any) -> Response:
        args = kwargs.get("rison") or {}
        problems = page_problems(args.get("page"), args.get("page_size"), self._max_page_size())
        problems.update(filter_problems(self.datamodel, args.get("filters")))
        if problems:
            return self.response_400(message=problems)
        return super().get_list_headless(**kwargs)

    def info_headless(self, **kwargs: Any) -> Response:
        """``_info``'s related-field pages take the same ``page``/``page_size`` as lists."""
        args = kwargs.get("rison") or {}
        problems = {}
        for key in ("add_columns", "edit_columns"):
            for column, paging in (args.get(key) or {}).items():
                if isinstance(paging, dict):
                    problems.update(page_problems(paging.get("page"), paging.get("page_size"),
                                                  self._max_page_size(), f"{key}.{column}."))
        if problems:
            return self.response_400(message=problems)
        return super().info_headless(**kwargs)

    def preload(self, body: Any) -> None:
        """Load rows the body refers to in as few queries as possible (identity map warm-up)."""

    def post_headless(self) -> Response:
        """FAB's create, but the answer is dumped before the commit: the commit expires every
        row in the session, and dumping afterwards reloads the item and each relation."""
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        if not isinstance(request.json, dict):
            return self.response_400(message=BODY_NOT_OBJECT)
        self.preload(request.json)
        try:
            item = self.add_model_schema.load(request.json)
        except ValidationError as err:
            return self.response_422(message=err.messages)
        self.pre_add(item)
        try:
            self.datamodel.add(item, commit=False)
            result = self.add_model_schema.dump(item, many=False)
            pk = self.datamodel.get_pk_value(item)
            self.datamodel.commit()
        except CommandError as exc:
            return self.response(exc.status, message=exc.messages)
        self.post_add(item)
        return self.response(201, **{API_RESULT_RES_KEY: result, "id": pk})

    def put_headless(self, pk: Any) -> Response:
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            # FAB merges the body into the row's fields and fails on anything but an object.
            return self.response_400(message=BODY_NOT_OBJECT)
        return self._answer(super().put_headless, pk)

    def delete_headless(self, pk: Any) -> Response:
        return self._answer(super().delete_headless, pk)
