"""Search-as-you-type pickers for the relationship columns of every generated screen.

Flask-AppBuilder renders a relation as a ``<select>`` holding every related row, which grows
with the database. ``RelatedPickerMixin`` (part of ``ScopedModelView``) gives each relation in
the add, edit and search forms a field that renders only the chosen row(s); the browser
(static/relaydesk/related_picker.js, on FAB's Select2) asks ``<route_base>/related/<column>``
for at most ``PAGE_SIZE`` matches while the user types. The endpoint has the view's read right
and goes through the related model's ``ScopedInterface``; submitted ids are loaded under the
same visibility rule, and the write check verifies them again when the row is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, jsonify, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access_api
from flask_appbuilder.widgets import FormWidget, SearchWidget
from flask_babel import lazy_gettext
from markupsafe import Markup, escape
from sqlalchemy import false, inspect, or_
from wtforms import Field, validators
from wtforms.widgets import html_params

from webapp.access.interface import request_viewer
from webapp.access.scope import visibility_clause
from webapp.extensions import db
from webapp.models import Status

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_QUERY_LENGTH = 100
MAX_WORDS = 5
# Columns a person recognises a row by, searched in this order (the first found sorts).
TEXT_COLUMNS = ("name", "title", "label", "username", "first_name", "last_name", "email",
                "address", "slug", "domain")
_ID_WORD = re.compile(r"#(\d{1,9})")
_FILTER_ARG = re.compile(r"_flt_\d+_(.+)")


def relation_kind(datamodel: Any, column: str) -> str | None:
    """"one" or "many" for a relationship column FAB would render as a select, else None."""
    if not datamodel.is_relation(column):
        return None
    if datamodel.is_relation_many_to_one(column) or datamodel.is_relation_one_to_one(column):
        return "one"
    if datamodel.is_relation_many_to_many(column) or datamodel.is_relation_one_to_many(column):
        return "many"
    return None


def _pk(model: type) -> Any:
    return inspect(model).primary_key[0]


def visible_rows(model: type, ids: Iterable[int]) -> list[Any]:
    """The rows with these ids that the current viewer may see, in the order asked."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    pk = _pk(model)
    rows = db.session.query(model).filter(
        pk.in_(wanted), visibility_clause(model, request_viewer())).all()
    by_id = {getattr(row, pk.key): row for row in rows}
    return [by_id[i] for i in wanted if i in by_id]


# Rows whose own name repeats across a parent: the label names the parent too.
LABELS: dict[type, Callable[[Any], str]] = {
    Status: lambda status: f"{status.name} ({status.item_type.name})",
}


def row_label(row: Any) -> str:
    """What a person reads for a row: its own text (name, title …), never ``None``."""
    if type(row) in LABELS:
        return LABELS[type(row)](row)
    text = str(row).strip()
    if text and text != "None":
        return text
    for name in TEXT_COLUMNS:
        value = getattr(row, name, None)
        if value:
            return str(value)
    return f"#{getattr(row, _pk(type(row)).key)}"


def _is_id(value: str) -> bool:
    """Plain ASCII digits that fit an id ("²" and "１" are digits to ``isdigit`` too)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def _parse_ids(values: Iterable[str]) -> list[int]:
    ids = []
    for value in values:
        if value in ("", "__None"):
            continue
        if not _is_id(value):
            raise ValueError(f"{value!r} is not an id")
        ids.append(int(value))
    return ids


class PickRequired(validators.DataRequired):
    """Required, but an id refused while loading keeps its own message."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.process_errors:
            raise validators.StopValidation()
        super().__call__(form, field)


