"""Fixtures of the account-security tests: the session app with CSRF checks on, and a
browser signed in through the form (with its CSRF token, as a real one)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PASSWORD


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[Flask]:
    """``app`` checking CSRF tokens (the suite runs without, as FAB's tests do)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def form_token(page: str) -> str:
    """The page's CSRF token ("" when the app checks none)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return match.group(1) if match else ""


def sign_in(app: Flask, username: str, password: str = PASSWORD, **kw: object) -> FlaskClient:
    """A test client holding ``username``'s session cookie, signed in through /login/."""
    browser = app.test_client()
    with app.app_context():
        token = form_token(browser.get("/login/").get_data(as_text=True))
    with app.app_context():
        response = browser.post("/login/", data={"username": username, "password": password,
                                                 "csrf_token": token}, **kw)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return browser
