"""Customer pages in Portuguese and Spanish: with ``?lang=pt`` (or ``es``) the portal, its
web forms, knowledge base, requests, account and rating pages, and the widget's panel and
loader script show no English text of the catalog (what staff typed — portal, article,
status and field names — stays as written), and the page says its language."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tempfile
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import available_timezones

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.factories import message
from tests.webapp.knowledge import add_article, add_category
from tests.webapp.satisfaction import solved_ticket
from tests.webapp.web_forms.builders import portal, web_form
from webapp.i18n import LOCALE_SESSION_KEY
from webapp.models import Attachment, ChatConversation, ItemType, PortalVisibility, Status
from webapp.portal.session import CUSTOMER_KEY
from webapp.satisfaction.tokens import make_token

CATALOGS = Path(__file__).resolve().parents[3] / "webapp" / "translations"
LANGUAGES = ("pt", "es")
PORTAL = "/portal/help"
WIDGET = "/widget/help"
CHAT = f"{WIDGET}/api/chat"
# Attributes whose text people read (or hear); ``value`` only on buttons.
READ_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt", "label")
BUTTON_INPUTS = ("submit", "button", "reset")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# The staff's own words in the pages below: never translated, so never counted.
STAFF_WORDS = ("Acme Ajuda", "Impressoras", "Trocar o toner", "Toner trocado",
               "Pedido Zeta", "Impressora travada", "Formulário Alfa", "Alfa intro", "Ref",
               "Notes", "Qty", "Due", "Plan", "Areas", "Urgent", "Basic", "Pro", "Web",
               "Mobile", "API", "Requests", "Renata", "Agente")


class _Visible(HTMLParser):
    """The text of a page a person reads: text outside scripts and styles, readable
    attributes, buttons' values, and the strings of the JSON config a script shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lang: str | None = None
        self._skip: str | None = None
        self._json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = values.get("lang")
        if tag in ("script", "style"):
            self._skip = tag
            self._json = tag == "script" and values.get("type") == "application/json"
        self.parts.extend(values[name] for name in READ_ATTRIBUTES if values.get(name))
        if tag == "button" or (tag == "input" and values.get("type") in BUTTON_INPUTS):
            self.parts.append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skip:
            self._skip, self._json = None, False

    def handle_data(self, data: str) -> None:
        if self._skip is None:
            self.parts.append(data)
        elif self._json and data.strip():
            self.parts.extend(_strings(json.loads(data)))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@cache
def _customer_ids() -> frozenset[str]:
    """The msgids of the customer pages' sources (babel.cfg above its staff marker): the
    catalog also holds the staff screens' words, which customer pages never show."""
    root = CATALOGS.parents[1]
    config = (root / "babel.cfg").read_text().split("# -- staff screens below")[0]
    with tempfile.TemporaryDirectory() as folder:
        cfg, pot = Path(folder) / "babel.cfg", Path(folder) / "messages.pot"
        cfg.write_text(config)
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                        "--no-location", "-F", str(cfg), "-k", "_l", "-k", "lazy_gettext",
                        "-o", str(pot), "."], cwd=root, check=True, capture_output=True)
        with pot.open("rb") as handle:
            catalog = read_po(handle)
    ids = frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id)
    assert len(ids) > 50, "no customer strings extracted: is babel.cfg's staff marker there?"
    return ids


