"""One unit (binary: KiB, MiB) and one formatter for every size shown: the attachment limit,
files on the ticket page, refusals; the refusal's number is the one the check compares with."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory
from webapp.commands.attach_file import attachment_store
from webapp.commands.errors import Invalid
from webapp.content.files import AttachmentStore
from webapp.content.sizes import limit_text, size_text
from webapp.models import Attachment, Message

LIMIT = 26_214_400  # the default ATTACHMENT_MAX_BYTES


@pytest.mark.parametrize("n, text", [
    (LIMIT, "25 MiB"),            # the limit reads as set: 25 × 1024 × 1024
    (26_000_000, "24.8 MiB"),     # under the limit, and it reads so
    (LIMIT + 1, "25.1 MiB"),      # over the limit never reads as the limit (rounded up)
    (512 * 1024, "512 KiB"),
    (1000, "1,000 bytes"),
    (0, "0 bytes"),
])
def test_one_unit_everywhere(n: int, text: str) -> None:
    assert size_text(n, "en") == text


def test_the_limit_text_carries_the_exact_bytes_the_check_uses() -> None:
    assert limit_text(LIMIT, "en") == "25 MiB (26,214,400 bytes)"
    assert limit_text(100, "en") == "100 bytes"
    assert size_text(26_000_000, "pt") == "24,8 MiB"


def test_store_accepts_the_limit_and_refuses_one_byte_more(tmp_path) -> None:
    store = AttachmentStore(tmp_path, 2048)
    assert store.save(io.BytesIO(b"x" * 2048), "exact.bin").size == 2048
    with pytest.raises(Invalid) as refused:
        store.save(io.BytesIO(b"x" * 2049), "over.bin")
    assert refused.value.messages == {
        "file": ["is larger than the limit of 2 KiB (2,048 bytes)"]}


@pytest.fixture
def desk(app: Flask, client: FlaskClient, make: Factory) -> dict[str, Any]:
    team = make.team()
    agent = make.user("Agent", teams=[team])
    ticket = make.item(make.project(teams=[team]))
    return {"agent": agent, "ticket": ticket, "browser": Browser(app, client, agent.username)}


def test_ticket_page_shows_file_sizes_in_the_limits_unit(desk, make) -> None:
    ticket, agent = desk["ticket"], desk["agent"]
    message = Message(item_id=ticket.id, body_html="<p>logs</p>", is_public=True,
                      author_user_id=agent.id)
    make.session.add(message)
    make.session.commit()
    stored = attachment_store().save(io.BytesIO(b"log"), "big.log")
    # The row says 26,000,000 bytes (the display reads the row; the file's bytes don't matter).
    make.session.add(Attachment(item_id=ticket.id, message_id=message.id, filename="big.log",
                                content_type="text/plain", size=26_000_000,
                                sha256=stored.sha256, storage_key=stored.storage_key,
                                uploaded_by_id=agent.id))
    make.session.commit()
    page = desk["browser"].page(f"/tickets/show/{ticket.id}")
    assert "(24.8 MiB)" in page
    assert "26.2 MB" not in page and "26.0 MB" not in page


def test_reply_refusal_names_the_size_and_the_exact_limit(desk, make, monkeypatch, app) -> None:
    ticket, browser = desk["ticket"], desk["browser"]
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 2048)
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "See attached", "files": [(io.BytesIO(b"x" * 2049), "big.bin")],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "File big.bin (2.1 KiB) is larger than the limit of 2 KiB (2,048 bytes)." in \
        response.get_data(as_text=True)
    response = browser.post(f"/tickets/reply/{ticket.id}", data={
        "body": "See attached", "files": [(io.BytesIO(b"x" * 2048), "exact.bin")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    make.session.expire_all()
    assert make.session.scalar(select(Attachment.size).where(
        Attachment.filename == "exact.bin")) == 2048


def test_pages_use_the_one_formatter(app: Flask) -> None:
    """The ticket page and the portal's request page format sizes with the same filter."""
    from pathlib import Path

    with app.test_request_context("/"):
        assert app.jinja_env.filters["size_text"](26_000_000) == "24.8 MiB"
    templates = Path(app.root_path) / "templates"
    for name in ("relaydesk/widgets/conversation.html", "portal/request_show.html"):
        source = (templates / name).read_text()
        assert "size_text" in source and "filesizeformat" not in source and " KB" not in source
