"""Live chat between a website visitor (through the widget) and agents."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.items import Item
from webapp.models.people import Customer
from webapp.models.portal import Portal
from webapp.models.workflow import StoredStrEnum, _str_enum

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


class ChatStatus(StoredStrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ChatConversation(TimestampMixin, Model):
    """A visitor's conversation; the visitor proves it is theirs with a secret key whose
    SHA-256 is stored (the widget keeps the key in the browser)."""

    __tablename__ = "chat_conversation"
    __table_args__ = (Index("ix_chat_conversation_status_last", "status", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    visitor_key_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    visitor_email: Mapped[str | None] = mapped_column(String(254))
    page_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[ChatStatus] = mapped_column(_str_enum(ChatStatus, "chat_status"),
                                               default=ChatStatus.OPEN, nullable=False)
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow,
                                                         nullable=False)

    portal: Mapped[Portal] = relationship()
    customer: Mapped[Customer | None] = relationship()
    assigned_user: Mapped[User | None] = relationship("User")
    item: Mapped[Item | None] = relationship()
    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="conversation", order_by="ChatMessage.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"chat {self.id} with {self.visitor_name or self.visitor_email or 'a visitor'}"


class ChatMessage(Model):
    __tablename__ = "chat_message"
    __table_args__ = (
        CheckConstraint("from_visitor OR user_id IS NOT NULL", name="ck_chat_message_author"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("chat_conversation.id", ondelete="CASCADE"), nullable=False, index=True)
    from_visitor: Mapped[bool] = mapped_column(Boolean, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    conversation: Mapped[ChatConversation] = relationship(back_populates="messages")
    user: Mapped[User | None] = relationship("User")
