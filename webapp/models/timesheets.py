"""Hours logged by staff on items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.items import Item

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


class Timesheet(TimestampMixin, Model):
    __tablename__ = "timesheet"
    __table_args__ = (CheckConstraint("hours > 0 AND hours <= 24", name="ck_timesheet_hours"),
                      Index("ix_timesheet_work_date", "work_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    work_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    billable: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    note: Mapped[str | None] = mapped_column(String(1000))
    # Set once the hours are on an invoice (and never billed again).
    invoiced_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    invoice_ref: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship("User")
    item: Mapped[Item] = relationship()

    def __repr__(self) -> str:
        return f"{self.hours} h on #{self.item_id}"
