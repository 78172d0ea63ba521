"""Outlook's TNEF (``winmail.dat``, application/ms-tnef): the files inside, offered as
attachments of their own beside the original (kept: it also holds the rich-text body and
properties no other reader shows). Read by ``tnefparse``. Pure: no database."""

from __future__ import annotations

import logging
import mimetypes
from typing import TYPE_CHECKING

from tnefparse import TNEF

if TYPE_CHECKING:
    from triggers.email.parse import ParsedAttachment

log = logging.getLogger(__name__)

TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
TNEF_NAMES = ("winmail.dat", "win.dat")
_SIGNATURE = b"\x78\x9f\x3e\x22"  # every TNEF stream starts with it


def is_tnef(attachment: ParsedAttachment) -> bool:
    return attachment.data[:4] == _SIGNATURE and (
        attachment.content_type in TNEF_TYPES
        or attachment.filename.strip().lower() in TNEF_NAMES)


def tnef_files(data: bytes) -> list[ParsedAttachment]:
    """The files inside a TNEF stream (none if it holds only a body, or cannot be read)."""
    from triggers.email.parse import ParsedAttachment

    try:
        tnef = TNEF(data)
    except Exception:  # a broken winmail.dat: the original is kept, nothing more
        log.warning("winmail.dat could not be read", exc_info=True)
        return []
    found = []
    for index, item in enumerate(tnef.attachments, 1):
        content = bytes(item.data or b"")
        if not content:
            continue
        name = _text(item.long_filename()) or _text(getattr(item, "name", "")) or \
            f"winmail-{index}.bin"
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        found.append(ParsedAttachment(filename=name, content_type=content_type, data=content))
    return found


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "").replace("\x00", "").strip()
