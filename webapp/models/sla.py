"""SLA policies, business calendars, per-item SLA clocks and idle-item rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.items import Item
from webapp.models.workflow import ItemType, Status


class BusinessCalendar(Model):
    """Working hours per weekday in a time zone, with holidays."""

    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    # {"mon": [["09:00", "17:00"]], "tue": [...], ...}; a missing day is closed.
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    holidays: Mapped[list[Holiday]] = relationship(back_populates="calendar",
                                                   cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class Holiday(Model):
    __tablename__ = "holiday"
    __table_args__ = (UniqueConstraint("calendar_id", "day", name="uq_holiday_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("business_calendar.id", ondelete="CASCADE"), nullable=False, index=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    name: Mapped[str | None] = mapped_column(String(120))

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="holidays")

    def __repr__(self) -> str:
        return f"{self.day} {self.name or ''}".strip()


class SlaPolicy(TimestampMixin, Model):
    __tablename__ = "sla_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_calendar.id", ondelete="SET NULL"))
    warning_minutes: Mapped[int] = mapped_column(Integer, default=60, nullable=False)

    calendar: Mapped[BusinessCalendar | None] = relationship()
    targets: Mapped[list[SlaTarget]] = relationship(back_populates="policy",
                                                    cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class SlaTarget(Model):
    """Targets for items of a priority and/or type (None matches any), in business minutes."""

    __tablename__ = "sla_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policy.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    priority: Mapped[int | None] = mapped_column(Integer)
    item_type_id: Mapped[int | None] = mapped_column(ForeignKey("item_type.id",
                                                                ondelete="CASCADE"))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)

    policy: Mapped[SlaPolicy] = relationship(back_populates="targets")
    item_type: Mapped[ItemType | None] = relationship()


class ItemSla(Model):
    """The SLA clock of one item: due times computed when the policy is attached."""

    __tablename__ = "item_sla"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False, unique=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policy.id", ondelete="CASCADE"),
                                           nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    first_response_warn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution_warn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    item: Mapped[Item] = relationship()
    policy: Mapped[SlaPolicy] = relationship()


class IdleRule(Model):
    """Fire ``item.idle`` when an item has stayed ``hours`` in ``status``."""

    __tablename__ = "idle_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id", ondelete="CASCADE"),
                                           nullable=False)
    hours: Mapped[float] = mapped_column(nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    status: Mapped[Status] = relationship()

    def __repr__(self) -> str:
        return self.name


class TimerFiring(Model):
    """Proof that a timer event fired, unique so that each fires exactly once."""

    __tablename__ = "timer_firing"
    __table_args__ = (
        UniqueConstraint("item_id", "timer", "marker", name="uq_timer_firing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False)
    # "sla.first_response.warning", "sla.resolution.breached", "idle.<rule id>", …
    timer: Mapped[str] = mapped_column(String(80), nullable=False)
    # Distinguishes repeat firings that are legitimate (idle again after a new status entry).
    marker: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    fired_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
