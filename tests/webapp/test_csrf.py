"""CSRF: browser requests need the token; requests authenticated by a header (JWT, API key)
do not (tests/webapp/security/test_header_auth.py: only when the header authenticated them)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import build_app
from tests.factories import PASSWORD, ApiClient


@pytest.fixture(scope="module")
def csrf_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("csrf")
    return build_app(f"sqlite:///{data / 'csrf.db'}", data, WTF_CSRF_ENABLED=True)


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_forms_need_the_token_and_apis_with_a_bearer_do_not(csrf_app):
    from webapp.seed import create_user

    with csrf_app.app_context():
        create_user("csrfadmin", "csrf@staff.example", PASSWORD, "Admin")
    browser = csrf_app.test_client()
    assert browser.post("/login/", data={"username": "csrfadmin",
                                         "password": PASSWORD}).status_code != 302
    token = _token(browser.get("/login/").get_data(as_text=True))
    login = browser.post("/login/", data={"username": "csrfadmin", "password": PASSWORD,
                                          "csrf_token": token})
    assert login.status_code == 302 and "/login" not in login.headers["Location"]

    forged = browser.post("/recipes/rerun/1", data={"since": "2026-01-01T00:00"})
    assert forged.status_code == 400
    forged_api = browser.post("/api/v1/attachment/", data={"item_id": "1"})
    assert forged_api.status_code == 400

    api = ApiClient(csrf_app.test_client(), "csrfadmin")
    created = api.post("/api/v1/organization/", json={"name": "Token Co"})
    assert created.status_code == 201, created.get_json()


def test_inbound_webhooks_and_api_key_calls_need_no_token(csrf_app):
    client = csrf_app.test_client()
    # Signed by their sender, never cookie-authenticated: no CSRF token (404: no such slug).
    assert client.post("/hooks/in/nowhere", data=b"{}",
                       content_type="application/json").status_code == 404
    # An API key header cannot be sent by another site's form either (401: not a valid key).
    assert client.post("/api/v1/hooks/", json={}, headers={"X-API-Key": "rdk_x"}
                       ).status_code == 401
    assert client.post("/api/v1/hooks/", json={}).status_code == 400  # cookie-style: refused
