"""What the agent workspace remembers per staff user: which items they have seen (unread
state) and their profile (language, time zone)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Model, utcnow


class ItemSeen(Model):
    """When a staff user last opened an item; activity by others after it makes it unread."""

    __tablename__ = "item_seen"
    __table_args__ = (Index("ix_item_seen_item_id", "item_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"#{self.item_id} seen by user {self.user_id}"


class StaffProfile(Model):
    """A staff user's own choices; absent values fall back to the browser's."""

    __tablename__ = "staff_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(5))  # en, pt, es
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # The project a new ticket starts in (remembered from the agent's last new ticket).
    last_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"profile of user {self.user_id}"
