"""The outbox: one row per change, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Model):
    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_subject", "subject_type", "subject_id"),
        Index("ix_event_unprocessed", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"))
    # The recipe whose action made this change, and how deep in such a chain it is.
    actor_recipe_id: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    diff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    actor_user = relationship("User", viewonly=True)
    actor_customer = relationship("Customer", viewonly=True)

    def __repr__(self) -> str:
        return f"{self.type} #{self.subject_id} (event {self.id})"
