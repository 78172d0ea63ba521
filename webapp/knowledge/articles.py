"""Rules every article write follows, from the staff screen and any API alike: the body is
sanitized and its plain text (what search indexes) derived from it, the slug is made from the
title when empty and must be unique and URL-safe, and an article for given organizations
names at least one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.content.html import html_to_text, sanitize_html
from webapp.models import ArticleVisibility, KbArticle

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 200
SLUG_RULE = "may hold only lower-case letters a-z, digits and single hyphens (like reset-password)"
# Paths of the portal's knowledge base that an article's slug would hide.
RESERVED_SLUGS = frozenset({"suggest"})


def slugify(title: str) -> str:
    """``"Configuração do e-mail"`` → ``"configuracao-do-e-mail"`` (accents dropped)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX - 8].strip("-") or "article"


def _slug_taken(session: Session, slug: str, article_id: int | None) -> bool:
    query = select(KbArticle.id).where(KbArticle.slug == slug)
    if article_id is not None:
        query = query.where(KbArticle.id != article_id)
    with session.no_autoflush:
        return session.scalar(query.limit(1)) is not None


def unique_slug(session: Session, title: str, article_id: int | None = None) -> str:
    """A free slug made from ``title``: ``setup``, then ``setup-2``, ``setup-3`` …"""
    base = slugify(title)
    slug, number = base, 1
    while slug in RESERVED_SLUGS or _slug_taken(session, slug, article_id):
        number += 1
        slug = f"{base}-{number}"
    return slug


def slug_problems(session: Session, slug: str | None, article_id: int | None) -> list[str]:
    """What is wrong with ``slug`` for the article ``article_id`` (None: a new one)."""
    if not slug:
        return ["is required"]
    if len(slug) > SLUG_MAX:
        return [f"is longer than {SLUG_MAX} characters"]
    if not SLUG_PATTERN.match(slug):
        return [SLUG_RULE]
    if slug in RESERVED_SLUGS:
        return [f"\"{slug}\" is reserved by the portal; choose another"]
    if _slug_taken(session, slug, article_id):
        return ["is used by another article already"]
    return []


def organizations_problems(visibility: Any, organizations: Iterable[Any] | None) -> list[str]:
    """An article for given organizations must name at least one."""
    if visibility == ArticleVisibility.ORGANIZATIONS and not list(organizations or []):
        return ["choose at least one organization when the visibility is "
                "\"organizations\" (or pick another visibility)"]
    return []


def prepare_article(session: Session, article: KbArticle, viewer: Viewer, is_new: bool) -> None:
    article.title = (article.title or "").strip()
    article.slug = (article.slug or "").strip()
    if not article.slug and article.title:
        article.slug = unique_slug(session, article.title, article.id)


def check_article(session: Session, article: KbArticle, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    if not article.title:
        errors["title"] = ["is required"]
    if article.category_id is None and article.category is None:
        errors["category"] = ["is required"]
    for name, problems in (
        ("slug", slug_problems(session, article.slug, article.id)),
        ("organizations", organizations_problems(article.visibility, article.organizations)),
    ):
        if problems:
            errors[name] = problems
    return errors


@event.listens_for(KbArticle.body_html, "set", retval=True)
def _sanitize_body(article: KbArticle, value: str | None, _old: Any, _initiator: Any) -> str:
    """Whatever sets the body (screen, API, import), it is stored sanitized with its text."""
    clean = sanitize_html(value)
    article.body_text = html_to_text(clean)
    return clean


rules_for(KbArticle).prepare.append(prepare_article)
rules_for(KbArticle).check.append(check_article)
