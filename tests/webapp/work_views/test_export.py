"""Exports: CSV and XLSX hold exactly the rows the list's data endpoint returns for the same
arguments (visibility included), read by keyset batches; bad arguments answer 422."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.clients import Browser
from tests.webapp.work_views.test_filters import build_world
from webapp.access.scope import Viewer
from webapp.models import Item
from webapp.work_views.export import cell, iter_rows
from webapp.work_views.filters import ViewFilter
from webapp.work_views.keyset import Sort

COLUMNS = "id,title,status,priority,assignee,organization,due_at,sla,cf.size,cf.tags"
# Custom fields head their column with their label ("Size"), never the key ("cf.size").
HEADER = ["#", "Title", "Status", "Priority", "Assignee", "Organization", "Due", "SLA", "Size",
          "Tags"]


@pytest.fixture
def world(make):
    return build_world(make)


def browser(app, user) -> Browser:
    return Browser(app, app.test_client(), user.username)


def api_rows(app, user, query: str) -> list[dict[str, Any]]:
    rows, cursor = [], None
    session = browser(app, user)
    while True:
        body = session.get(f"/views/list/items?{query}&page_size=2"
                           + (f"&cursor={cursor}" if cursor else "")).get_json()
        rows += body["rows"]
        cursor = body["next_cursor"]
        if not cursor:
            return rows


def as_table(rows: list[dict[str, Any]], columns: list[str]) -> list[list[str]]:
    return [[cell(r[c]) for c in columns] for r in rows]


@pytest.mark.parametrize("user, query", [
    ("admin", f"columns={COLUMNS}"),
    ("agent", f"columns={COLUMNS}&sort=-priority"),
    ("admin", f"columns={COLUMNS}&q=printer&sort=due_at"),
])
def test_csv_equals_the_data_endpoint(app, world, user, query):
    viewer = getattr(world, user)
    response = browser(app, viewer).get(f"/views/export/csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    columns = COLUMNS.split(",")
    assert table[0] == HEADER
    expected = as_table(api_rows(app, viewer, query), columns)
    assert table[1:] == expected and len(expected) >= 2
    if user == "agent":
        assert str(world.items["foreign"].id) not in [row[0] for row in table[1:]]


def test_xlsx_equals_the_data_endpoint(app, world):
    query = f"columns={COLUMNS}&sort=title"
    response = browser(app, world.agent).get(f"/views/export/xlsx?{query}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell(v.isoformat() if hasattr(v, "isoformat") else v) for v in row]
              for row in sheet.iter_rows(values_only=True)]
    columns = COLUMNS.split(",")
    assert values[0] == HEADER
    assert values[1:] == as_table(api_rows(app, world.agent, query), columns)


def test_rows_are_read_in_keyset_batches(make, world):
    viewer = Viewer.for_user(world.admin)
    view_filter = ViewFilter.parse({}, viewer)
    sort = Sort.parse("-id")
    rows = list(iter_rows(make.session, view_filter, viewer, sort, ["id"], batch=1))
    every = list(make.session.scalars(select(Item.id).order_by(Item.id.desc())))
    assert [r["id"] for r in rows] == every


@pytest.mark.parametrize("url, bad", [
    ("/views/export/pdf", "format"), ("/views/export/csv?priority=x", "priority"),
    ("/views/export/csv?columns=id,nope", "columns"), ("/views/export/xlsx?sort=x", "sort"),
    ("/views/export/csv?cf.nope=1", "cf.nope"),
])
def test_bad_arguments_answer_422(app, world, url, bad):
    response = browser(app, world.agent).get(url)
    assert response.status_code == 422 and bad in response.get_json()["errors"]


def test_a_team_less_agent_exports_an_empty_file(app, world):
    response = browser(app, world.loner).get("/views/export/csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == 1
