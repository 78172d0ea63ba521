"""Keys generated once into the data folder and shared by every process of an installation
(the connections' Fernet key, the Flask/JWT secret key)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class KeyFileError(Exception):
    """A key file that exists but cannot be used."""


def read_or_create(path: Path, generate: Callable[[], bytes]) -> tuple[bytes, bool]:
    """The key stored at ``path`` and whether this call created it.

    A new key is written to a private temporary file (mode 0600) in the same folder and then
    hard-linked to ``path``: the link either appears with the whole key in it or fails because
    another process linked first, whose key is then read. So processes starting at once all end
    up with the same key, and none ever reads a half-written file.
    """
    try:
        return _read(path), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path), False
    finally:
        os.unlink(temporary)
    return key, True


def _read(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if not key:
        raise KeyFileError(f"{path} is empty")
    return key
