"""Saved views (filters, grouping, columns, kind), their e-mailed report schedules, and the
workspace-wide view settings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.teams import Team
from webapp.models.workflow import StoredStrEnum, _str_enum

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


class ViewKind(StoredStrEnum):
    LIST = "list"
    BOARD = "board"
    GANTT = "gantt"
    CALENDAR = "calendar"
    TREE = "tree"
    DASHBOARD = "dashboard"


class ReportFrequency(StoredStrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class ReportFormat(StoredStrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class SavedView(TimestampMixin, Model):
    """A named view; private to its owner, or shared with one team (``team_id``)."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_view_owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"),
                                                index=True)
    kind: Mapped[ViewKind] = mapped_column(_str_enum(ViewKind, "view_kind"), nullable=False,
                                           default=ViewKind.LIST)
    # The filter set as query arguments: {"status": ["3"], "q": ["printer"], …}
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    group_by: Mapped[str | None] = mapped_column(String(60))
    sort: Mapped[str | None] = mapped_column(String(60))
    # Shown with its count on its owner's workspace home.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    owner: Mapped[User] = relationship("User")
    team: Mapped[Team | None] = relationship()
    schedules: Mapped[list[ReportSchedule]] = relationship(
        back_populates="saved_view", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class ReportSchedule(TimestampMixin, Model):
    """A saved view mailed as a report; recipients need no account."""

    __tablename__ = "report_schedule"
    __table_args__ = (
        CheckConstraint("hour BETWEEN 0 AND 23", name="ck_report_schedule_hour"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6",
                        name="ck_report_schedule_weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_view_id: Mapped[int] = mapped_column(ForeignKey("saved_view.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    frequency: Mapped[ReportFrequency] = mapped_column(
        _str_enum(ReportFrequency, "report_frequency"), nullable=False)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday, weekly reports only
    hour: Mapped[int] = mapped_column(Integer, default=8, nullable=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    recipients: Mapped[str] = mapped_column(Text, nullable=False)  # comma-separated e-mails
    format: Mapped[ReportFormat] = mapped_column(_str_enum(ReportFormat, "report_format"),
                                                 default=ReportFormat.CSV, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    saved_view: Mapped[SavedView] = relationship(back_populates="schedules")

    def __repr__(self) -> str:
        return f"{self.frequency.value} report of view {self.saved_view_id}"


class WorkspaceSetting(Model):
    """Workspace-wide choices (e.g. the tree's default grouping), one row per key."""

    __tablename__ = "workspace_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
