"""Browser tests: the app served by a real HTTP server on 127.0.0.1, driven by Playwright in
Debian's headless Chromium (never a downloaded browser). PostgreSQL only.

Screenshots go to ``$RELAYDESK_ARTIFACTS`` (default ``artifacts/``) / screenshots.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import _create_pg_database, _drop_pg_database, build_app

CHROMIUM = os.environ.get("RELAYDESK_CHROMIUM", "/usr/bin/chromium")
# This machine's network is closed: without these Chromium keeps trying Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("RELAYDESK_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "artifacts"))


class LiveServer:
    """``app`` served by werkzeug's threaded server on 127.0.0.1 (a free port)."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One PostgreSQL app for every browser test, with CSRF on as in production."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    data_dir = tmp_path_factory.mktemp("data-browser")
    pg_name, url = _create_pg_database()
    application = build_app(url, data_dir, WTF_CSRF_ENABLED=True)
    application.config["TEST_BACKEND"] = "postgresql"
    yield application
    from webapp.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    _drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Opens pages in fresh browser contexts (no shared cookies): ``new_page(**options)``."""
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    target = ARTIFACTS / "screenshots" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target
