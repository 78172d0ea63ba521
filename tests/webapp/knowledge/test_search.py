"""Searching the knowledge base: matching, ranking, prefixes, accents, hostile input, the
PostgreSQL index."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, true

from tests.webapp.knowledge import add_article, add_category
from webapp.knowledge.search import (
    MAX_QUERY_LENGTH,
    MAX_WORDS,
    full_text_statement,
    parse_query,
    search_articles,
)
from webapp.knowledge.visibility import article_clause


@pytest.fixture
def kb(make):
    accounts = add_category(make.session, "Accounts")
    return {
        "reset": add_article(make.session, accounts, "Reset your password",
                             "<p>Open the sign-in page and choose <b>Forgot password</b>.</p>"),
        "billing": add_article(make.session, accounts, "Billing basics",
                               "<p>Invoices are sent monthly.</p><p>To reset your billing "
                               "password, write to us.</p>"),
        "pt": add_article(make.session, accounts, "Configuração do e-mail",
                          "<p>Etapas para a configuração do servidor de correio.</p>"),
        "es": add_article(make.session, accounts, "Configuración del correo",
                          "<p>Configuración de la cuenta de correo electrónico.</p>"),
        "markup": add_article(make.session, accounts, "Formatting tips",
                              "<p>Write &lt;img src=x onerror=alert(1)&gt; and "
                              "&lt;b&gt;bold&lt;/b&gt; to make a word stand out.</p>"),
        "draft": add_article(make.session, accounts, "Password policy draft",
                             "<p>Passwords expire.</p>", published=False),
    }


def _titles(make, text: str, prefix: bool = False, visible=None) -> list[str]:
    hits = search_articles(make.session, parse_query(text),
                           article_clause(None) if visible is None else visible, prefix=prefix)
    return [hit.article.title for hit in hits]


def test_every_word_must_match_and_title_matches_rank_first(make, kb):
    assert _titles(make, "password") == ["Reset your password", "Billing basics"]
    assert _titles(make, "reset password") == ["Reset your password", "Billing basics"]
    assert _titles(make, "password monthly") == ["Billing basics"]
    assert _titles(make, "password nonexistentword") == []
    # Unpublished articles are not found by visitors; with every row allowed they would be.
    assert "Password policy draft" not in _titles(make, "password")
    assert "Password policy draft" in _titles(make, "policy", visible=true())


def test_prefix_search_completes_the_last_word(make, kb):
    assert _titles(make, "pass", prefix=True) == ["Reset your password", "Billing basics"]
    assert _titles(make, "reset your pass", prefix=True) == [
        "Reset your password", "Billing basics"]
    assert _titles(make, "invoices mon", prefix=True) == ["Billing basics"]
    assert _titles(make, "configura", prefix=True) == [
        "Configuración del correo", "Configuração do e-mail"]
    if make.app.config["TEST_BACKEND"] == "postgresql":
        # Whole words only without the prefix (the LIKE fallback matches parts of words).
        assert _titles(make, "pass") == []


def test_accented_words_match_as_typed_in_portuguese_and_spanish(make, kb):
    assert _titles(make, "configuração") == ["Configuração do e-mail"]
    assert _titles(make, "configuración") == ["Configuración del correo"]
    assert _titles(make, "configuração servidor") == ["Configuração do e-mail"]
    assert _titles(make, "electrónico") == ["Configuración del correo"]
    assert _titles(make, "configuraç", prefix=True) == ["Configuração do e-mail"]


@pytest.mark.parametrize("text", [
    "'", '"', "a & b", "& | ! : * ( )", "password:*", "'; DROP TABLE kb_article; --",
    "\\", "%", "_", "!!!", "pass' | 'x", "<->", "(password", "password)", "-password",
    '"reset password', "or", "%password%", "password:*B", "''\\''",
])
def test_hostile_input_does_not_error(make, kb, text):
    for prefix in (False, True):
        titles = _titles(make, text, prefix=prefix)
        assert set(titles) <= {article.title for article in kb.values()}
    assert inspect(make.session.get_bind()).has_table("kb_article")


def test_wildcards_and_operators_do_not_widen_the_search(make, kb):
    both = ["Reset your password", "Billing basics"]
    for text in ("%", "_", "*", ":*", "%%", "'%'"):
        assert _titles(make, text) == [] and _titles(make, text, prefix=True) == []
    assert _titles(make, "%password%") == both
    assert _titles(make, "password:*", prefix=True) == both
    assert _titles(make, "pass%", prefix=True) == both


def test_empty_and_overlong_queries(make, kb):
    assert parse_query("   ").is_empty and _titles(make, "") == [] and _titles(make, " ") == []
    long = parse_query("password " * 100)
    assert long.shortened and len(long.words) == MAX_WORDS
    wide = parse_query("x" * 150 + " " + "y" * 100)
    assert wide.shortened and wide.text == "x" * 150 and len(wide.text) <= MAX_QUERY_LENGTH
    assert _titles(make, "password " * 100) == ["Reset your password", "Billing basics"]
    assert not parse_query("reset password").shortened


def test_snippets_mark_matches_and_escape_the_article_text(make, kb):
    hits = search_articles(make.session, parse_query("invoices"), article_clause(None))
    assert "<mark>Invoices</mark>" in hits[0].snippet_html
    assert "Invoices are sent monthly" in hits[0].snippet
    assert "<mark>" not in hits[0].snippet

    hits = search_articles(make.session, parse_query("bold"), article_clause(None))
    html = str(hits[0].snippet_html)
    # The body's text shows tags as text (or drops them); it never becomes markup.
    assert "<b>" not in html and "<img" not in html
    assert "<mark>bold</mark>" in html


def test_postgresql_search_can_use_the_full_text_index(make, kb):
    if make.app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("the GIN full-text index exists only on PostgreSQL")
    for prefix in (False, True):
        statement = full_text_statement(parse_query("reset pass"), article_clause(None),
                                        prefix=prefix, limit=5)
        connection = make.session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(
            "EXPLAIN " + str(compiled), compiled.params))
        assert "ix_kb_article_search" in plan, plan
    make.session.rollback()
