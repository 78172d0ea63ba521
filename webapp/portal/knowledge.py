"""The knowledge base in the portal: categories with their articles, search, an article, and
suggestions as you type (JSON, for the new-request form and the widget). ``?embed=1`` renders
without header and footer (the widget's iframe) and stays on every link."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import g, jsonify, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.content.html import sanitize_html
from webapp.extensions import db
from webapp.knowledge.search import parse_query, search_articles
from webapp.knowledge.visibility import article_clause, visible_article
from webapp.models import KbArticle, KbCategory
from webapp.portal import portal_bp
from webapp.portal.session import current_customer, open_or_signed_in

SUGGESTIONS = 5


def _link_args() -> dict[str, Any]:
    """Query arguments every knowledge-base link keeps (the embedded view)."""
    return {"embed": 1} if request.args.get("embed") == "1" else {}


def _render(template: str, **context: Any) -> str:
    args = _link_args()
    return render_template(template, embedded=bool(args), kb_args=args, **context)


@portal_bp.get("/kb/")
@open_or_signed_in
def kb_index() -> str:
    """Categories with the articles the viewer may read; search results when ``q`` is given."""
    query = parse_query(request.args.get("q"))
    visible = article_clause(current_customer())
    hits = search_articles(db.session, query, visible) if not query.is_empty else None
    articles = db.session.scalars(
        select(KbArticle).join(KbArticle.category).where(visible)
        .order_by(KbCategory.position, KbCategory.name, KbArticle.title)).all()
    categories = [(category, list(group))
                  for category, group in groupby(articles, key=lambda a: a.category)]
    notice = gettext("Your search was long; only its first words were used.") \
        if query.shortened else None
    return _render("portal/kb_index.html", query=query, hits=hits, categories=categories,
                   notice=notice)


@portal_bp.get("/kb/<slug>")
@open_or_signed_in
def kb_article(slug: str) -> str:
    """One article (404 when the viewer may not read it)."""
    article, preview = visible_article(slug, current_customer())
    body = Markup(sanitize_html(article.body_html))  # sanitized on save; again for old rows
    return _render("portal/kb_article.html", article=article, body=body, preview=preview)


@portal_bp.get("/kb/suggest")
def kb_suggest() -> Response:
    """Up to five readable articles matching what is typed so far (the last word a prefix)."""
    customer = current_customer()
    if g.portal.login_required and customer is None:
        return jsonify(articles=[])  # a visitor of a closed portal may read nothing
    query = parse_query(request.args.get("q"))
    hits = search_articles(db.session, query, article_clause(customer), prefix=True,
                           limit=SUGGESTIONS)
    args = _link_args()
    return jsonify(articles=[
        {"id": hit.article.id, "title": hit.article.title, "snippet": hit.snippet,
         "url": url_for("portal.kb_article", slug=hit.article.slug, **args)}
        for hit in hits])
