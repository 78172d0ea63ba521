"""A requester's satisfaction rating of a solved ticket."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.items import Item
from webapp.models.people import Customer

RATING_SCALE = range(1, 6)  # 1 = very unsatisfied … 5 = very satisfied


class SatisfactionRating(TimestampMixin, Model):
    __tablename__ = "satisfaction_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_satisfaction_score"),
                      Index("ix_satisfaction_rating_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         unique=True, nullable=False)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)

    item: Mapped[Item] = relationship()
    customer: Mapped[Customer | None] = relationship()
