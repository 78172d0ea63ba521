"""The workspace speaks the agent's language: a staff user's preferences (language, time zone)
apply to every screen, and no English string of our catalog is left on a workspace page in
Portuguese or Spanish."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import select

from tests.clients import Browser
from tests.factories import Factory, quick_user
from tests.webapp.test_staff_language import _english_phrases
from webapp.models import ItemType, Status


def _text(page: str) -> str:
    """The visible text of the workspace's own part of the page (FAB's menu is translated
    by FAB's catalogs and ours separately)."""
    page = page[page.index('<div class="rd-'):]
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize(("lang", "title", "queue"), [("pt", "Seu trabalho", "Meus em aberto"),
                                                     ("es", "Su trabajo", "Mis abiertos")])
def test_preferences_switch_the_workspace_language(app: Flask, make: Factory, lang: str,
                                                   title: str, queue: str) -> None:
    team = make.team()
    agent = quick_user(make, "Agent", teams=[team])
    make.item(make.project(teams=[team]), title="Impressora", assignee_users=[agent])
    browser = Browser(app, app.test_client(), agent.username)
    assert "Your work" in browser.page("/")
    saved = browser.post("/workspace/profile/", data={
        "locale": lang, "time_zone": "America/Sao_Paulo",
        "csrf_token": _csrf(browser.page("/workspace/profile/"))})
    assert saved.status_code == 302
    # Names an admin gave (statuses, types: the seeds' are English) are data, not our words.
    data = set(make.session.scalars(select(Status.name))) | set(
        make.session.scalars(select(ItemType.name)))
    phrases = _english_phrases(lang) - data
    for url in ("/", "/workspace/inbox/mine", "/workspace/inbox/open", "/workspace/profile/"):
        text = _text(browser.page(url))
        leaked = sorted(p for p in phrases if p in text)
        assert not leaked, f"{url} in {lang} shows English: {leaked}"
    home = _text(browser.page("/"))
    assert title in home and queue in home
    # The choice is kept: a new session of the same user starts in it.
    again = Browser(app, app.test_client(), agent.username)
    assert title in _text(again.page("/"))


def test_bad_preferences_are_refused_with_words(app: Flask, make: Factory) -> None:
    agent = quick_user(make, "Agent", teams=[make.team()])
    browser = Browser(app, app.test_client(), agent.username)
    token = _csrf(browser.page("/workspace/profile/"))
    answer = browser.post("/workspace/profile/", data={"locale": "fr", "time_zone": "Mars/Base",
                                                        "csrf_token": token})
    assert answer.status_code == 303
    page = browser.page("/workspace/profile/")
    assert "Choose one of the languages offered." in page
    assert "Mars/Base is not a time zone." in page


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)
