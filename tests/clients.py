"""Clients that act as one user: a browser session (form login) for the screens."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PASSWORD


class Browser:
    """A logged-in browser session. Every request gets an app context of its own, as in
    production (the ``make`` fixture keeps one open, which would share ``g`` and the
    database session between requests)."""

    def __init__(self, app: Flask, client: FlaskClient, username: str,
                 password: str = PASSWORD) -> None:
        self.app = app
        self.client = client
        response = self.post("/login/", data={"username": username, "password": password})
        assert response.status_code == 302
        assert "/login" not in response.headers["Location"], "login was refused"

    def get(self, url: str, **kw: Any) -> Any:
        with self.app.app_context():
            return self.client.get(url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        with self.app.app_context():
            return self.client.post(url, **kw)

    def page(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)
