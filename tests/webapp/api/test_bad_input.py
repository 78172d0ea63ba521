"""Malformed requests get a 4xx naming the problem, never a 500, and write nothing.

Each finding of the OpenAPI fuzz run is one parametrized test, run as an Agent (JWT on
/api/v1, a logged-in browser on the screens), on PostgreSQL and SQLite; where the answer goes
through the visibility rules (list paging, filters) also as an Admin, whose queries differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import ApiClient, Factory, quick_user
from webapp.extensions import db
from webapp.models import Model

ROLES = ("Admin", "Agent")


def _desk(app: Flask, client: FlaskClient, make: Factory, role: str) -> SimpleNamespace:
    team = make.team()
    project = make.project([team])
    user = quick_user(make, role, teams=[team])
    ticket = make.item(project)
    return SimpleNamespace(
        app=app, role=role, api=ApiClient(client, user.username),
        browser=lambda: Browser(app, app.test_client(), user.username),
        project=project.id, ticket=ticket.id, item_type=ticket.item_type_id)


@pytest.fixture
def desk(app: Flask, client: FlaskClient, make: Factory) -> SimpleNamespace:
    return _desk(app, client, make, "Agent")


@pytest.fixture(params=ROLES)
def desk_by_role(request: pytest.FixtureRequest, app: Flask, client: FlaskClient,
                 make: Factory) -> SimpleNamespace:
    return _desk(app, client, make, request.param)


def _row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
                  for table in Model.metadata.sorted_tables}
        db.session.remove()
    return counts


def _refused(desk: SimpleNamespace, call: Callable[[], Any], status: int, *named: str) -> Any:
    """``call`` answers ``status`` with JSON naming each of ``named``, and writes nothing."""
    before = _row_counts(desk.app)
    response = call()
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    text = json.dumps(response.get_json())
    for word in named:
        assert word in text, text
    assert _row_counts(desk.app) == before
    return response


# --- ?q=(page:…) on list endpoints -------------------------------------------------------

@pytest.mark.parametrize(("query", "argument"), [
    ("(page:-5)", "page"),
    ("(page:9999999999999999999,page_size:100)", "page"),
    # FAB's own schema check answers these, naming the value and the type it wants.
    ("(page:1.5)", "integer"),
    ("(page_size:-5)", "page_size"),
    ("(page_size:0)", "page_size"),
    ("(page_size:99999999999999999999)", "page_size"),
    ("(page_size:abc)", "integer"),
    ("(page_size:'10')", "integer"),
])
@pytest.mark.parametrize("resource", ["ticket", "project", "customer"])
def test_list_paging_is_checked(desk_by_role: SimpleNamespace, resource: str, query: str,
                                argument: str) -> None:
    desk = desk_by_role
    _refused(desk, lambda: desk.api.get(f"/api/v1/{resource}/?q={query}"), 400, argument)


@pytest.mark.parametrize("query", ["(add_columns:(project:(page:-5)))",
                                   "(edit_columns:(requester:(page_size:-1)))"])
def test_info_paging_is_checked(desk: SimpleNamespace, query: str) -> None:
    _refused(desk, lambda: desk.api.get(f"/api/v1/ticket/_info?q={query}"), 400, "page")


# --- JSON nested thousands of levels -------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"title": "Deep", "custom_values": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ('{"title": ' + "[" * 5000 + "]" * 5000 + "}").encode("utf-16"),
])
@pytest.mark.parametrize("method", ["post", "put"])
def test_deep_json_is_refused(desk: SimpleNamespace, body: bytes, method: str) -> None:
    url = "/api/v1/ticket/" if method == "post" else f"/api/v1/ticket/{desk.ticket}"
    _refused(desk, lambda: getattr(desk.api, method)(
        url, data=body, content_type="application/json"), 400, "nested", "_body")


def test_deep_q_is_refused(desk: SimpleNamespace) -> None:
    deep = "(filters:" + "!(" * 3000 + ")" * 3000 + ")"
    _refused(desk, lambda: desk.api.get(f"/api/v1/ticket/?q={deep}"), 400, "nested", "q")


# --- NUL characters ------------------------------------------------------------------------

def _ticket(desk: SimpleNamespace, **fields: Any) -> dict[str, Any]:
    return {"title": "Printer jammed", "item_type": desk.item_type, "project": desk.project,
            **fields}


@pytest.mark.parametrize(("fields", "named"), [
    ({"title": "Printer\u0000jammed"}, "title"),
    ({"description": "\u0000"}, "description"),
    ({"custom_values": {"note": "a\u0000b"}}, "custom_values.note"),
    ({"custom_values": {"n\u0000te": "ab"}}, "custom_values.(a key)"),
])
@pytest.mark.parametrize("method", ["post", "put"])
def test_nul_in_json_body_is_refused(desk: SimpleNamespace, fields: dict[str, Any], named: str,
                                     method: str) -> None:
    url = "/api/v1/ticket/" if method == "post" else f"/api/v1/ticket/{desk.ticket}"
    _refused(desk, lambda: getattr(desk.api, method)(url, json=_ticket(desk, **fields)),
             400, named, "NUL")


@pytest.mark.parametrize(("url", "named"), [
    ("/api/v1/ticket/?q=(filters:!((col:title,opr:ct,value:'a%00b')))", "q"),
    ('/api/v1/ticket/?q={"filters":[{"col":"title","opr":"ct","value":"a\\u0000b"}]}', "q"),
    ("/api/v1/ticket/?other=%00", "other"),
    ("/api/v1/customer/?q=(filters:!((col:email,opr:eq,value:'%00')))", "q"),
])
def test_nul_in_query_string_is_refused(desk: SimpleNamespace, url: str, named: str) -> None:
    _refused(desk, lambda: desk.api.get(url), 400, named, "NUL")


# --- lone surrogates -----------------------------------------------------------------------

@pytest.mark.parametrize(("body", "named"), [
    ('{"title": "a\\ud800b", "item_type": %(t)d, "project": %(p)d}', "title"),
    ('{"title": "a\\udfffb", "item_type": %(t)d, "project": %(p)d}', "title"),
    ('{"title": "ok", "custom_values": {"x": ["\\ud83d"]}, "item_type": %(t)d, '
     '"project": %(p)d}', "custom_values.x[0]"),
])
@pytest.mark.parametrize("method", ["post", "put"])
def test_lone_surrogate_in_json_is_refused(desk: SimpleNamespace, body: str, named: str,
                                           method: str) -> None:
    url = "/api/v1/ticket/" if method == "post" else f"/api/v1/ticket/{desk.ticket}"
    data = body % {"t": desk.item_type, "p": desk.project}
    _refused(desk, lambda: getattr(desk.api, method)(
        url, data=data, content_type="application/json"), 400, named, "surrogate")


def test_surrogate_pair_is_accepted(desk: SimpleNamespace) -> None:
    """A paired escape is one ordinary character (an emoji), not a lone surrogate."""
    response = desk.api.post("/api/v1/ticket/", data=json.dumps(_ticket(
        desk, title="Printer \U0001f5a8 jammed")), content_type="application/json")
    assert response.status_code == 201, response.get_json()


def test_lone_surrogate_in_json_q_is_refused(desk: SimpleNamespace) -> None:
    url = '/api/v1/ticket/?q={"filters":[{"col":"title","opr":"ct","value":"\\ud800"}]}'
    _refused(desk, lambda: desk.api.get(url), 400, "q", "surrogate")


# --- bodies that are not objects -----------------------------------------------------------

@pytest.mark.parametrize("body", ["[]", "null", "5", '"x"', "[{}]", "true"])
@pytest.mark.parametrize("method", ["post", "put"])
def test_body_must_be_an_object(desk: SimpleNamespace, body: str, method: str) -> None:
    url = "/api/v1/ticket/" if method == "post" else f"/api/v1/ticket/{desk.ticket}"
    _refused(desk, lambda: getattr(desk.api, method)(
        url, data=body, content_type="application/json"), 400, "body must be a JSON object")


# --- filter values that must be ids, strings, lists, in range ------------------------------

@pytest.mark.parametrize("flt", [
    "(col:project,opr:rel_o_m,value:abc)",
    "(col:project,opr:nrel_o_m,value:abc)",
    "(col:project,opr:rel_o_m,value:99999999999)",
    "(col:project,opr:rel_o_m,value:!t)",
    "(col:requester,opr:rel_o_m,value:'1.5')",
    "(col:assignee_users,opr:rel_m_m,value:abc)",
    "(col:assignee_users,opr:rel_m_m,value:!(1,abc))",
    "(col:assignee_teams,opr:rel_m_m,value:-1)",
    "(col:title,opr:ct,value:5)",
    "(col:title,opr:sw,value:!(a))",
    "(col:title,opr:eq,value:5)",
    "(col:title,opr:in,value:5)",
    "(col:title,opr:in,value:!(1,2))",
    "(col:priority,opr:eq,value:99999999999999999999999)",
    "(col:priority,opr:gt,value:'-99999999999999999999999')",
])
def test_filter_values_are_checked(desk_by_role: SimpleNamespace, flt: str) -> None:
    desk = desk_by_role
    _refused(desk, lambda: desk.api.get(f"/api/v1/ticket/?q=(filters:!({flt}))"), 400,
             "filters[0].value")


def test_valid_relation_filter_still_works(desk: SimpleNamespace) -> None:
    response = desk.api.get(
        f"/api/v1/ticket/?q=(filters:!((col:project,opr:rel_o_m,value:{desk.project})))")
    assert response.status_code == 200
    assert response.get_json()["ids"] == [desk.ticket]


# --- too large -----------------------------------------------------------------------------

def test_oversized_body_is_413_on_the_api(desk: SimpleNamespace) -> None:
    body = b" " * (120 * 1024 * 1024)
    _refused(desk, lambda: desk.api.post("/api/v1/ticket/", data=body,
                                         content_type="application/json"), 413, "larger than")


# --- screens -------------------------------------------------------------------------------

def _screen_refused(desk: SimpleNamespace, call: Callable[[Browser], Any], status: int,
                    *named: str) -> None:
    browser = desk.browser()
    before = _row_counts(desk.app)
    response = call(browser)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "alert-danger" in page
    for word in named:
        assert word in page, page[-2000:]
    assert _row_counts(desk.app) == before


@pytest.mark.parametrize(("url", "named"), [
    ("/tickets/list/?_flt_0_title=%00", "_flt_0_title"),
    ("/tickets/list/?_flt_0_title=a&_flt_1_title=%00b", "_flt_1_title"),
    ("/tickets/list/?_oc_TicketView=%00", "_oc_TicketView"),
])
def test_nul_in_screen_query_is_refused(desk: SimpleNamespace, url: str, named: str) -> None:
    _screen_refused(desk, lambda b: b.get(url), 400, named, "NUL")


@pytest.mark.parametrize("field", ["title", "description"])
@pytest.mark.parametrize("screen", ["add", "edit"])
def test_nul_in_screen_form_is_refused(desk: SimpleNamespace, field: str, screen: str) -> None:
    url = "/tickets/add" if screen == "add" else f"/tickets/edit/{desk.ticket}"
    form = {"title": "Printer jammed", "item_type": desk.item_type, "project": desk.project,
            "priority": 3, field: "bad\x00value"}
    _screen_refused(desk, lambda b: b.post(url, data=form), 400, field, "NUL")


def test_oversized_form_is_413_on_screens(desk: SimpleNamespace) -> None:
    body = b"title=" + b"x" * (120 * 1024 * 1024)
    _screen_refused(desk, lambda b: b.post(
        "/tickets/add", data=body, content_type="application/x-www-form-urlencoded"),
        413, "larger than")


# --- found by the OpenAPI run: a multipart part without a name -----------------------------

def test_multipart_part_without_name_is_not_a_500(desk: SimpleNamespace) -> None:
    body = (b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"item\"\r\n\r\n1\r\n--b--\r\n")
    before = _row_counts(desk.app)
    response = desk.api.post("/api/v1/attachment/", data=body,
                             content_type="multipart/form-data; boundary=b")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.get_json()["message"]
    assert _row_counts(desk.app) == before


# --- found by the OpenAPI run on SQLite: path ids past 64 bits -----------------------------

@pytest.mark.parametrize(("method", "url"), [
    ("get", "/api/v1/ticket/9223372036854775808"),
    ("delete", "/api/v1/ticket/9223372036854775808"),
    ("put", "/api/v1/project/99999999999999999999999999"),
    ("get", "/api/v1/attachment/9223372036854775808/download"),
    ("post", "/api/v1/delivery/9223372036854775808/replay"),
])
def test_path_id_past_64_bits_is_404(desk: SimpleNamespace, method: str, url: str) -> None:
    _refused(desk, lambda: getattr(desk.api, method)(url, json={"name": "x"}), 404,
             "out of range")
