"""Staff screens of the knowledge base: articles (agents write) and categories (admins)."""

from __future__ import annotations

from sqlalchemy import select

from tests.clients import Browser
from tests.webapp.knowledge import add_article, add_category
from webapp.models import ArticleVisibility, KbArticle, KbCategory


def _form(category: KbCategory, **values: object) -> dict:
    data = {"title": "Reset your password", "slug": "", "category": str(category.id),
            "body_html": "<p>Choose <b>Forgot password</b><script>x()</script></p>",
            "visibility": "public", "published": "y"}
    data.update(values)
    return data


def _article(make, title: str) -> KbArticle | None:
    make.session.expire_all()
    return make.session.scalar(select(KbArticle).where(KbArticle.title == title))


def test_agent_writes_an_article_with_slug_author_and_sanitized_body(app, client, make):
    category = add_category(make.session, "Accounts")
    agent = make.user("Agent")
    browser = Browser(app, client, agent.username)
    response = browser.post("/kb-articles/add", data=_form(category))
    assert response.status_code == 302
    article = _article(make, "Reset your password")
    assert article.slug == "reset-your-password"
    assert article.author_id == agent.id
    assert article.body_html == "<p>Choose <b>Forgot password</b></p>"
    assert article.body_text == "Choose Forgot password"

    listing = browser.page("/kb-articles/list/")
    assert "/portal/help/kb/reset-your-password" in listing and "view in portal" in listing

    browser.post(f"/kb-articles/edit/{article.id}", data=_form(
        category, slug="reset-your-password", body_html="<p>Use the <i>reset</i> link</p>"))
    article = _article(make, "Reset your password")
    assert article.body_text == "Use the reset link"
    assert article.author_id == agent.id


def test_bad_slug_and_missing_organizations_are_refused_beside_the_field(app, client, make):
    category = add_category(make.session, "Accounts")
    add_article(make.session, category, "Taken", slug="taken")
    browser = Browser(app, client, make.user("Agent").username)
    for slug, problem in [("Bad Slug!", "lower-case letters"), ("taken", "another article"),
                          ("suggest", "reserved")]:
        page = browser.post("/kb-articles/add", data=_form(category, title="Bad", slug=slug))
        assert page.status_code == 200 and problem in page.get_data(as_text=True), slug
    page = browser.post("/kb-articles/add", data=_form(
        category, title="Bad", visibility=ArticleVisibility.ORGANIZATIONS.value))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "choose at least one organization" in text
    assert 'value="Bad"' in text  # what was typed stays in the form
    assert _article(make, "Bad") is None

    acme = make.organization("Acme")
    browser.post("/kb-articles/add", data=_form(
        category, title="For Acme", visibility="organizations", organizations=[str(acme.id)]))
    article = _article(make, "For Acme")
    assert [org.name for org in article.organizations] == ["Acme"]


def test_categories_are_for_admins(app, client, make):
    agent = Browser(app, client, make.user("Agent").username)
    agent.post("/kb-categories/add", data={"name": "By agent", "position": "1"})
    assert make.session.scalar(select(KbCategory).where(KbCategory.name == "By agent")) is None

    admin = Browser(app, app.test_client(), make.user("Admin").username)
    admin.post("/kb-categories/add", data={"name": "Devices", "position": "2"})
    make.session.expire_all()
    assert make.session.scalar(select(KbCategory.position).where(
        KbCategory.name == "Devices")) == 2
