"""Finding 4: a header exempts a request from CSRF only when it authenticated it, and such a
request is the header's user, never the cookie session's."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.factories import ApiClient, Factory
from tests.webapp.security.conftest import sign_in
from webapp.extensions import db
from webapp.models import Item


def _exists(make: Factory, item_id: int) -> bool:
    make.session.expire_all()
    return db.session.get(Item, item_id) is not None


def _call(app: Flask, client: Any, method: str, url: str, **kw: Any) -> Any:
    with app.app_context():  # a fresh g per request, as in production
        return getattr(client, method)(url, **kw)


def _api_key(app: Flask, admin: ApiClient, username: str) -> str:
    made = admin.post("/api/v1/api_key/", json={"name": "integration", "username": username})
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["result"]["key"])


@pytest.fixture
def desk(csrf_on: Flask, make: Factory) -> dict[str, Any]:
    team = make.team()
    admin = make.user("Admin")
    agent = make.user("Agent", teams=[team])
    project = make.project(teams=[team])
    return {"admin": admin, "agent": agent, "project": project,
            "admin_browser": sign_in(csrf_on, admin.username)}


def test_basic_header_with_a_session_cookie_does_not_skip_csrf_on_a_screen(
        csrf_on: Flask, make: Factory, desk: dict[str, Any]) -> None:
    ticket = make.item(desk["project"])
    forged = _call(csrf_on, desk["admin_browser"], "post", f"/tickets/delete/{ticket.id}",
                   headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert forged.status_code in (400, 403), forged.status_code
    assert _exists(make, ticket.id)


def test_garbage_bearer_with_a_session_cookie_does_not_skip_csrf_on_the_api(
        csrf_on: Flask, make: Factory, desk: dict[str, Any]) -> None:
    ticket = make.item(desk["project"])
    for headers in ({"Authorization": "Bearer garbage"}, {"X-API-Key": "rdk_not-a-key"},
                    {"Authorization": "Bearer rdk_not-a-key"}):
        forged = _call(csrf_on, desk["admin_browser"], "delete",
                       f"/api/v1/ticket/{ticket.id}", headers=headers)
        assert forged.status_code in (400, 403), (headers, forged.status_code)
    assert _exists(make, ticket.id)


def test_the_session_still_works_with_its_token(csrf_on: Flask, make: Factory,
                                                desk: dict[str, Any]) -> None:
    from tests.webapp.security.conftest import form_token

    ticket = make.item(desk["project"])
    browser = desk["admin_browser"]
    page = _call(csrf_on, browser, "get", f"/tickets/show/{ticket.id}").get_data(as_text=True)
    deleted = _call(csrf_on, browser, "post", f"/tickets/delete/{ticket.id}",
                    data={"csrf_token": form_token(page)})
    assert deleted.status_code == 302
    assert not _exists(make, ticket.id)


def test_a_valid_jwt_needs_no_csrf_token(csrf_on: Flask, make: Factory,
                                         desk: dict[str, Any]) -> None:
    ticket = make.item(desk["project"])
    api = ApiClient(csrf_on.test_client(), desk["admin"].username)
    deleted = api.delete(f"/api/v1/ticket/{ticket.id}")
    assert deleted.status_code == 200, deleted.get_json()
    assert not _exists(make, ticket.id)


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_a_valid_api_key_needs_no_csrf_token(csrf_on: Flask, make: Factory,
                                             desk: dict[str, Any], header: str) -> None:
    ticket = make.item(desk["project"])
    key = _api_key(csrf_on, ApiClient(csrf_on.test_client(), desk["admin"].username),
                   desk["agent"].username)
    value = key if header == "X-API-Key" else f"Bearer {key}"
    deleted = _call(csrf_on, csrf_on.test_client(), "delete", f"/api/v1/ticket/{ticket.id}",
                    headers={header: value})
    assert deleted.status_code == 200, deleted.get_json()
    assert not _exists(make, ticket.id)


def test_a_valid_jwt_with_someone_elses_session_acts_as_the_jwt_user(
        csrf_on: Flask, make: Factory, desk: dict[str, Any]) -> None:
    agent_jwt = ApiClient(csrf_on.test_client(), desk["agent"].username).headers
    admin_browser = desk["admin_browser"]  # holds the admin's session cookie
    me = _call(csrf_on, admin_browser, "get", "/api/v1/me", headers=agent_jwt)
    assert me.status_code == 200
    assert me.get_json()["result"]["username"] == desk["agent"].username
    assert me.get_json()["result"]["roles"] == ["Agent"]
    # An Admin-only write (API keys), with no CSRF token: the agent's, so refused.
    made = _call(csrf_on, admin_browser, "post", "/api/v1/api_key/", headers=agent_jwt,
                 json={"name": "escalate", "username": desk["admin"].username})
    assert made.status_code == 403, made.get_json()
    # A screen too is the JWT's user: the admin screen of users is not the agent's.
    users = _call(csrf_on, admin_browser, "get", "/users/list/", headers=agent_jwt)
    assert users.status_code != 200
    # Without the header, the cookie is the admin's again.
    assert _call(csrf_on, admin_browser, "get", "/api/v1/me").get_json()["result"][
        "username"] == desk["admin"].username


def test_a_valid_api_key_with_someone_elses_session_acts_as_the_key_user(
        csrf_on: Flask, make: Factory, desk: dict[str, Any]) -> None:
    key = _api_key(csrf_on, ApiClient(csrf_on.test_client(), desk["admin"].username),
                   desk["agent"].username)
    me = _call(csrf_on, desk["admin_browser"], "get", "/api/v1/me", headers={"X-API-Key": key})
    assert me.get_json()["result"] | {"id": None} == me.get_json()["result"] | {
        "id": None, "username": desk["agent"].username, "auth": "api_key"}


def test_an_api_client_with_a_bad_token_and_no_cookie_gets_401_not_a_csrf_error(
        csrf_on: Flask, desk: dict[str, Any]) -> None:
    client = csrf_on.test_client()
    bad_key = _call(csrf_on, client, "post", "/api/v1/organization/", json={"name": "X"},
                    headers={"X-API-Key": "rdk_not-a-key"})
    assert bad_key.status_code == 401
    bad_jwt = _call(csrf_on, client, "post", "/api/v1/organization/", json={"name": "X"},
                    headers={"Authorization": "Bearer garbage"})
    assert bad_jwt.status_code in (401, 422), bad_jwt.status_code
    # Basic can come from a browser itself (a proxy's prompt): no exemption, cookie or not.
    basic = _call(csrf_on, client, "post", "/api/v1/organization/", json={"name": "X"},
                  headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 400


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_when_configured(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def cookie() -> str:
        with app.app_context():
            return str(app.test_client().get("/login/").headers["Set-Cookie"])

    plain = cookie()
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # behind HTTPS
    assert "Secure" in cookie()
