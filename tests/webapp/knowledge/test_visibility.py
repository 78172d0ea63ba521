"""Who may read which article, and the rules every article write follows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.webapp.knowledge import add_article, add_category
from webapp.access.scope import SYSTEM
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.knowledge.visibility import article_clause
from webapp.models import ArticleVisibility, KbArticle


@pytest.fixture
def matrix(make):
    acme, other = make.organization("Acme"), make.organization("Other")
    category = add_category(make.session)
    add_article(make.session, category, "Public")
    add_article(make.session, category, "Customers", visibility=ArticleVisibility.CUSTOMERS)
    add_article(make.session, category, "Acme only", visibility=ArticleVisibility.ORGANIZATIONS,
                organizations=[acme])
    add_article(make.session, category, "Draft", published=False)
    return {
        "anonymous": None,
        "customer": make.customer("solo@client.example"),
        "acme": make.customer("ann@acme.example", organization_id=acme.id),
        "other": make.customer("olaf@other.example", organization_id=other.id),
    }


@pytest.mark.parametrize(("viewer", "readable"), [
    ("anonymous", {"Public"}),
    ("customer", {"Public", "Customers"}),
    ("acme", {"Public", "Customers", "Acme only"}),
    ("other", {"Public", "Customers"}),
])
def test_visibility_matrix(make, matrix, viewer, readable):
    titles = set(make.session.scalars(
        select(KbArticle.title).where(article_clause(matrix[viewer]))))
    assert titles == readable


def test_body_is_sanitized_and_its_text_kept_in_sync(make):
    article = add_article(make.session, add_category(make.session), "Printing",
                          '<p onclick="x()">Hello <script>alert(1)</script><b>world</b></p>'
                          '<p>Second &amp; last</p>')
    assert article.body_html == "<p>Hello <b>world</b></p><p>Second &amp; last</p>"
    assert article.body_text == "Hello world\nSecond & last"

    article.body_html = "<h2>Changed</h2><p>New <i>text</i></p>"
    check_write(make.session, article, SYSTEM, is_new=False)
    make.session.commit()
    make.session.expire_all()
    stored = make.session.get(KbArticle, article.id)
    assert stored.body_text == "Changed\nNew text"


def test_slug_is_made_from_the_title_unique_and_checked(make):
    category = add_category(make.session)
    first = add_article(make.session, category, "Configuração do e-mail")
    second = add_article(make.session, category, "Configuração do e-mail!")
    assert (first.slug, second.slug) == ("configuracao-do-e-mail", "configuracao-do-e-mail-2")
    assert add_article(make.session, category, "Suggest").slug == "suggest-2"

    for slug, problem in [("Bad Slug", "lower-case letters"), ("a--b", "single hyphens"),
                          ("suggest", "reserved"), (first.slug, "another article")]:
        with pytest.raises(Invalid) as failure:
            add_article(make.session, category, "Another", slug=slug)
        assert problem in failure.value.messages["slug"][0]
        make.session.rollback()
    assert make.session.scalar(select(KbArticle).where(KbArticle.title == "Another")) is None


def test_organizations_are_required_for_organization_articles(make):
    category = add_category(make.session)
    with pytest.raises(Invalid) as failure:
        add_article(make.session, category, "Secret", visibility=ArticleVisibility.ORGANIZATIONS)
    assert "at least one organization" in failure.value.messages["organizations"][0]
    make.session.rollback()
    assert make.session.scalar(select(KbArticle.id)) is None
