"""Knowledge-base tests; ``add_article`` builds articles as the staff screen would save them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webapp.access.scope import SYSTEM
from webapp.commands.write_check import check_write
from webapp.models import ArticleVisibility, KbArticle, KbCategory


def add_category(session: Session, name: str = "General", position: int = 0) -> KbCategory:
    category = KbCategory(name=name, position=position)
    session.add(category)
    session.commit()
    return category


def add_article(session: Session, category: KbCategory, title: str, body: str = "",
                visibility: ArticleVisibility = ArticleVisibility.PUBLIC,
                published: bool = True, **kw: Any) -> KbArticle:
    """Saved through the shared write check (the path of the screens and APIs)."""
    article = KbArticle(title=title, body_html=body, category=category, visibility=visibility,
                        published=published, **kw)
    check_write(session, article, SYSTEM, is_new=True)
    session.commit()
    return article
