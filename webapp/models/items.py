"""Work items: tickets and tasks share one model; tasks use the planning columns too."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.people import Customer
from webapp.models.projects import Folder, Project
from webapp.models.teams import Team
from webapp.models.workflow import ItemKind, ItemType, Status, _str_enum

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User


def _link(name: str, left: str, right: str, right_table: str) -> Table:
    return Table(
        name,
        Model.metadata,
        Column(left, ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
        Column(right, ForeignKey(f"{right_table}.id", ondelete="CASCADE"), primary_key=True,
               index=True),
    )


item_assignee_user = _link("item_assignee_user", "item_id", "user_id", "ab_user")
item_assignee_team = _link("item_assignee_team", "item_id", "team_id", "team")
item_follower_user = _link("item_follower_user", "item_id", "user_id", "ab_user")
item_follower_customer = _link("item_follower_customer", "item_id", "customer_id", "customer")
item_predecessor = _link("item_predecessor", "item_id", "predecessor_id", "item")


class Item(TimestampMixin, Model):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 5", name="ck_item_priority"),
        CheckConstraint(
            "percent_complete IS NULL OR (percent_complete BETWEEN 0 AND 100)",
            name="ck_item_percent",
        ),
        Index("ix_item_project_kind_id", "project_id", "kind", "id"),
        # Views page by keyset: a board column (status) and the calendar (due date).
        Index("ix_item_status_id_id", "status_id", "id"),
        Index("ix_item_due_at_id", "due_at", "id"),
        # The list sorted by last update / priority (migration 0008).
        Index("ix_item_updated_at_id", "updated_at", "id"),
        Index("ix_item_priority_id", "priority", "id"),
        # The dashboard counts items opened and solved in a date range (migration 0009).
        Index("ix_item_created_at", "created_at"),
        Index("ix_item_status_changed_at", "status_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(_str_enum(ItemKind, "item_kind"), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("item_type.id"), nullable=False,
                                              index=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id"), nullable=False, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folder.id", ondelete="SET NULL"),
                                                  index=True)
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True
    )
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # When the item entered its current status (idle timers measure from here).
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow,
                                                           nullable=False)
    custom_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    # Planning (tasks)
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_finish: Mapped[dt.date | None] = mapped_column(Date)
    actual_start: Mapped[dt.date | None] = mapped_column(Date)
    actual_finish: Mapped[dt.date | None] = mapped_column(Date)
    percent_complete: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[float | None] = mapped_column(Float)

    item_type: Mapped[ItemType] = relationship()
    status: Mapped[Status] = relationship()
    project: Mapped[Project] = relationship()
    folder: Mapped[Folder | None] = relationship()
    requester: Mapped[Customer | None] = relationship()
    created_by: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])
    assignee_users: Mapped[list[User]] = relationship("User", secondary=item_assignee_user)
    assignee_teams: Mapped[list[Team]] = relationship(secondary=item_assignee_team)
    follower_users: Mapped[list[User]] = relationship("User", secondary=item_follower_user)
    follower_customers: Mapped[list[Customer]] = relationship(secondary=item_follower_customer)
    predecessors: Mapped[list[Item]] = relationship(
        secondary=item_predecessor,
        primaryjoin=lambda: Item.id == item_predecessor.c.item_id,
        secondaryjoin=lambda: Item.id == item_predecessor.c.predecessor_id,
    )

    def __repr__(self) -> str:
        return f"#{self.id} {self.title}"


@event.listens_for(Item, "before_update")
def _stamp_status_change(_mapper: Any, _connection: Any, item: Item) -> None:
    """Idle timers measure from the moment an item entered its current status."""
    state = inspect(item)
    if state.attrs.status_id.history.has_changes() or state.attrs.status.history.has_changes():
        item.status_changed_at = utcnow()
