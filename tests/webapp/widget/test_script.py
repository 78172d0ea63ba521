"""The loader script, the snippet that includes it and the panel it opens."""

from __future__ import annotations

import re

from sqlalchemy import select

from webapp.models import Portal
from webapp.widget import snippet


def _get(app, client, url, **kw):
    with app.app_context():
        return client.get(url, **kw)


def _portal(make, slug: str = "help") -> Portal:
    return make.session.scalar(select(Portal).where(Portal.slug == slug))


def test_the_snippet_is_one_async_script_tag_on_the_public_url(app, make):
    portal = _portal(make)
    before = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = "https://desk.example"
    try:
        code = snippet(portal)
    finally:
        app.config["PUBLIC_URL"] = before
    assert code == '<script src="https://desk.example/widget/help/widget.js" async></script>'


def test_the_loader_is_self_contained_javascript_for_its_portal(app, client, make):
    portal = _portal(make)
    portal.primary_colour = "#12ab34"
    make.session.commit()
    response = _get(app, client, "/widget/help/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    source = response.get_data(as_text=True)
    # Wrapped in a function called with its config: no globals on the host page.
    assert source.startswith("(function (config) {")
    assert '"panel": "http://localhost/widget/help/panel"' in source
    assert '"colour": "#12ab34"' in source
    assert "Chat with us" in source
    # It reads the host page's address and nothing else of it; no third-party host.
    assert "window.location.href" in source
    for forbidden in ("document.cookie", "localStorage", "innerHTML"):
        assert forbidden not in source
    hosts = set(re.findall(r"https?://([^/\"' ]+)", source))
    assert hosts == {"localhost"}


def test_a_colour_that_is_not_a_colour_never_reaches_the_host_page(app, client, make):
    portal = _portal(make)
    portal.primary_colour = "red;}x"
    make.session.commit()
    source = _get(app, client, "/widget/help/widget.js").get_data(as_text=True)
    assert "red;}x" not in source
    assert '"colour": "#1f6feb"' in source


def test_an_unknown_portal_has_no_widget(app, client):
    assert _get(app, client, "/widget/nope/widget.js").status_code == 404
    assert _get(app, client, "/widget/nope/panel").status_code == 404


def test_the_panel_has_its_four_tabs(app, client, make):
    response = _get(app, client, "/widget/help/panel?page_url=https://site.example/a")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for tab in ("tab-chat", "tab-request", "tab-requests", "tab-kb"):
        assert f'id="{tab}"' in page
    assert 'data-src="/portal/help/new?embed=1"' in page
    assert 'data-src="/portal/help/kb/?embed=1"' in page
    # "My requests" opens the portal in a new tab (a third-party iframe has no cookie).
    assert re.search(r'id="tab-requests" href="/portal/help/requests/" target="_blank"', page)
    assert '"pageUrl": "https://site.example/a"' in page
    assert 'class="portal-header"' not in page  # embedded: no portal header


def test_the_chat_tab_hides_when_chat_is_off(app, client, make):
    _portal(make).chat_enabled = False
    make.session.commit()
    page = _get(app, client, "/widget/help/panel").get_data(as_text=True)
    assert 'id="tab-chat"' not in page and 'id="chat-start"' not in page
    assert 'id="tab-request"' in page and 'aria-selected="true" data-pane="pane-request"' in page


def test_the_panel_speaks_the_visitors_language(app, client):
    page = _get(app, client, "/widget/help/panel?lang=pt").get_data(as_text=True)
    assert '<html lang="pt">' in page
