"""Knowledge base: articles in categories, each with who may read it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.people import Organization
from webapp.models.workflow import StoredStrEnum, _str_enum

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


class ArticleVisibility(StoredStrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    CUSTOMERS = "customers"  # signed-in customers
    ORGANIZATIONS = "organizations"  # signed-in customers of the article's organizations


kb_article_organization = Table(
    "kb_article_organization",
    Model.metadata,
    Column("article_id", ForeignKey("kb_article.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class KbCategory(Model):
    __tablename__ = "kb_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    articles: Mapped[list[KbArticle]] = relationship(back_populates="category")

    def __repr__(self) -> str:
        return self.name


class KbArticle(TimestampMixin, Model):
    """``body_text`` is the sanitized body as plain text: what full-text search indexes."""

    __tablename__ = "kb_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("kb_category.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    visibility: Mapped[ArticleVisibility] = mapped_column(
        _str_enum(ArticleVisibility, "article_visibility"), default=ArticleVisibility.PUBLIC,
        nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    category: Mapped[KbCategory] = relationship(back_populates="articles")
    organizations: Mapped[list[Organization]] = relationship(secondary=kb_article_organization)
    author: Mapped[User | None] = relationship("User")

    def __repr__(self) -> str:
        return self.title
