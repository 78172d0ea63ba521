"""Searching articles: PostgreSQL full-text search on the indexed expression, a LIKE fallback
elsewhere (SQLite); whole-word search for the search page and prefix search for "suggest as
you type". User text only ever reaches the database as a bound parameter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from webapp.models import KbArticle

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
SNIPPET_CHARS = 220
# ts_headline marks matches with these private-use characters; the body is escaped first and
# only then are they turned into <mark>, so article text can never inject markup.
_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = (f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, "
                     "ShortWord=2, MaxFragments=2, FragmentDelimiter=\" … \"")
_WORD = re.compile(r"\w+")
_SIMPLE: ColumnElement[str] = literal_column("'simple'")


@dataclass(frozen=True)
class SearchQuery:
    """What the visitor typed, cut to a sane size, and its words (lower-case)."""

    text: str
    words: tuple[str, ...]
    shortened: bool

    @property
    def is_empty(self) -> bool:
        return not self.words


@dataclass(frozen=True)
class ArticleHit:
    """A found article with a snippet of its text around the matches."""

    article: KbArticle
    snippet: str
    snippet_html: Markup


def parse_query(raw: str | None) -> SearchQuery:
    """Trim; overlong input keeps its first whole words within ``MAX_QUERY_LENGTH``
    characters and ``MAX_WORDS`` words."""
    kept: list[str] = []
    words: list[str] = []
    shortened = False
    for token in (raw or "").split():
        token_words = _WORD.findall(token.lower())
        if (len(" ".join([*kept, token])) > MAX_QUERY_LENGTH
                or len(words) + len(token_words) > MAX_WORDS):
            shortened = True
            break
        kept.append(token)
        words.extend(token_words)
    return SearchQuery(text=" ".join(kept), words=tuple(words), shortened=shortened)


def search_articles(session: Session, query: SearchQuery, visible: ColumnElement[bool], *,
                    prefix: bool = False, limit: int = 50) -> list[ArticleHit]:
    """Articles matching every word of ``query`` among ``visible``, best first (title matches
    before body matches); ``prefix``: the last word may be the start of a word."""
    if query.is_empty:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _full_text(session, query, visible, prefix, limit)
    return _like(session, query, visible, limit)


def search_document() -> ColumnElement[object]:
    """Exactly the expression ``ix_kb_article_search`` indexes, so the index can serve it."""
    return func.to_tsvector(_SIMPLE, KbArticle.title + literal_column("' '")
                            + KbArticle.body_text)


def _prefix_tsquery(words: tuple[str, ...]) -> str:
    # Words are \w+ only: no quote, operator or colon can reach the tsquery syntax.
    terms = [f"'{word}'" for word in words]
    terms[-1] += ":*"
    return " & ".join(terms)


def full_text_statement(query: SearchQuery, visible: ColumnElement[bool], *, prefix: bool,
                        limit: int) -> Select[Any]:
    """PostgreSQL: matching articles, best first, each with its highlighted headline."""
    if prefix:
        tsquery = func.to_tsquery(_SIMPLE, _prefix_tsquery(query.words))
    else:
        tsquery = func.websearch_to_tsquery(_SIMPLE, query.text)
    document = search_document()
    in_title = func.to_tsvector(_SIMPLE, KbArticle.title).op("@@")(tsquery)
    headline = func.ts_headline(_SIMPLE, KbArticle.body_text, tsquery, _HEADLINE_OPTIONS)
    return (select(KbArticle, headline)
            .where(visible, document.op("@@")(tsquery))
            .order_by(in_title.desc(), func.ts_rank(document, tsquery).desc(), KbArticle.title,
                      KbArticle.id)
            .limit(limit))


def _full_text(session: Session, query: SearchQuery, visible: ColumnElement[bool],
               prefix: bool, limit: int) -> list[ArticleHit]:
    hits = []
    for article, raw in session.execute(
            full_text_statement(query, visible, prefix=prefix, limit=limit)).tuples():
        plain, marked = _marked_snippet(raw or "")
        hits.append(ArticleHit(article, plain, marked))
    return hits


def _marked_snippet(raw: str) -> tuple[str, Markup]:
    raw = " ".join(raw.split())
    plain = raw.replace(_START, "").replace(_STOP, "")
    marked = str(escape(raw)).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return plain, Markup(marked)


def _like_pattern(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _like(session: Session, query: SearchQuery, visible: ColumnElement[bool],
          limit: int) -> list[ArticleHit]:
    patterns = [_like_pattern(word) for word in query.words]
    every_word = [or_(KbArticle.title.like(p, escape="\\"),
                      KbArticle.body_text.like(p, escape="\\")) for p in patterns]
    title_hits: ColumnElement[int] = sum((case((KbArticle.title.like(p, escape="\\"), 1), else_=0)
                      for p in patterns), start=literal_column("0"))
    articles = session.scalars(
        select(KbArticle).where(visible, *every_word)
        .order_by(title_hits.desc(), KbArticle.title, KbArticle.id).limit(limit)
    ).all()
    return [ArticleHit(article, *text_snippet(article.body_text, query.words))
            for article in articles]


def text_snippet(text: str, words: tuple[str, ...]) -> tuple[str, Markup]:
    """A window of ``text`` around the first match, the matched words marked."""
    text = " ".join(text.split())
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - SNIPPET_CHARS // 4) if first else 0
    window = text[start:start + SNIPPET_CHARS]
    plain = ("… " if start else "") + window + (" …" if start + SNIPPET_CHARS < len(text)
                                                else "")
    marked = pattern.sub(lambda m: _START + m.group(0) + _STOP, plain)
    return _marked_snippet(marked)
