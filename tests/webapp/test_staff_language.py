"""The staff screens speak the user's language: with Portuguese or Spanish chosen, no English
phrase of our catalog is left on any staff page (menus, titles, labels, help, our own screens).

One seeded app per backend; an Admin and an Agent walk every staff GET route that takes no
argument, and the show and edit page of one row of every generated screen."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_appbuilder import ModelView
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory, quick_user
from webapp.models import (
    BusinessCalendar,
    Customer,
    CustomField,
    Folder,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Recipe,
    RecipeAction,
    Status,
    Team,
)

CATALOGS = Path(__file__).resolve().parents[2] / "webapp" / "translations"
# Not staff screens of this part (the workspace has its own test), or not pages at all.
_SKIPPED_PREFIXES = ("/api/", "/static/", "/appbuilder/", "/portal/", "/widget/", "/hooks/",
                     "/workspace/", "/lang/", "/login", "/logout", "/health", "/metrics",
                     "/swagger", "/inbound/", "/kb/",
                     # FAB's own chart labels its columns without translating them.
                     "/userstatschartview/")
_SKIPPED_WORDS = ("download", "export", "csv", "events_stream", "stream", "/raw", ".json",
                  "/data", "/api", "/search", "/options", "/feed", "/ics", "/poll")


def _english_phrases(lang: str) -> set[str]:
    """Our msgids whose translation differs: phrases that must not show in ``lang``."""
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {m.id for m in catalog if isinstance(m.id, str) and m.string and m.string != m.id
            and " " in m.id and "%(" not in m.id and len(m.id) >= 10}


def _text(page: str) -> str:
    """What a person reads on the page: text, not markup, scripts or attribute values."""
    page = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _staff_urls(app: Flask) -> list[str]:
    """Every GET route without arguments of a staff screen, and show/edit of one row each."""
    urls = set()
    for rule in app.url_map.iter_rules():
        url = rule.rule
        if "GET" not in (rule.methods or ()) or rule.arguments or \
                url.startswith(_SKIPPED_PREFIXES) or any(w in url for w in _SKIPPED_WORDS) or \
                rule.endpoint.startswith(("Workspace", "static")):
            continue
        urls.add(url)
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView) or type(view).__module__.startswith(
                ("flask_appbuilder", "webapp.workspace")):
            continue
        if view.route_base.startswith(_SKIPPED_PREFIXES):
            continue
        row = view.datamodel.session.scalars(select(view.datamodel.obj).limit(1)).first()
        if row is None:
            continue
        pk = view.datamodel.get_pk_value(row)
        allowed = view.include_route_methods or {"show", "edit"}
        urls |= {f"{view.route_base}/{method}/{pk}" for method in ("show", "edit")
                 if method in allowed}
    return sorted(urls)


def _seed(make: Factory) -> None:
    from webapp.extensions import db
    from webapp.seed import seed_demo

    seed_demo(db.session, password="staff-language-test")
    calendar = BusinessCalendar(name="Office hours", timezone="Europe/Lisbon")
    db.session.add(calendar)
    db.session.commit()


def _data_texts(make: Factory) -> list[str]:
    """Texts the seeds and the shipped recipes stored (names of statuses, types, projects …,
    the recipes' mail texts): data, shown as they are, in the language they were written."""
    texts: list[str] = []
    for column in (Status.name, ItemType.name, Project.name, Portfolio.name, Folder.name,
                   Team.name, Organization.name, Customer.name, CustomField.label, Recipe.name):
        texts += [n for n in make.session.scalars(select(column)) if n]
    for params in make.session.scalars(select(RecipeAction.params)):
        texts += [v for v in (params or {}).values() if isinstance(v, str)]
    # The roles' permissions name FAB's screens in English (FAB_ROLES: "List Users" …).
    texts.append(repr(make.app.config.get("FAB_ROLES", {})))
    return texts


def _leaked(phrases: list[str], text: str) -> list[str]:
    """The phrases that show in ``text`` as words (not inside a longer word)."""
    return [p for p in phrases if p in text and re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]


@pytest.mark.parametrize("role", ["Admin", "Agent"])
def test_staff_pages_speak_portuguese_and_spanish(app: Flask, make: Factory, role: str) -> None:
    _seed(make)
    team = make.session.scalars(select(Team)).first()
    user = quick_user(make, role, teams=[team])
    data = _data_texts(make)
    urls = _staff_urls(app)
    assert len(urls) > 40, urls
    leaks: dict[str, list[str]] = {}
    checked = 0
    for lang, word in (("pt", "Tarefas"), ("es", "Tareas")):
        phrases = [p for p in _english_phrases(lang) if not any(p in d for d in data)]
        browser = Browser(app, app.test_client(), user.username)
        assert browser.get(f"/lang/{lang}").status_code == 302
        for url in urls:
            response = browser.get(url)
            if response.status_code in (302, 403, 404, 405) or \
                    not response.mimetype == "text/html":
                continue  # not this role's page, or not a page
            assert response.status_code == 200, (url, response.status_code)
            text = _text(response.get_data(as_text=True))
            checked += 1
            leaked = _leaked(phrases, text)
            if leaked:
                leaks[f"{lang} {url}"] = leaked
        assert word in _text(browser.page("/tasks/list/"))
    assert checked > 60, f"only {checked} pages were checked"
    assert not leaks, "English on staff pages:\n" + "\n".join(
        f"{page}: {found}" for page, found in sorted(leaks.items()))
