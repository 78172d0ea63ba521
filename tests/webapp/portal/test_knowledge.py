"""The knowledge base in the portal: index, search, article pages and suggestions, each
showing exactly what the viewer may read (anything else is absent or a 404)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.clients import Browser
from tests.webapp.knowledge import add_article, add_category
from webapp.models import ArticleVisibility, Portal
from webapp.portal.session import CUSTOMER_KEY

KB = "/portal/help/kb/"
ALL = {"Printer setup public", "Printer setup customers", "Printer setup acme",
       "Printer setup draft"}


@pytest.fixture
def kb(make):
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.login_required = False
    acme, other = make.organization("Acme"), make.organization("Other")
    devices = add_category(make.session, "Devices")
    body = "<p>Connect the printer to the network and print a test page.</p>"
    slugs = {
        "Printer setup public": add_article(make.session, devices, "Printer setup public",
                                            body).slug,
        "Printer setup customers": add_article(
            make.session, devices, "Printer setup customers", body,
            visibility=ArticleVisibility.CUSTOMERS).slug,
        "Printer setup acme": add_article(
            make.session, devices, "Printer setup acme", body,
            visibility=ArticleVisibility.ORGANIZATIONS, organizations=[acme]).slug,
        "Printer setup draft": add_article(make.session, devices, "Printer setup draft", body,
                                           published=False).slug,
    }
    viewers = {
        "anonymous": None,
        "customer": make.customer("solo@client.example").id,
        "acme": make.customer("ann@acme.example", organization_id=acme.id).id,
        "other": make.customer("olaf@other.example", organization_id=other.id).id,
    }
    return slugs, viewers


def _as(client, customer_id):
    if customer_id is not None:
        with client.session_transaction() as session:
            session[CUSTOMER_KEY] = customer_id
    return client


@pytest.mark.parametrize(("viewer", "readable"), [
    ("anonymous", {"Printer setup public"}),
    ("customer", {"Printer setup public", "Printer setup customers"}),
    ("acme", {"Printer setup public", "Printer setup customers", "Printer setup acme"}),
    ("other", {"Printer setup public", "Printer setup customers"}),
])
def test_each_viewer_reaches_exactly_the_articles_it_may_read(app, client, kb, viewer,
                                                              readable):
    slugs, viewers = kb
    browser = _as(client, viewers[viewer])
    index = browser.get(KB).get_data(as_text=True)
    found = browser.get(KB, query_string={"q": "printer network"}).get_data(as_text=True)
    suggested = browser.get(KB + "suggest", query_string={"q": "printer netw"}).get_json()
    assert {a["title"] for a in suggested["articles"]} == readable
    for title in ALL:
        page = browser.get(KB + slugs[title])
        if title in readable:
            assert page.status_code == 200 and title in page.get_data(as_text=True)
            assert title in index and title in found
        else:
            assert page.status_code == 404, title
            assert title not in index and title not in found


def test_search_results_show_marked_snippets_and_escape_the_query(client, kb):
    page = client.get(KB, query_string={"q": "network"}).get_data(as_text=True)
    assert "<mark>network</mark>" in page
    hostile = client.get(KB, query_string={"q": "<script>alert(1)</script> printer"})
    assert hostile.status_code == 200
    assert "<script>alert(1)</script>" not in hostile.get_data(as_text=True)
    empty = client.get(KB, query_string={"q": "nothing-matches-this"}).get_data(as_text=True)
    assert "No articles match your search" in empty
    long = client.get(KB, query_string={"q": "printer " * 80}).get_data(as_text=True)
    assert "only its first words were used" in long and "Printer setup public" in long


def test_suggestions_are_json_at_most_five_with_links(make, client, kb):
    category = add_category(make.session, "More")
    for n in range(7):
        add_article(make.session, category, f"Scanner tip {n}", "<p>Scanner hints.</p>")
    data = client.get(KB + "suggest", query_string={"q": "scan"}).get_json()
    assert len(data["articles"]) == 5
    first = data["articles"][0]
    assert set(first) == {"id", "title", "url", "snippet"}
    assert first["url"] == KB + first["url"].rsplit("/", 1)[1]
    assert client.get(first["url"]).status_code == 200
    assert client.get(KB + "suggest").get_json() == {"articles": []}
    embedded = client.get(KB + "suggest", query_string={"q": "scan", "embed": "1"}).get_json()
    assert embedded["articles"][0]["url"].endswith("?embed=1")


def test_embedded_pages_drop_the_header_and_keep_embed_on_links(client, kb):
    slugs, _ = kb
    page = client.get(KB, query_string={"embed": "1"}).get_data(as_text=True)
    assert "portal-header" not in page
    assert f'{KB}{slugs["Printer setup public"]}?embed=1' in page
    article = client.get(KB + slugs["Printer setup public"] + "?embed=1").get_data(as_text=True)
    assert "portal-header" not in article and f"{KB}?embed=1" in article
    assert "portal-header" in client.get(KB).get_data(as_text=True)


def test_a_portal_that_needs_a_login_sends_visitors_to_sign_in(make, client, kb):
    slugs, viewers = kb
    make.session.scalar(select(Portal).where(Portal.slug == "help")).login_required = True
    make.session.commit()
    for url in (KB, KB + slugs["Printer setup public"]):
        response = client.get(url)
        assert response.status_code == 302 and "sign" in response.headers["Location"]
    assert client.get(KB + "suggest", query_string={"q": "printer"}).get_json() == {
        "articles": []}
    _as(client, viewers["customer"])
    assert client.get(KB + slugs["Printer setup customers"]).status_code == 200


def test_staff_preview_drafts_in_the_portal(app, client, make, kb):
    slugs, _ = kb
    agent = make.user("Agent")
    assert client.get(KB + slugs["Printer setup draft"]).status_code == 404
    staff = Browser(app, client, agent.username)
    page = staff.get(KB + slugs["Printer setup draft"])
    assert page.status_code == 200 and "Staff preview" in page.get_data(as_text=True)
    assert "Staff preview" not in staff.page(KB + slugs["Printer setup public"])
    assert staff.get(KB + "no-such-article").status_code == 404


def test_article_body_is_rendered_as_sanitized_html(make, client, kb):
    article = add_article(make.session, add_category(make.session, "Html"), "Rich article",
                          '<h2>Steps</h2><p>Click <a href="https://example.com">here</a></p>'
                          '<img src="x" onerror="alert(1)">')
    page = client.get(KB + article.slug).get_data(as_text=True)
    assert "<h2>Steps</h2>" in page and 'href="https://example.com"' in page
    assert "onerror" not in page