class RelatedPickerWidget:
    """A ``<select>`` with only the chosen option(s); related_picker.js makes it searchable."""

    def __call__(self, field: RelatedPickerField, **kwargs: Any) -> Markup:
        attrs = {
            "id": kwargs.pop("id", field.id), "name": field.name,
            "class": "form-control related-picker",
            "data-url": field.search_url(),
            "data-placeholder": str(lazy_gettext("Select Value")),
            "data-no-results": str(lazy_gettext("No records found")),
        }
        if field.multiple:
            attrs["multiple"] = True
        elif field.allow_blank:
            attrs["data-allow-clear"] = "1"
        options = []
        if not field.multiple and field.allow_blank:
            options.append(Markup('<option value=""></option>'))
        chosen = {id(row) for row in field.chosen_rows()}
        for row in field.option_rows():
            options.append(Markup("<option {}>{}</option>").format(
                Markup(html_params(value=getattr(row, field.pk.key),
                                   selected=id(row) in chosen)),
                escape(row_label(row))))
        return Markup("<select {}>{}</select>").format(
            Markup(html_params(**attrs)), Markup("").join(options))


class RelatedPickerField(Field):
    """A relation picked by id: ``data`` is the row (or list of rows), loaded only among the
    rows the viewer may see, like the search that offered them."""

    widget = RelatedPickerWidget()

    def __init__(self, label: Any = None, validators_: list[Any] | None = None, *,
                 model: type, url: Callable[[], str], multiple: bool, allow_blank: bool,
                 for_filter: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators_, **kwargs)
        self.model = model
        self.pk = _pk(model)
        self.search_url = url
        self.multiple = multiple
        self.allow_blank = allow_blank
        self.for_filter = for_filter

    def process_data(self, value: Any) -> None:
        if self.multiple:
            self.data = list(value or [])
        else:
            self.data = value

    def process_formdata(self, valuelist: list[str]) -> None:
        ids = _parse_ids(valuelist)
        if not self.multiple and len(ids) > 1:
            raise ValueError("choose one")
        rows = visible_rows(self.model, ids)
        found = {getattr(row, self.pk.key) for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            # The write check's words: a missing row and one the viewer may not see look alike.
            name = self.model.__tablename__.replace("_", " ")
            raise ValueError(
                f"no {name} with id {', '.join(map(str, missing))} that you may use")
        self.data = rows if self.multiple else (rows[0] if rows else None)

    def _value(self) -> str:
        return ",".join(str(getattr(row, self.pk.key)) for row in self.chosen_rows())

    def chosen_rows(self) -> list[Any]:
        if self.multiple:
            return [row for row in self.data or [] if row is not None]
        return [self.data] if self.data is not None else []

    def option_rows(self) -> list[Any]:
        """The chosen rows; in a list filter, also those the current filters name (the
        filter script picks its value among the options)."""
        if not self.for_filter:
            return self.chosen_rows()
        ids = []
        for key in request.args:
            match = _FILTER_ARG.fullmatch(key)
            if match and match.group(1) == self.name:
                ids += [int(v) for v in request.args.getlist(key) if _is_id(v)]
        return visible_rows(self.model, ids)


def text_clauses(text: str, columns: list[Any], pk: Any) -> list[Any]:
    """WHERE clauses for a typed search: every word in one of ``columns`` (case-insensitive,
    ``%`` and ``_`` taken literally); a word ``#<n>`` is the row's id."""
    clauses = []
    for word in text.split()[:MAX_WORDS]:
        by_id = _ID_WORD.fullmatch(word)
        if by_id:
            clauses.append(pk == int(by_id.group(1)))
            continue
        pattern = "%" + (word.replace("\\", "\\\\").replace("%", "\\%")
                         .replace("_", "\\_")) + "%"
        clauses.append(or_(*[col.ilike(pattern, escape="\\") for col in columns])
                       if columns else false())
    return clauses


def search_related(datamodel: Any, column: str, filters_spec: list[Any] | None, text: str,
                   page: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of the rows of ``column``'s model that the viewer may see and that match
    ``text`` (see ``text_clauses``), as Select2 results."""
    related = datamodel.get_related_interface(column)
    model = related.obj
    pk = _pk(model)
    filters = related.get_filters()
    if filters_spec:
        filters = filters.add_filter_list(filters_spec)
    # ScopedInterface.apply_filters adds the visibility rule of the related model.
    query = related.apply_filters(related.session.query(model), filters)
    columns = [getattr(model, name) for name in TEXT_COLUMNS
               if name in related.list_columns and related.is_string(name)]
    query = query.filter(*text_clauses(text, columns, pk))
    order = ([columns[0]] if columns else []) + [pk]
    rows = query.order_by(*order).offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1).all()
    results = [{"id": getattr(row, pk.key), "text": row_label(row)} for row in rows[:PAGE_SIZE]]
    return results, len(rows) > PAGE_SIZE


class RelatedPickerFormWidget(FormWidget):
    template = "relaydesk/widgets/related_picker_form.html"


class RelatedPickerSearchWidget(SearchWidget):
    template = "relaydesk/widgets/related_picker_search.html"


def _bad(status: int, field: str, reason: str) -> Response:
    response = jsonify(message={field: [reason]})
    response.status_code = status
    return response


class RelatedPickerMixin:
    """Mix into a ModelView (before it): relation pickers on its forms, and their search."""

    add_widget = RelatedPickerFormWidget
    edit_widget = RelatedPickerFormWidget
    search_widget = RelatedPickerSearchWidget

    def _init_forms(self) -> None:
        # Our fields go under the view's own extra fields, which keep priority.
        view: Any = self
        self._picker_filters: dict[str, list[Any]] = {}
        for form, columns in (("add", view.add_columns), ("edit", view.edit_columns),
                              ("search", view.search_columns)):
            own = getattr(view, f"{form}_form_extra_fields") or {}
            rel_filters = getattr(view, f"{form}_form_query_rel_fields") or {}
            fields = self._picker_fields(columns, own, for_filter=form == "search")
            for column in fields:
                self._picker_filters.setdefault(column, rel_filters.get(column) or [])
            setattr(view, f"{form}_form_extra_fields", {**fields, **own})
        if view.include_route_methods is not None and self._picker_filters:
            view.include_route_methods = set(view.include_route_methods) | {"related"}
        super()._init_forms()  # type: ignore[misc]

    def _picker_fields(self, columns: Iterable[str], own: dict[str, Any], *,
                       for_filter: bool) -> dict[str, RelatedPickerField]:
        view: Any = self
        datamodel = view.datamodel
        fields = {}
        for column in columns or []:
            kind = relation_kind(datamodel, column)
            if kind is None or column in own:
                continue
            multiple = kind == "many" and not for_filter
            required = (not for_filter and kind == "one"
                        and not datamodel.is_nullable(column))
            checks = list(view.validators_columns.get(column, [])) if not for_filter else []
            if kind == "one":  # as FAB: a list relation gets neither
                checks.append(PickRequired() if required else validators.Optional())
            fields[column] = RelatedPickerField(
                view.label_columns.get(column, column),
                checks,
                description=view.description_columns.get(column, "")
                if not for_filter else "",
                model=datamodel.get_related_model(column),
                url=self._picker_url(column),
                multiple=multiple,
                allow_blank=not required and not multiple,
                for_filter=for_filter,
            )
        return fields

    def _picker_url(self, column: str) -> Callable[[], str]:
        view: Any = self
        return lambda: url_for(f"{view.endpoint}.related", column=column)

    @expose("/related/<column>")
    @has_access_api
    def related(self, column: str) -> Response:
        """``?q=<text>&page=<n>``: up to 20 rows of ``column`` the viewer may see, as Select2
        results ``{"results": [{"id", "text"}], "pagination": {"more"}}``."""
        view: Any = self
        if column not in self._picker_filters:
            return _bad(404, "column", f"{column!r} is not a related field of this screen")
        text = request.args.get("q", "")
        if len(text) > MAX_QUERY_LENGTH:
            return _bad(400, "q", f"at most {MAX_QUERY_LENGTH} characters")
        raw_page = request.args.get("page", "0")
        if not _is_id(raw_page) or int(raw_page) > MAX_PAGE:
            return _bad(400, "page", f"a whole number from 0 to {MAX_PAGE}")
        results, more = search_related(view.datamodel, column, self._picker_filters[column],
                                       text, int(raw_page))
        return jsonify(results=results, pagination={"more": more})
