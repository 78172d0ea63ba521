"""A person's full name as the first and last name CRMs want, by ``nameparser``: it reads
"Last, First", leaves titles ("Dr.", "Prof.") and suffixes ("Jr.", "III") out of both, and
keeps particles with the surname ("van der Berg", "de Souza")."""

from __future__ import annotations

import re

from nameparser import HumanName

_SPACES = re.compile(r"\s+")


def split_name(full_name: str | None) -> tuple[str | None, str | None]:
    """(first name with any middle names, last name); None for a part the name lacks."""
    text = _SPACES.sub(" ", full_name or "").strip().strip(",").strip()
    if not text:
        return None, None
    name = HumanName(text)
    first = " ".join(p for p in (name.first, name.middle) if p).strip()
    last = str(name.last).strip()
    if not first and not last:  # only a title or a nickname: keep what was written
        return text, None
    return first or None, last or None
