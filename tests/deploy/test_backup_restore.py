"""scripts/backup and scripts/restore, as the README tells an operator to use them: a seeded
installation (PostgreSQL database, attachments, generated key files) is backed up with
pg_dump, restored with pg_restore into a new database and data folder, and the restored
installation serves the same ticket, the same file bytes, the old sign-in token (same
secret key) and readable connector credentials (same connection key)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import _create_pg_database, _drop_pg_database, build_app
from tests.deploy.helpers import REPO, clean_env
from tests.factories import ApiClient, Factory, upload
from webapp.models import Connection
from webapp.models.connections import connection_cipher

CREDENTIALS = {"api_key": "sk_test_backup_round_trip"}
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def databases() -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name, url = _create_pg_database()
        made.append(name)
        return url

    yield make
    for name in made:
        _drop_pg_database(name)


def _script(name: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "scripts" / name), *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def _dispose(app: Flask) -> None:
    from webapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_backup_and_restore_round_trip(tmp_path: Path,
                                       databases: Callable[[], str]) -> None:
    source_url, target_url = databases(), databases()
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    # SECRET_KEY and CONNECTION_KEY unset: both are generated into the data folder, so the
    # backup must carry the key files.
    source = build_app(source_url, source_dir, SECRET_KEY="", CONNECTION_KEY="")
    with source.app_context():
        make = Factory(source)
        username = make.user("Admin").username
        item_id = make.item(make.project(), title="Router keeps rebooting").id
    api = ApiClient(source.test_client(), username)
    content = os.urandom(40_000) + b"%%EOF"
    uploaded = upload(api, item_id, content, filename="router-log.bin")
    assert uploaded.status_code == 201, uploaded.get_json()
    attachment_id = uploaded.get_json()["id"]
    connection = api.post("/api/v1/connection/", json={
        "name": "Billing", "connector": "stripe", "base_url": "http://127.0.0.1:9",
        "credentials": CREDENTIALS})
    assert connection.status_code == 201, connection.get_json()
    _dispose(source)
    assert {p.name for p in source_dir.iterdir()} >= {"secret.key", "connection.key"}

    backed_up = _script("backup", [str(tmp_path / "backups")],
                        clean_env(source_dir, DATABASE_URL=source_url))
    assert backed_up.returncode == 0, backed_up.stderr
    backup = Path(backed_up.stdout.strip())
    assert sorted(p.name for p in backup.iterdir()) == [
        "SHA256SUMS", "attachments.tar", "database.dump", "keys.tar"]
    assert not list(backup.parent.glob("*.partial"))

    target_env = clean_env(target_dir, DATABASE_URL=target_url)
    restored_run = _script("restore", [str(backup)], target_env)
    assert restored_run.returncode == 0, restored_run.stderr
    for key in ("secret.key", "connection.key"):
        assert (target_dir / key).read_bytes() == (source_dir / key).read_bytes()
        assert (target_dir / key).stat().st_mode & 0o077 == 0

    # What `relaydesk setup` does on the restored installation, then use it.
    restored = build_app(target_url, target_dir, SECRET_KEY="", CONNECTION_KEY="")
    client = restored.test_client()
    with restored.app_context():
        ticket = client.get(f"/api/v1/ticket/{item_id}", headers=api.headers)
        assert ticket.status_code == 200, "the old token is refused: another secret key?"
        assert ticket.get_json()["result"]["title"] == "Router keeps rebooting"
        download = client.get(f"/api/v1/attachment/{attachment_id}/download",
                              headers=api.headers)
        assert download.status_code == 200 and download.data == content
        from webapp.extensions import db

        row = db.session.query(Connection).filter_by(name="Billing").one()
        cipher = connection_cipher(restored.config["CONNECTION_KEY"], str(target_dir))
        assert row.credentials(cipher) == CREDENTIALS
    _dispose(restored)

    # Never into an installation that has data, never from a damaged backup.
    again = _script("restore", [str(backup)], target_env)
    assert again.returncode == 1 and "tables" in again.stderr
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    with (damaged / "attachments.tar").open("r+b") as tar:
        tar.seek(600)
        tar.write(b"X")
    refused = _script("restore", [str(damaged)], clean_env(tmp_path / "empty",
                                                           DATABASE_URL=target_url))
    assert refused.returncode == 1 and "damaged" in refused.stderr
