"""Messages on items (public and private threads) and attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.items import Item
from webapp.models.people import Customer

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


class Message(TimestampMixin, Model):
    """One post in an item's conversation. Public posts are seen by customers."""

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint(
            "(author_user_id IS NULL) <> (author_customer_id IS NULL)",
            name="ck_message_one_author",
        ),
        # The dashboard's first-response times start from the range's replies (0009).
        Index("ix_message_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True
    )
    author_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )

    item: Mapped[Item] = relationship()
    author_user: Mapped[User | None] = relationship("User")
    author_customer: Mapped[Customer | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")

    @property
    def author(self) -> object:
        return self.author_user or self.author_customer

    def __repr__(self) -> str:
        return f"message {self.id} on #{self.item_id}"


class Attachment(TimestampMixin, Model):
    """A file on disk belonging to an item, optionally to one of its messages."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL")
    )

    item: Mapped[Item] = relationship()
    message: Mapped[Message | None] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship("User")

    def __repr__(self) -> str:
        return self.filename
