"""Which knowledge-base articles a viewer may read. Every customer-facing lookup of an article
(index, article page, search, suggestions) goes through here, so an article the viewer may
not read is a 404 and never listed."""

from __future__ import annotations

from flask import abort, current_app
from sqlalchemy import ColumnElement, and_, exists, or_, select

from webapp.extensions import db
from webapp.models import ArticleVisibility, Customer, KbArticle
from webapp.models.knowledge import kb_article_organization


def article_clause(customer: Customer | None) -> ColumnElement[bool]:
    """Published articles the customer (None: an anonymous visitor) may read."""
    published = KbArticle.published.is_(True)
    if customer is None or customer.id is None:
        return and_(published, KbArticle.visibility == ArticleVisibility.PUBLIC)
    readable: list[ColumnElement[bool]] = [
        KbArticle.visibility.in_((ArticleVisibility.PUBLIC, ArticleVisibility.CUSTOMERS))]
    if customer.organization_id is not None:
        readable.append(and_(
            KbArticle.visibility == ArticleVisibility.ORGANIZATIONS,
            exists().where(kb_article_organization.c.article_id == KbArticle.id,
                           kb_article_organization.c.organization_id
                           == customer.organization_id)))
    return and_(published, or_(*readable))


def staff_may_preview() -> bool:
    """A signed-in staff user who may read articles sees any article (drafts included)."""
    security = current_app.appbuilder.sm
    user = security.current_user
    return bool(user is not None and getattr(user, "id", None)
                and security.has_access("can_read", "KbArticle"))


def visible_article(slug: str, customer: Customer | None) -> tuple[KbArticle, bool]:
    """The article at ``slug`` if the customer may read it, else 404; and whether it is only
    shown as a staff preview (a draft, or an article the customer may not read)."""
    article = db.session.scalar(
        select(KbArticle).where(KbArticle.slug == slug, article_clause(customer)))
    if article is not None:
        return article, False
    if staff_may_preview():
        article = db.session.scalar(select(KbArticle).where(KbArticle.slug == slug))
    if article is None:
        abort(404)
    return article, True
