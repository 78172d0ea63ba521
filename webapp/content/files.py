"""Attachment files on disk: streamed in with a size limit, content type detected."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from webapp.commands.errors import Invalid
from webapp.content.sizes import limit_text, size_text

__all__ = ["AttachmentStore", "StoredFile", "limit_text", "safe_filename", "size_text"]

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    size: int
    sha256: str
    content_type: str


def safe_filename(name: str | None) -> str:
    """The base name only, without path parts or control characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base[:255] or "attachment"


def detect_content_type(head: bytes, filename: str) -> str:
    """From the file's bytes first (its magic number), else from its name."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    try:
        head.decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError:
        return "application/octet-stream"


class AttachmentStore:
    """Files under ``root``, named by a random key split into two-level folders."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, storage_key: str) -> Path:
        return self.root / storage_key[:2] / storage_key

    def save(self, stream: BinaryIO, filename: str) -> StoredFile:
        key = uuid.uuid4().hex
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(partial, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise Invalid({"file": [
                            f"is larger than the limit of {limit_text(self.max_bytes)}"
                        ]})
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise Invalid({"file": ["is empty"]})
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return StoredFile(key, size, digest.hexdigest(), detect_content_type(head, filename))

    def delete(self, storage_key: str) -> None:
        self.path(storage_key).unlink(missing_ok=True)
