"""Any view's filter set as a CSV or XLSX file, built by keyset batches (never every row in
memory): ``GET /views/export/<csv|xlsx>?<filters>&sort=&columns=``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from flask import Response, request, stream_with_context
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access_api
from flask_appbuilder.views import expose
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer, current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort
from webapp.work_views.list_view import (
    DEFAULT_SORT,
    LIST_ARGS,
    column_labels,
    list_page,
    parse_columns,
    rows_data,
)
from webapp.work_views.page import json_errors

BATCH = 500
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def cell(value: Any) -> str:
    """A row value as the text a CSV cell holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def header(session: Session, columns: Sequence[str]) -> list[str]:
    """The header row: each column's label (a custom field's label, not ``cf.<key>``)."""
    labels = column_labels(session, columns)
    return [labels[c] for c in columns]


def iter_rows(session: Session, view_filter: ViewFilter, viewer: Viewer, sort: Sort,
              columns: Sequence[str], batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every visible, filtered row in ``sort`` order, read ``batch`` rows at a time."""
    cursor: str | None = None
    while True:
        page = list_page(session, view_filter, viewer, sort, batch, cursor)
        yield from rows_data(session, page.rows, columns, with_url=False)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def csv_chunks(rows: Iterator[dict[str, Any]], columns: Sequence[str],
               head: Sequence[str]) -> Iterator[str]:
    """The CSV text, the ``head`` line then about ``BATCH`` rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(row[c]) for c in columns])
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def xlsx_file(rows: Iterator[dict[str, Any]], columns: Sequence[str],
              head: Sequence[str]) -> Any:
    """A temporary file holding the workbook (openpyxl's write-only mode streams rows to
    disk), positioned at its start."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Items")
    sheet.append(list(head))
    for row in rows:
        sheet.append([_xlsx_value(row[c]) for c in columns])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def export_bytes(session: Session, view_filter: ViewFilter, viewer: Viewer, sort: Sort,
                 columns: Sequence[str], fmt: str) -> bytes:
    """The whole file at once (for an e-mail attachment)."""
    rows = iter_rows(session, view_filter, viewer, sort, columns)
    head = header(session, columns)
    if fmt == "xlsx":
        with xlsx_file(rows, columns, head) as out:
            return out.read()
    return "".join(csv_chunks(rows, columns, head)).encode()


def _file_chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(64 * 1024):
            yield chunk


class ExportView(BaseView):
    route_base = "/views/export"
    class_permission_name = "WorkView"
    method_permission_name = {"export": "read"}

    @expose("/<fmt>")
    @has_access_api
    def export(self, fmt: str) -> Response:
        """The filtered rows as ``csv`` or ``xlsx`` (a download)."""
        session = db.session
        viewer = current_viewer()
        try:
            if fmt not in FORMATS:
                raise Invalid({"format": [f"{fmt!r} is not one of csv, xlsx"]})
            view_filter = ViewFilter.parse(request.args, viewer, ignore=LIST_ARGS)
            sort = Sort.parse(request.args.get("sort"), DEFAULT_SORT)
            columns = parse_columns(request.args.getlist("columns"), session)
            view_filter.clauses(session)  # a bad cf.<key> fails now, not mid-download
        except Invalid as exc:
            return json_errors(exc)
        rows = iter_rows(session, view_filter, viewer, sort, columns)
        head = header(session, columns)
        stamp = dt.date.today().isoformat()
        headers = {"Content-Disposition": f'attachment; filename="items-{stamp}.{fmt}"'}
        if fmt == "csv":
            body: Any = stream_with_context(
                chunk.encode() for chunk in csv_chunks(rows, columns, head))
        else:
            body = _file_chunks(xlsx_file(rows, columns, head))
        return Response(body, mimetype=FORMATS[fmt], headers=headers)


def register(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(ExportView)
