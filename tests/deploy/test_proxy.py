"""TRUSTED_PROXIES: behind nginx every request comes from the proxy's address; with the setting
the client's own address (the last X-Forwarded-For entry, the one nginx appended) is what the
per-address sign-in limit counts, and a forged first entry changes nothing. Without it, no
proxy header is believed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import build_app
from webapp import config

PROXY = "10.0.0.2"  # nginx, as the web process sees it
CLIENT, OTHER_CLIENT = "203.0.113.5", "198.51.100.7"
ADDRESS_LIMIT = 3


def _app(tmp: Path, proxies: int) -> Flask:
    return build_app(f"sqlite:///{tmp / 'relaydesk.db'}", tmp, TRUSTED_PROXIES=proxies,
                     LOGIN_ADDRESS_RATE_LIMIT=f"{ADDRESS_LIMIT} per hour")


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield _app(tmp_path_factory.mktemp("proxied"), 1)


@pytest.fixture(scope="module")
def no_proxy_trusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield _app(tmp_path_factory.mktemp("direct"), 0)


def _failed_login(app: Flask, forwarded_for: str, proto: str = "https") -> int:
    """A wrong password for a fresh name (so only the address limit can lock), sent by the
    proxy with the headers nginx sets."""
    with app.app_context():
        response = app.test_client().post(
            "/api/v1/security/login", environ_base={"REMOTE_ADDR": PROXY},
            headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto},
            json={"username": f"guess-{uuid.uuid4().hex[:8]}", "password": "wrong",
                  "provider": "db"})
    return response.status_code


def test_each_client_behind_the_proxy_has_its_own_limit(behind_nginx: Flask) -> None:
    behind_nginx.appbuilder.sm.limiter.reset()
    assert [_failed_login(behind_nginx, CLIENT) for _ in range(ADDRESS_LIMIT)] == [401] * 3
    assert _failed_login(behind_nginx, CLIENT) == 429
    # Another client through the same proxy is not locked out by the first one's guesses.
    assert _failed_login(behind_nginx, OTHER_CLIENT) == 401


def test_a_forged_forwarded_for_does_not_escape_the_limit(behind_nginx: Flask) -> None:
    behind_nginx.appbuilder.sm.limiter.reset()
    # The client sends its own X-Forwarded-For; nginx appends the address it saw.
    codes = [_failed_login(behind_nginx, f"192.0.2.{n}, {CLIENT}")
             for n in range(ADDRESS_LIMIT + 1)]
    assert codes == [401] * ADDRESS_LIMIT + [429]


def _sign_in_redirect(app: Flask) -> str:
    """Where an anonymous visit to a screen is sent: FAB names the page's full URL in next=."""
    with app.app_context():
        response = app.test_client().get(
            "/users/list/", environ_base={"REMOTE_ADDR": PROXY},
            headers={"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"})
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_scheme_comes_from_the_proxy(behind_nginx: Flask, no_proxy_trusted: Flask) -> None:
    # nginx terminates TLS: the page was asked for over HTTPS, and links back must say so.
    assert "next=https://localhost/users/list/" in _sign_in_redirect(behind_nginx)
    assert "next=http://localhost/users/list/" in _sign_in_redirect(no_proxy_trusted)


def test_without_the_setting_no_proxy_header_is_believed(no_proxy_trusted: Flask) -> None:
    no_proxy_trusted.appbuilder.sm.limiter.reset()
    # Rotating the header does not help: every attempt counts against the sender's address.
    codes = [_failed_login(no_proxy_trusted, f"192.0.2.{n}") for n in range(ADDRESS_LIMIT + 1)]
    assert codes == [401] * ADDRESS_LIMIT + [429]


def test_the_setting_is_a_count_of_proxies() -> None:
    assert config.load({})["TRUSTED_PROXIES"] == 0
    assert config.load({"TRUSTED_PROXIES": " 2 "})["TRUSTED_PROXIES"] == 2
    for bad in ("-1", "yes", "1.5"):
        with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
            config.load({"TRUSTED_PROXIES": bad})
