"""Finding 5: failed staff sign-ins are limited per account and per client address, on the
API (429 + Retry-After) and on the form (429 + a translated notice); the right password is
refused too while locked, and each lockout writes one ``security.login_failed`` event."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from tests.conftest import build_app
from tests.factories import PASSWORD, Factory
from webapp.models import Event

ACCOUNT_LIMIT, ADDRESS_LIMIT = 3, 5
HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/9"


@pytest.fixture
def limited(app: Flask) -> Iterator[Flask]:
    """``app`` with small limits (the suite's are generous); counts are reset after each
    test with the data."""
    before = app.config.get("LOGIN_RATE_LIMIT"), app.config.get("LOGIN_ADDRESS_RATE_LIMIT")
    app.config["LOGIN_RATE_LIMIT"] = f"{ACCOUNT_LIMIT} per hour"
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = f"{ADDRESS_LIMIT} per hour"
    yield app
    app.config["LOGIN_RATE_LIMIT"], app.config["LOGIN_ADDRESS_RATE_LIMIT"] = before


def _api_login(app: Flask, username: str, password: str, address: str = HOME) -> Any:
    with app.app_context():
        return app.test_client().post(
            "/api/v1/security/login", environ_base={"REMOTE_ADDR": address},
            json={"username": username, "password": password, "provider": "db"})


def _form_login(app: Flask, client: FlaskClient, username: str, password: str,
                address: str = HOME) -> Any:
    with app.app_context():
        return client.post("/login/", data={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": address})


def _events(make: Factory) -> list[Event]:
    make.session.expire_all()
    return list(make.session.scalars(
        select(Event).where(Event.type == "security.login_failed").order_by(Event.id)))


def _assert_limited(response: Any) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3600
    return wait


def test_api_account_locks_after_failures_even_for_the_right_password(
        limited: Flask, make: Factory) -> None:
    user = make.user("Agent")
    for _ in range(ACCOUNT_LIMIT):
        assert _api_login(limited, user.username, "wrong").status_code == 401
    refused = _api_login(limited, user.username, PASSWORD)
    _assert_limited(refused)
    assert "too many failed sign-ins" in refused.get_json()["message"]
    assert "access_token" not in refused.get_json()
    # Per account: another address is refused as well; by e-mail it is the same account.
    _assert_limited(_api_login(limited, user.username, PASSWORD, address=ELSEWHERE))
    _assert_limited(_api_login(limited, user.email, PASSWORD, address=ELSEWHERE))
    # Another account from the same address still signs in.
    other = make.user("Agent")
    assert _api_login(limited, other.username, PASSWORD).status_code == 200

    events = _events(make)
    assert len(events) == 1, [e.data for e in events]  # once per lockout, not per attempt
    assert events[0].subject_type == "user" and events[0].subject_id == user.id
    assert events[0].data | {"retry_after": None} == {
        "username": user.username, "address": HOME, "locked": "account",
        "failures": ACCOUNT_LIMIT, "retry_after": None}


def test_username_and_email_count_towards_one_account(limited: Flask, make: Factory) -> None:
    user = make.user("Agent")
    assert _api_login(limited, user.username, "wrong").status_code == 401
    assert _api_login(limited, user.email, "wrong", address=ELSEWHERE).status_code == 401
    assert _api_login(limited, user.username.upper(), "wrong").status_code == 401
    _assert_limited(_api_login(limited, user.username, PASSWORD))


def test_api_address_locks_after_failures_on_any_accounts(limited: Flask,
                                                          make: Factory) -> None:
    victim = make.user("Admin")
    for n in range(ADDRESS_LIMIT):  # spraying: one guess per (unknown) name
        assert _api_login(limited, f"guess{n}", "wrong").status_code == 401
    _assert_limited(_api_login(limited, victim.username, PASSWORD))
    # The account itself is not locked: from another address it signs in.
    assert _api_login(limited, victim.username, PASSWORD, address=ELSEWHERE).status_code == 200
    events = _events(make)
    assert [(e.data["locked"], e.data["address"]) for e in events] == [("address", HOME)]
    assert events[0].data["username"] == f"guess{ADDRESS_LIMIT - 1}"
    assert events[0].subject_id == 0  # no such user


def test_successful_sign_ins_are_not_counted(limited: Flask, make: Factory) -> None:
    user = make.user("Agent")
    for _ in range(ACCOUNT_LIMIT + ADDRESS_LIMIT + 2):
        assert _api_login(limited, user.username, PASSWORD).status_code == 200
    assert _events(make) == []


def test_form_locks_with_a_notice_and_counts_with_the_api(limited: Flask,
                                                         make: Factory) -> None:
    user = make.user("Agent")
    browser = limited.test_client()
    for _ in range(ACCOUNT_LIMIT - 1):
        failed = _form_login(limited, browser, user.username, "wrong")
        assert failed.status_code == 302 and "/login" in failed.headers["Location"]
    assert _api_login(limited, user.username, "wrong").status_code == 401  # same counter

    refused = _form_login(limited, browser, user.username, PASSWORD)
    wait = _assert_limited(refused)
    page = refused.get_data(as_text=True)
    minutes = -(-wait // 60)
    assert (f"There were too many attempts. Please wait {minutes} minute"
            in page), page[:2000]
    assert 'name="username"' in page  # the form itself, not an error page
    with limited.app_context():  # not signed in
        assert browser.get("/users/list/").status_code == 302
    assert len(_events(make)) == 1


def test_the_form_notice_is_translated(limited: Flask, make: Factory) -> None:
    user = make.user("Agent")
    for _ in range(ACCOUNT_LIMIT):
        _api_login(limited, user.username, "wrong")
    browser = limited.test_client()
    with limited.app_context():
        browser.get("/lang/pt")
    refused = _form_login(limited, browser, user.username, PASSWORD)
    _assert_limited(refused)
    assert "Houve tentativas demais" in refused.get_data(as_text=True)


def test_counts_are_shared_through_redis_by_every_process(tmp_path_factory: Any) -> None:
    """Two apps (as two gunicorn workers) counting in one Redis: failures on one lock the
    account on the other."""
    from webapp.seed import create_user

    data = tmp_path_factory.mktemp("limits-redis")
    url = f"sqlite:///{data / 'relaydesk.db'}"
    # Counters are keyed by account id: the prefix keeps this run's apart from other runs'.
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_RATE_LIMIT": "2 per hour"}
    first = build_app(url, data, **settings)
    second = build_app(url, data, **settings)
    name = "redis-agent"
    with first.app_context():
        create_user(name, f"{name}@staff.example", PASSWORD, "Agent")
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    for _ in range(2):
        assert _api_login(first, name, "wrong", address=address).status_code == 401
    _assert_limited(_api_login(second, name, PASSWORD, address=ELSEWHERE))
    redis = Redis.from_url(REDIS)
    keys = list(redis.scan_iter(f"*{prefix}*"))
    assert keys
    redis.delete(*keys)


def test_a_malformed_limit_is_refused_at_start_naming_the_variable() -> None:
    from webapp import config

    with pytest.raises(ValueError, match="LOGIN_RATE_LIMIT: expected a rate such as"):
        config.load({"LOGIN_RATE_LIMIT": "lots"})
    assert config.load({"LOGIN_ADDRESS_RATE_LIMIT": " 5 per hour "})[
        "LOGIN_ADDRESS_RATE_LIMIT"] == "5 per hour"