@cache
def _english(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The catalog's English texts that ``lang`` words differently, as patterns (each
    placeholder matches anything): not the very short ones, nor time-zone names."""
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    zones = available_timezones()
    customer = _customer_ids()
    found = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        for msgid in ids:
            if len(msgid) < 3 or msgid in strings or msgid in zones or msgid not in customer:
                continue
            pieces = [r"\s+".join(map(re.escape, piece.split()))
                      for piece in PLACEHOLDER.split(msgid)]
            pattern = r"\s*.+?\s*".join(pieces)
            # Not inside an e-mail address ("nobody@nowhere.example" is not the word "nobody").
            found.append((msgid, re.compile(rf"(?<![\w.@-]){pattern}(?![\w@-])")))
    return tuple(found)


def _leaks(lang: str, texts: list[str]) -> list[str]:
    """The English msgids found in ``texts`` (after the staff's words are taken out)."""
    text = "\n".join(" ".join(part.split()) for part in texts if part.strip())
    for word in sorted(STAFF_WORDS, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", text)
    return [msgid for msgid, pattern in _english(lang) if pattern.search(text)]


def _check_page(lang: str, response, leaks: dict[str, list[str]], name: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 401, 404, 409, 410, 422, 503), \
        (name, response.status_code)
    assert response.mimetype == "text/html", name
    page = _Visible()
    page.feed(body)
    page.close()
    assert page.lang == lang, f"{name}: <html lang={page.lang!r}>"
    found = _leaks(lang, page.parts)
    if found:
        leaks[name] = found


def _with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def _get(app, client, url: str, lang: str):
    with app.app_context():
        return client.get(_with_lang(url, lang))


def _post(app, client, url: str, lang: str, **kw):
    with app.app_context():
        return client.post(_with_lang(url, lang), **kw)


def _sign_in(client, customer) -> None:
    with client.session_transaction() as session:
        session[CUSTOMER_KEY] = customer.id


@pytest.fixture
def world(make, monkeypatch):
    """The "help" portal (open, surveys and chat on, organization-wide), a category with
    an article, a web form with every kind of custom field, and Renata's requests: one
    open with a public thread and a file, one solved."""
    row, project = portal(make, name="Acme Ajuda", visibility=PortalVisibility.ORGANIZATION,
                          survey_enabled=True, chat_enabled=True, self_signup=False)
    category = add_category(make.session, "Impressoras")
    article = add_article(make.session, category, "Trocar o toner",
                          "<p>Toner trocado.</p>")
    form = web_form(make, row, slug="alfa", name="Formulário Alfa", intro="Alfa intro",
                    required=("title", "ref", "plan", "urgent"))
    org = make.organization("Acme")
    renata = make.customer("renata@acme.example", name="Renata", organization_id=org.id)
    agent = make.user("Agent")
    agent.first_name = "Agente"
    open_item = make.item(project, title="Impressora travada", requester_id=renata.id)
    note = message(make, open_item, agent, "<p>Toner trocado.</p>", is_public=True)
    make.session.add(Attachment(item_id=open_item.id, message_id=note.id,
                                filename="foto.txt", content_type="text/plain", size=10,
                                sha256="0" * 64, storage_key="none"))
    solved = solved_ticket(make, renata, project, title="Pedido Zeta")
    foreign = make.item(project, title="Pedido alheio",
                        requester_id=make.customer("outro@globex.example").id)
    make.session.commit()
    # Status and type names are the staff's words too (the default workflows' English ones).
    names = make.session.scalars(select(Status.name)).all() + \
        make.session.scalars(select(ItemType.name)).all()
    monkeypatch.setattr(sys.modules[__name__], "STAFF_WORDS", STAFF_WORDS + tuple(names))
    return {"article": article, "form": form, "renata": renata, "open": open_item,
            "solved": solved, "foreign": foreign}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages_have_no_english(app, client, make, world, lang):
    leaks: dict[str, list[str]] = {}
    pages = {
        "home": f"{PORTAL}/",
        "sign-in": f"{PORTAL}/sign-in",
        "unknown sign-in link": f"{PORTAL}/sign-in/not-a-token",
        "knowledge base": f"{PORTAL}/kb/",
        "knowledge base embedded": f"{PORTAL}/kb/?embed=1",
        "article": f"{PORTAL}/kb/{world['article'].slug}",
        "search results": f"{PORTAL}/kb/?q=toner",
        "search without results": f"{PORTAL}/kb/?q=zzzqqq",
        "new request": f"{PORTAL}/new",
        "new request embedded": f"{PORTAL}/new?embed=1",
        "web form": f"{PORTAL}/forms/alfa",
        "widget panel": f"{WIDGET}/panel?page_url=https://site.example/",
    }
    for name, url in pages.items():
        _check_page(lang, _get(app, client, url, lang), leaks, name)

    sent = _post(app, client, f"{PORTAL}/sign-in/link", lang,
                 data={"email": "nobody@nowhere.example"})
    _check_page(lang, sent, leaks, "sign-in link sent")
    # A known address: the link goes out, or (no mail server here) the "not sent" page.
    known = _post(app, client, f"{PORTAL}/sign-in/link", lang,
                  data={"email": "renata@acme.example"})
    _check_page(lang, known, leaks, "sign-in link to a known address")
    wrong = _post(app, client, f"{PORTAL}/sign-in", lang,
                  data={"email": "renata@acme.example", "password": "wrong"})
    _check_page(lang, wrong, leaks, "wrong password")

    # Without an active web form the request form is the built-in one.
    world["form"].active = False
    make.session.commit()
    _check_page(lang, _get(app, client, f"{PORTAL}/new", lang), leaks, "built-in request form")
    refused = _post(app, client, f"{PORTAL}/new", lang, data={"title": "", "email": "x"})
    assert refused.status_code == 422
    _check_page(lang, refused, leaks, "built-in request form with errors")
    assert not leaks, f"English text on {lang} pages: {leaks}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_web_form_errors_and_thanks_have_no_english(app, client, world, lang):
    leaks: dict[str, list[str]] = {}
    refused = _post(app, client, f"{PORTAL}/forms/alfa", lang, data={
        "title": "", "cf-ref": "", "cf-qty": "doze", "cf-due": "31/01/2025",
        "cf-plan": "Ouro", "cf-notes": "x", "cf-areas": "Web"})
    assert refused.status_code == 422
    _check_page(lang, refused, leaks, "web form with errors")
    errors = refused.get_data(as_text=True).count('class="error"')
    assert errors >= 5, "expected an error at every bad input"

    sent = _post(app, client, f"{PORTAL}/new", lang, data={
        "title": "Impressora sem papel", "description": "Segundo andar",
        "email": "renata@acme.example", "name": "Renata", "cf-ref": "R-1", "cf-plan": "Pro",
        "cf-urgent": "1"},
        content_type="multipart/form-data")
    assert sent.status_code == 302, sent.status_code
    _check_page(lang, _get(app, client, sent.headers["Location"], lang), leaks,
                "request sent")
    assert not leaks, f"English text on {lang} pages: {leaks}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_signed_in_pages_have_no_english(app, client, world, lang):
    _sign_in(client, world["renata"])
    leaks: dict[str, list[str]] = {}
    pages = {
        "home signed in": f"{PORTAL}/",
        "requests": f"{PORTAL}/requests/",
        "closed requests": f"{PORTAL}/requests/?state=closed",
        "organization requests": f"{PORTAL}/requests/?scope=organization&state=all",
        "no requests found": f"{PORTAL}/requests/?q=zzzqqq",
        "open request": f"{PORTAL}/requests/{world['open'].id}",
        "solved request (rating panel)": f"{PORTAL}/requests/{world['solved'].id}",
        "account": f"{PORTAL}/account",
        "new request signed in": f"{PORTAL}/new",
        "widget panel signed in": f"{WIDGET}/panel",
        "someone else's request (404)": f"{PORTAL}/requests/{world['foreign'].id}",
        "unknown article (404)": f"{PORTAL}/kb/no-such-article",
        "unknown article embedded (404)": f"{PORTAL}/kb/no-such-article?embed=1",
    }
    for name, url in pages.items():
        _check_page(lang, _get(app, client, url, lang), leaks, name)

    empty = _post(app, client, f"{PORTAL}/requests/{world['open'].id}/reply", lang,
                  data={"body": ""})
    _check_page(lang, empty, leaks, "empty reply")
    replied = _post(app, client, f"{PORTAL}/requests/{world['open'].id}/reply", lang,
                    data={"body": "Obrigada", "files": (io.BytesIO(b"x"), "a.txt")},
                    content_type="multipart/form-data")
    assert replied.status_code == 302
    _check_page(lang, _get(app, client, replied.headers["Location"], lang), leaks,
                "reply sent (flash)")
    bad_account = _post(app, client, f"{PORTAL}/account", lang, data={
        "name": "Renata", "locale": "xx", "time_zone": "Mars/Olympus"})
    _check_page(lang, bad_account, leaks, "account with errors")
    bad_password = _post(app, client, f"{PORTAL}/account", lang, data={
        "action": "password", "new_password": "abc", "confirm_password": "abd"})
    _check_page(lang, bad_password, leaks, "password with errors")
    assert not leaks, f"English text on {lang} pages: {leaks}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rating_pages_have_no_english(app, client, make, world, lang):
    token = make_token(world["solved"].id, world["renata"].id)
    leaks: dict[str, list[str]] = {}
    pages = {
        "rating choices": f"{PORTAL}/rate/{token}",
        "rating recorded": f"{PORTAL}/rate/{token}?score=4",
        "bad score": f"{PORTAL}/rate/{token}?score=9",
        "bad rating link": f"{PORTAL}/rate/not-a-token",
        "not yet solved": f"{PORTAL}/rate/{make_token(world['open'].id, world['renata'].id)}",
    }
    for name, url in pages.items():
        _check_page(lang, _get(app, client, url, lang), leaks, name)
    commented = _post(app, client, f"{PORTAL}/rate/{token}/comment", lang,
                      data={"score": "5", "comment": "Ótimo"})
    assert commented.status_code == 302
    _check_page(lang, _get(app, client, commented.headers["Location"], lang), leaks,
                "comment saved")
    too_long = _post(app, client, f"{PORTAL}/rate/{token}/comment", lang,
                     data={"score": "5", "comment": "x" * 20000})
    _check_page(lang, too_long, leaks, "comment too long")
    assert not leaks, f"English text on {lang} pages: {leaks}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_widget_script_labels_are_translated(app, client, world, lang):
    response = _get(app, client, f"{WIDGET}/widget.js", lang)
    assert response.status_code == 200
    source = response.get_data(as_text=True)
    config = json.loads(source[source.rindex("})(") + 3:source.rindex(");")])
    labels = [config["open"], config["close"]]
    assert not _leaks(lang, labels), labels


@pytest.mark.parametrize("lang", LANGUAGES)
def test_widget_chat_answers_are_translated(app, client, make, world, lang):
    """What the panel's script shows from the chat API: errors, authors, the ticket notice."""
    with client.session_transaction() as session:
        session[LOCALE_SESSION_KEY] = lang  # the panel's page remembered the language

    def call(method: str, url: str = CHAT, key: str = "new", **kw):
        with app.app_context():
            return client.open(url, method=method, headers={"X-Widget-Key": key}, **kw)

    texts: list[str] = []
    refused = call("POST", json={"name": "Vera", "email": "not-an-address", "body": " "})
    assert refused.status_code == 422
    texts += _strings(refused.get_json())
    unknown = call("GET", key="x" * 43)
    assert unknown.status_code == 404
    texts += _strings(unknown.get_json())
    started = call("POST", json={"name": "Vera", "body": "Olá"})
    assert started.status_code == 201
    key = started.get_json()["key"]
    chat = make.session.scalar(select(ChatConversation))
    chat.item_id = world["open"].id
    make.session.commit()
    polled = call("GET", key=key)
    texts += _strings(started.get_json()) + _strings(polled.get_json())
    assert polled.get_json()["ticket"]["text"]
    assert not _leaks(lang, texts), texts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_check_sees_english(app, client, world, lang):
    """The check itself: English pages are caught, in text, attributes and script config."""
    found = {}
    for name, url in {"home": f"{PORTAL}/", "panel": f"{WIDGET}/panel"}.items():
        page = _Visible()
        page.feed(_get(app, client, url, "en").get_data(as_text=True))
        assert page.lang == "en"
        found[name] = set(_leaks(lang, page.parts))
    assert {"How can we help you?", "Describe your question", "Main"} <= found["home"]
    assert {"Write a message…", "Sending…", "Start chat"} <= found["panel"]
    assert "Your rating: %(score)s of 5 (%(label)s)" in _leaks(
        lang, ["Your rating: 4 of 5 (Satisfied)"])
    assert _leaks(lang, ["Acme Ajuda · Plan", "Europe/Lisbon"]) == []

