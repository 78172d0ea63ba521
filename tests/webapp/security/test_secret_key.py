"""Finding 3: Relaydesk never runs with a publicly known SECRET_KEY. Unset, a random key is
generated once into the data folder and shared by every process; the old built-in default
(or anything shorter than 32 bytes) stops the start with a message saying what to do."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import build_app
from tests.factories import PASSWORD

OLD_DEFAULT = "dev-insecure-change-me-in-production-please"


def _unset() -> Any:
    """SECRET_KEY as when the environment does not set it (the setting's default)."""
    from webapp.config import SETTINGS

    return next(s.default for s in SETTINGS if s.env == "SECRET_KEY")


def _bare_app(data_dir: Path, **overrides: Any) -> Flask:
    """An app on ``data_dir`` (no migrations: only its configuration is looked at)."""
    from webapp import create_app

    return create_app({"DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'relaydesk.db'}",
                       "HUB_INPROCESS_RUNNER": False, "REDIS_URL": ""} | overrides)


@pytest.fixture(scope="module")
def keyless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, int]:
    """An app built with no SECRET_KEY, and the id of its Admin."""
    from webapp.seed import create_user

    data = tmp_path_factory.mktemp("keyless")
    app = build_app(f"sqlite:///{data / 'relaydesk.db'}", data, SECRET_KEY=_unset())
    with app.app_context():
        admin_id = create_user("root", "root@staff.example", PASSWORD, "Admin").id
    return app, admin_id


def _access_token(key: str, user_id: int) -> str:
    """A JWT as Flask-JWT-Extended makes them (FAB's login), signed with ``key``."""
    now = dt.datetime.now(dt.UTC)
    return jwt.encode({"sub": str(user_id), "type": "access", "fresh": True, "iat": now,
                       "nbf": now, "exp": now + dt.timedelta(hours=1),
                       "jti": str(uuid.uuid4())}, key, algorithm="HS256")


def _session_cookie(key: str, user_id: int) -> str:
    """A Flask session cookie signed with ``key`` saying ``user_id`` is signed in."""
    signer = Flask("forger")
    signer.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    return str(serializer.dumps({"_user_id": str(user_id), "_fresh": True}))


def test_a_jwt_forged_with_the_old_default_key_is_refused(keyless: tuple[Flask, int]) -> None:
    app, admin_id = keyless
    client = app.test_client()
    forged = client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {_access_token(OLD_DEFAULT, admin_id)}"})
    assert forged.status_code in (401, 422), forged.get_json()
    # The same token signed with the key the app really uses is accepted: the forgery above
    # fails only because of its key.
    genuine = client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {_access_token(app.config['SECRET_KEY'], admin_id)}"})
    assert genuine.status_code == 200
    assert genuine.get_json()["result"]["username"] == "root"


def test_a_session_cookie_forged_with_the_old_default_key_is_refused(
        keyless: tuple[Flask, int]) -> None:
    app, admin_id = keyless
    forger = app.test_client()
    forger.set_cookie("session", _session_cookie(OLD_DEFAULT, admin_id))
    refused = forger.get("/users/list/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]

    genuine = app.test_client()
    genuine.set_cookie("session", _session_cookie(app.config["SECRET_KEY"], admin_id))
    assert genuine.get("/users/list/").status_code == 200


def test_the_generated_key_is_random_private_and_shared_by_every_app(tmp_path: Path,
                                                                      caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="webapp.security.secret_key")
    first = _bare_app(tmp_path, SECRET_KEY=_unset())
    key_file = tmp_path / "secret.key"
    assert f"secret key generated into {key_file}" in caplog.messages
    second = _bare_app(tmp_path, SECRET_KEY="")  # empty is unset too: reads the same file
    assert f"secret key read from {key_file}" in caplog.messages
    key = first.config["SECRET_KEY"]
    assert key == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(key.encode()) >= 32 and key != OLD_DEFAULT
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = tmp_path / "other"
    assert _bare_app(other, SECRET_KEY=_unset()).config["SECRET_KEY"] != key  # random per install


def _resolve_after(barrier: Any, data_dir: str, results: Any) -> None:
    from webapp.security.secret_key import resolve

    barrier.wait()
    results.put(resolve("", data_dir))


def test_processes_starting_at_once_end_up_with_one_key(tmp_path: Path) -> None:
    # Forked: the children start with the modules loaded, so they reach the barrier together.
    ctx = multiprocessing.get_context("fork")
    count = 6
    barrier, results = ctx.Barrier(count), ctx.Queue()
    workers = [ctx.Process(target=_resolve_after, args=(barrier, str(tmp_path), results))
               for _ in range(count)]
    for worker in workers:
        worker.start()
    keys = {results.get(timeout=120) for _ in workers}
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert keys == {(tmp_path / "secret.key").read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temporary left over


def test_a_key_from_the_environment_is_used_and_logged(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="webapp.security.secret_key")
    key = "k" * 40
    assert _bare_app(tmp_path, SECRET_KEY=key).config["SECRET_KEY"] == key
    assert "secret key from environment" in caplog.messages
    assert not (tmp_path / "secret.key").exists()


@pytest.mark.parametrize("value, problem", [
    (OLD_DEFAULT, "publicly known"),
    ("change-me-to-a-long-random-string", "publicly known"),  # docker-compose.yml's example
    ("too-short-a-secret", "shorter than 32 bytes"),
])
def test_a_known_or_short_key_is_refused_with_a_clear_message(tmp_path: Path, value: str,
                                                              problem: str) -> None:
    from webapp.security.secret_key import InsecureSecretKey

    with pytest.raises(InsecureSecretKey) as refused:
        _bare_app(tmp_path, SECRET_KEY=value)
    assert problem in str(refused.value)
    assert "Unset SECRET_KEY" in str(refused.value)


def test_the_command_refuses_the_old_default_and_says_why(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(RELAYDESK_DATA_DIR=str(tmp_path), SECRET_KEY=OLD_DEFAULT, LOG_LEVEL="WARNING")
    run = subprocess.run([sys.executable, "-m", "webapp.cli", "db", "upgrade"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "Error: SECRET_KEY is a publicly known example value" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "relaydesk.db").exists()
