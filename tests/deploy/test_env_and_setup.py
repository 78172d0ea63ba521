"""`relaydesk config --env-template` writes working, fresh secrets; `relaydesk setup` (the
compose file's migrate step) migrates and creates the first admin from the environment."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.deploy.helpers import clean_env, parse_env, relaydesk
from webapp import create_app
from webapp.cli import main
from webapp.config import SETTINGS, load
from webapp.models.connections import connection_cipher
from webapp.security.secret_key import resolve

SECRETS = ("SECRET_KEY", "CONNECTION_KEY", "POSTGRES_PASSWORD", "RELAYDESK_ADMIN_PASSWORD")


def _template() -> dict[str, str]:
    result = CliRunner().invoke(main, ["config", "--env-template"])
    assert result.exit_code == 0, result.output
    return parse_env(result.stdout)


def test_the_template_has_fresh_secrets_the_app_accepts(tmp_path: Path) -> None:
    first, second = _template(), _template()
    for name in SECRETS:
        assert first[name] and first[name] != second[name], f"{name} is not fresh"
    # Every name is a setting (but the database's password) and every value parses.
    assert set(first) - {s.env for s in SETTINGS} == {"POSTGRES_PASSWORD"}
    config = load(first)
    assert resolve(config["SECRET_KEY"], str(tmp_path)) == first["SECRET_KEY"]
    cipher = connection_cipher(config["CONNECTION_KEY"], str(tmp_path))
    assert cipher.decrypt(cipher.encrypt(b"api-key")) == b"api-key"
    assert config["TRUSTED_PROXIES"] == 1 and config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret.key").exists(), "the keys come from .env, not a file"


def test_the_template_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    written = CliRunner().invoke(main, ["config", "--env-template", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    before = target.read_text()
    assert set(parse_env(before)) == set(_template())
    again = CliRunner().invoke(main, ["config", "--env-template", "--output", str(target)])
    assert again.exit_code == 1 and "exists already" in again.stderr
    assert target.read_text() == before
    alone = CliRunner().invoke(main, ["config", "--output", str(tmp_path / "x")])
    assert alone.exit_code == 2 and "--env-template" in alone.stderr


@pytest.fixture
def database() -> Iterator[str]:
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


def _signs_in(url: str, data_dir: Path, username: str, password: str) -> bool:
    app: Flask = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir),
                             "LOG_LEVEL": "WARNING", "HUB_INPROCESS_RUNNER": False})
    with app.app_context():
        response = app.test_client().post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
    return response.status_code == 200


def _setup_in_process(settings: dict[str, str]) -> Result:
    """`relaydesk setup` in this process (the same code; no interpreter to start), with only
    ``settings`` of the app's environment variables set."""
    env: dict[str, str | None] = {s.env: None for s in SETTINGS}
    return CliRunner().invoke(main, ["setup"], env={**env, **settings})


def test_setup_migrates_and_creates_the_first_admin_once(tmp_path: Path, database: str) -> None:
    template = _template()
    settings = {"DATABASE_URL": database, "RELAYDESK_DATA_DIR": str(tmp_path),
                "SECRET_KEY": template["SECRET_KEY"], "LOG_LEVEL": "WARNING",
                "RELAYDESK_ADMIN_USERNAME": "owner",
                "RELAYDESK_ADMIN_EMAIL": "owner@helpdesk.example"}
    # As the compose file's migrate step runs it, on a fresh database, with no password in
    # the environment: the schema is made and the operator told how to add an admin.
    unset = relaydesk(["setup"], clean_env(tmp_path, **settings))
    assert unset.returncode == 0, unset.stderr
    assert "no admin created" in unset.stderr and "create-admin" in unset.stderr
    first = _setup_in_process({**settings, "RELAYDESK_ADMIN_PASSWORD":
                               template["RELAYDESK_ADMIN_PASSWORD"]})
    assert first.exit_code == 0, first.output
    assert "admin 'owner' created" in first.stdout
    # Run again (every `docker compose up`): the admin is left alone, password and all.
    second = _setup_in_process({**settings, "RELAYDESK_ADMIN_PASSWORD": "another-long-password"})
    assert second.exit_code == 0, second.output
    assert "exists already" in second.stdout
    assert _signs_in(database, tmp_path, "owner", template["RELAYDESK_ADMIN_PASSWORD"])
    assert not _signs_in(database, tmp_path, "owner", "another-long-password")


def test_setup_refuses_a_short_admin_password_before_writing(tmp_path: Path) -> None:
    short = relaydesk(["setup"], clean_env(tmp_path, RELAYDESK_ADMIN_PASSWORD="admin123"))
    assert short.returncode == 1
    assert "RELAYDESK_ADMIN_PASSWORD is shorter than 12" in short.stderr
    assert "Traceback" not in short.stderr
    assert not (tmp_path / "relaydesk.db").exists()
