"""The relaydesk command, run as a user would (subprocesses, a fresh SQLite data folder)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

RELAYDESK = [sys.executable, "-m", "webapp.cli"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"RELAYDESK_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}, **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(RELAYDESK + args, env=env, capture_output=True, text=True, timeout=120)


def test_upgrade_admin_and_seed(tmp_path: Path) -> None:
    env = _env(tmp_path)
    upgraded = _run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "relaydesk.db").exists()

    created = _run(["create-admin", "--username", "root", "--email", "root@x.example",
                    "--password", "s3cret"], env)
    assert created.returncode == 0, created.stderr
    again = _run(["create-admin", "--username", "root", "--email", "other@x.example",
                  "--password", "s3cret"], env)
    assert again.returncode != 0 and "exists already" in again.stderr

    seeded = _run(["seed-demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    assert "demo data" in seeded.stdout and "4 tickets" in seeded.stdout
    assert "demo data" in seeded.stderr  # the progress bar (a label only when not a TTY)
    twice = _run(["seed-demo"], env)
    assert twice.returncode != 0 and "empty database" in twice.stderr


def test_bad_environment_value_is_named(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], _env(tmp_path, ATTACHMENT_MAX_BYTES="lots"))
    assert result.returncode != 0
    assert "ATTACHMENT_MAX_BYTES" in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(120)
def test_run_serves_demo_data(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(RELAYDESK + ["run", "--port", str(port)], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = [proc.stdout.readline() for _ in range(2)]
        assert f"http://127.0.0.1:{port}/" in banner[0]
        assert "admin / admin" in banner[1]
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = requests.post(f"{base}/api/v1/security/login", timeout=5, json={
            "username": "admin", "password": "admin", "provider": "db"}).json()["access_token"]
        tickets = requests.get(f"{base}/api/v1/ticket/", timeout=5,
                               headers={"Authorization": f"Bearer {token}"}).json()
        assert tickets["count"] == 4
        page = requests.get(f"{base}/login/", timeout=5)
        assert page.status_code == 200 and "Relaydesk" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_readme_configuration_table_is_current() -> None:
    from webapp.config import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme, "README's table is stale: paste `relaydesk config`"
