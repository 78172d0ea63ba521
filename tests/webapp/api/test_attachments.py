"""Attachments through the API: multipart upload, stored file, checked download, delete."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.factories import ApiClient, Factory, message, quick_user, stored_files, upload
from webapp.models import Attachment, Item, User

# A real 1×1 PNG: its magic number, not its name, decides the content type.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@dataclass
class Desk:
    app: Flask
    make: Factory
    api: ApiClient
    item_id: int
    other_item_id: int
    agent_id: int

    def row(self, attachment_id: int) -> Attachment | None:
        self.make.session.expire_all()
        return self.make.session.get(Attachment, attachment_id)

    def path(self, attachment_id: int) -> Path:
        row = self.row(attachment_id)
        assert row is not None
        key = row.storage_key
        return Path(self.app.config["ATTACHMENT_DIR"]) / key[:2] / key

    def attachments(self) -> int:
        self.make.session.expire_all()
        return self.make.session.query(Attachment).count()


@pytest.fixture
def desk(app: Flask, make: Factory) -> Desk:
    team = make.team()
    agent = quick_user(make, "Agent", [team])
    project = make.project([team])
    item = make.item(project, title="Broken laptop")
    other = make.item(project, title="Other ticket")
    api = ApiClient(app.test_client(), agent.username)
    return Desk(app, make, api, item.id, other.id, agent.id)


@pytest.fixture
def small_limit(app: Flask) -> Iterator[int]:
    """ATTACHMENT_MAX_BYTES lowered to 1000 bytes for one test (the app is session-wide)."""
    saved = app.config["ATTACHMENT_MAX_BYTES"]
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    try:
        yield 1000
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = saved


def _invalid(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, (response.status_code, response.get_json())
    return response.get_json()["message"]


def test_upload_detects_type_from_bytes_and_records_hash_and_size(desk: Desk) -> None:
    response = upload(desk.api, desk.item_id, PNG, "notes.txt")
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert result["content_type"] == "image/png"  # the bytes win over the .txt name
    assert result["filename"] == "notes.txt"
    assert result["size"] == len(PNG)
    assert result["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert result["item"] == {"id": desk.item_id}
    assert result["uploaded_by"] == {"id": desk.agent_id}
    row = desk.row(response.get_json()["id"])
    assert row is not None
    assert (row.content_type, row.size, row.sha256) == ("image/png", len(PNG),
                                                        hashlib.sha256(PNG).hexdigest())
    stored = desk.path(row.id)
    assert stored.is_file() and stored.read_bytes() == PNG
    root = Path(desk.app.config["ATTACHMENT_DIR"]).resolve()
    assert stored.resolve().is_relative_to(root)

    # without a magic number: the name decides, else UTF-8 text, else octet-stream
    text = upload(desk.api, desk.item_id, "Grüße, no magic number\n".encode(), "readme")
    assert text.get_json()["result"]["content_type"] == "text/plain"
    csv = upload(desk.api, desk.item_id, b"a,b\n1,2\n", "table.csv")
    assert csv.get_json()["result"]["content_type"] == "text/csv"
    binary = upload(desk.api, desk.item_id, b"\xff\xfe\x00\x81\x82", "blob")
    assert binary.get_json()["result"]["content_type"] == "application/octet-stream"

    # a path in the name is dropped; the file stays under ATTACHMENT_DIR
    sneaky = upload(desk.api, desk.item_id, PNG, "../../../etc/evil.png")
    assert sneaky.status_code == 201
    assert sneaky.get_json()["result"]["filename"] == "evil.png"
    assert desk.path(sneaky.get_json()["id"]).resolve().is_relative_to(root)


def test_upload_with_a_message_of_the_same_item(desk: Desk, make: Factory) -> None:
    item = make.session.get(Item, desk.item_id)
    note = message(make, item, make.session.get(User, desk.agent_id), "<p>see the screenshot</p>")
    response = upload(desk.api, desk.item_id, PNG, "shot.png", message_id=note.id)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["message"] == {"id": note.id}
    assert desk.row(response.get_json()["id"]).message_id == note.id


def test_upload_over_the_limit_is_refused_and_leaves_no_file(desk: Desk, small_limit: int
                                                             ) -> None:
    before = stored_files(desk.app)
    errors = _invalid(upload(desk.api, desk.item_id, b"x" * (small_limit + 1), "big.txt"))
    assert set(errors) == {"file"}
    assert "1,000 bytes" in errors["file"][0]
    assert stored_files(desk.app) == before  # neither the file nor a partial one
    assert desk.attachments() == 0
    # exactly the limit is fine
    response = upload(desk.api, desk.item_id, b"x" * small_limit, "fits.txt")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["size"] == small_limit


def test_incomplete_or_wrong_uploads_are_refused_and_leave_no_file(desk: Desk, make: Factory
                                                                   ) -> None:
    other = make.session.get(Item, desk.other_item_id)
    elsewhere = message(make, other, make.session.get(User, desk.agent_id))
    before = stored_files(desk.app)
    for response, field in (
        (upload(desk.api, desk.item_id, None), "file"),  # no file part at all
        (upload(desk.api, desk.item_id, b"", "empty.txt"), "file"),
        (upload(desk.api, None, b"orphan", "o.txt"), "item_id"),
        (upload(desk.api, "seven", b"orphan", "o.txt"), "item_id"),
        (upload(desk.api, "\u00b2", b"orphan", "o.txt"), "item_id"),  # a digit, not a number
        (upload(desk.api, desk.item_id, b"x", "o.txt", message_id="1.5"), "message_id"),
        # a message of another item
        (upload(desk.api, desk.item_id, PNG, "s.png", message_id=elsewhere.id), "message_id"),
    ):
        assert set(_invalid(response)) == {field}
    assert stored_files(desk.app) == before
    assert desk.attachments() == 0


def test_download_returns_the_exact_bytes_with_safe_headers(desk: Desk) -> None:
    png_id = upload(desk.api, desk.item_id, PNG, "photo.txt").get_json()["id"]
    response = desk.api.get(f"/api/v1/attachment/{png_id}/download")
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "photo.txt" in response.headers["Content-Disposition"]

    # HTML named as text is served as text, never sniffed into HTML
    as_text = upload(desk.api, desk.item_id, HTML, "page.txt").get_json()["id"]
    response = desk.api.get(f"/api/v1/attachment/{as_text}/download")
    assert response.status_code == 200 and response.data == HTML
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    # a file missing on disk is not found, not a server error
    lost = upload(desk.api, desk.item_id, b"soon gone", "x.txt").get_json()["id"]
    desk.path(lost).unlink()
    assert desk.api.get(f"/api/v1/attachment/{lost}/download").status_code == 404


def test_active_content_is_served_as_a_download(desk: Desk) -> None:
    for content, filename, mimetype in (
        (HTML, "page.html", "text/html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg",
         "image/svg+xml"),
    ):
        attachment_id = upload(desk.api, desk.item_id, content, filename).get_json()["id"]
        response = desk.api.get(f"/api/v1/attachment/{attachment_id}/download")
        assert response.status_code == 200
        assert response.data == content
        assert response.mimetype == mimetype
        assert response.headers["Content-Disposition"].startswith("attachment"), filename
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_deleting_an_attachment_removes_its_file(desk: Desk, make: Factory) -> None:
    keep = upload(desk.api, desk.item_id, b"keep me", "keep.txt").get_json()["id"]
    gone = upload(desk.api, desk.item_id, PNG, "gone.png").get_json()["id"]
    keep_path, gone_path = desk.path(keep), desk.path(gone)
    # a refused delete keeps the file
    reader = ApiClient(desk.app.test_client(), quick_user(make, "Read-only").username)
    assert reader.delete(f"/api/v1/attachment/{gone}").status_code == 403
    assert reader.delete(f"/api/v1/ticket/{desk.item_id}").status_code == 403
    assert gone_path.read_bytes() == PNG

    assert desk.api.delete(f"/api/v1/attachment/{gone}").status_code == 200
    assert not gone_path.exists()
    assert desk.row(gone) is None
    assert desk.api.get(f"/api/v1/attachment/{gone}/download").status_code == 404
    assert desk.api.get(f"/api/v1/attachment/{gone}").status_code == 404
    # the other attachment is untouched
    assert keep_path.read_bytes() == b"keep me"
    assert desk.api.get(f"/api/v1/attachment/{keep}/download").data == b"keep me"


def test_deleting_the_item_or_its_project_removes_the_files(desk: Desk, make: Factory) -> None:
    before = stored_files(desk.app)  # the directory is shared by the session's tests
    on_item = upload(desk.api, desk.item_id, b"with the item", "a.txt").get_json()["id"]
    on_other = upload(desk.api, desk.other_item_id, PNG, "b.png").get_json()["id"]
    item_file, other_file = desk.path(on_item), desk.path(on_other)
    project_id = make.session.get(Item, desk.other_item_id).project_id
    assert desk.api.delete(f"/api/v1/ticket/{desk.item_id}").status_code == 200
    assert not item_file.exists()
    assert other_file.read_bytes() == PNG  # an attachment of another item stays
    admin = ApiClient(desk.app.test_client(), quick_user(make, "Admin").username)
    assert admin.get(f"/api/v1/attachment/{on_item}/download").status_code == 404
    assert admin.delete(f"/api/v1/project/{project_id}").status_code == 200
    assert not other_file.exists()
    assert stored_files(desk.app) == before
