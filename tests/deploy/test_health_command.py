"""`relaydesk health --component worker|scheduler`, the containers' health probe: alive only
while a process of this host beats, and at once not alive when that process is killed (its
last beat is still inside the window then)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from redis import Redis

from hub.heartbeat import beat
from tests.deploy.helpers import RELAYDESK, REPO, clean_env
from webapp.cli import SCHEDULER_BEATS, main

REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: A Redis database of these tests' own (hub tests use 11–13 and 15, login limits 9).
DEPLOY_REDIS_DB = int(os.environ.get("TEST_DEPLOY_REDIS_DB", "8"))
LOCK = "relaydesk:test-session"


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = f"{REDIS_BASE}/{DEPLOY_REDIS_DB}"
    connection, token = Redis.from_url(url), uuid.uuid4().hex
    if not connection.set(LOCK, token, nx=True, ex=600):
        pytest.skip(f"Redis database {DEPLOY_REDIS_DB} is used by another test session")
    connection.flushdb()
    connection.set(LOCK, token, ex=600)
    yield url
    connection.flushdb()


def _health(redis_url: str, component: str) -> Result:
    env = {"REDIS_URL": redis_url, "HEALTH_WORKER_WINDOW_SECONDS": "30"}
    return CliRunner().invoke(main, ["health", "--component", component], env=env)


def _wait_for(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"not within {timeout:g}s")


@pytest.mark.timeout(180)
def test_worker_probe_follows_the_worker_process(redis_url: str, tmp_path: Path) -> None:
    assert _health(redis_url, "worker").exit_code == 1
    worker = subprocess.Popen(RELAYDESK + ["worker"], cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True,
                              env=clean_env(tmp_path, REDIS_URL=redis_url))
    try:
        _wait_for(lambda: _health(redis_url, "worker").exit_code == 0 or worker.poll() is not None)
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        alive = _health(redis_url, "worker")
        assert f"pid {worker.pid}" in alive.stdout
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    # Killed: its last beat is seconds old, but the process is gone.
    dead = _health(redis_url, "worker")
    assert dead.exit_code == 1 and "no worker of" in dead.stderr


def test_scheduler_probe_reads_beats_named_by_host_and_pid(redis_url: str) -> None:
    result = _health(redis_url, "scheduler")
    assert result.exit_code == 1 and "no scheduler of" in result.stderr
    # A process of this host beating as the scheduler does after each pass (hub.heartbeat),
    # under the name `<host>.<pid>` the probe maps to a process.
    process = subprocess.Popen(["sleep", "120"])
    try:
        beat(Redis.from_url(redis_url), SCHEDULER_BEATS, f"{socket.gethostname()}.{process.pid}")
        alive = _health(redis_url, "scheduler")
        assert alive.exit_code == 0 and f"pid {process.pid}" in alive.stdout
    finally:
        process.kill()
        process.wait(timeout=10)
    assert _health(redis_url, "scheduler").exit_code == 1


def test_probe_without_redis_names_the_setting() -> None:
    result = CliRunner().invoke(main, ["health", "--component", "worker"],
                                env={"REDIS_URL": ""})
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.stderr
