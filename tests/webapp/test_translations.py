"""Customer pages are complete in Portuguese and Spanish: every string the sources mark for
translation has a translation, and the compiled catalogs are the current ones."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "webapp" / "translations"
LANGUAGES = ("pt", "es")


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids in the sources now (what `scripts/translations` would extract)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--no-location", "-F",
         "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        catalog = read_po(handle)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert len(ids) > 50, "extraction found almost nothing: is babel.cfg right?"
    return ids


def _catalog(lang: str):  # noqa: ANN202
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_customer_string_is_translated(lang: str, source_ids: set[str]) -> None:
    catalog = _catalog(lang)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(source_ids - translated)
    assert not missing, (f"{len(missing)} strings lack a {lang} translation (run "
                         f"scripts/translations, then translate): {missing[:20]}")


def _messages(catalog: Catalog) -> dict[Any, Any]:
    """Each translation by msgid, the header left out (its bytes vary with Babel's version)."""
    def text(value: Any) -> Any:  # plural forms come back as lists or tuples
        return tuple(value) if isinstance(value, list | tuple) else value

    return {text(m.id): text(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_is_current(lang: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(lang))
    compiled.seek(0)
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as on_disk:
        assert _messages(read_mo(on_disk)) == _messages(read_mo(compiled)), \
            f"run `scripts/translations compile` ({lang})"
