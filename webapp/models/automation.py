"""Recipes (trigger → conditions → actions) and the delivery ledger that runs them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.events import BigId, Event
from webapp.models.people import Organization
from webapp.models.workflow import StoredStrEnum, _str_enum


class Recipe(TimestampMixin, Model):
    """When ``trigger_event`` happens (narrowed by ``trigger_filter``) and ``conditions``
    hold, run the actions in order."""

    __tablename__ = "recipe"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    trigger_event: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    # e.g. {"field": "status", "to": "Done"} or {"field": "priority", "from": null, "to": 5}
    trigger_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # {"match": "all" | "any", "rules": [{"field": "item.priority", "op": "gte", "value": 3}]}
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Routing rules of an organization are recipes that carry its id.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    # Shipped defaults are recognised by key, so seeding never duplicates them.
    builtin_key: Mapped[str | None] = mapped_column(String(80), unique=True)

    organization: Mapped[Organization | None] = relationship()
    actions: Mapped[list[RecipeAction]] = relationship(
        back_populates="recipe", order_by="RecipeAction.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class RecipeAction(Model):
    __tablename__ = "recipe_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipe.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    action_type: Mapped[str] = mapped_column(String(80), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    recipe: Mapped[Recipe] = relationship(back_populates="actions")

    def __repr__(self) -> str:
        return f"{self.position}. {self.action_type}"


class DeliveryStatus(StoredStrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # will be retried at next_attempt_at
    DEAD = "dead"  # out of attempts; replay by hand
    SKIPPED = "skipped"  # an earlier action of the same recipe died


class Delivery(TimestampMixin, Model):
    """One action for one event: the unit of retry, lease and replay."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipe_action_id", name="uq_delivery_event_action"),
        UniqueConstraint("event_id", "webhook_endpoint_id", name="uq_delivery_event_endpoint"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipe.id", ondelete="SET NULL"),
                                                  index=True)
    recipe_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipe_action.id", ondelete="SET NULL"))
    action_type: Mapped[str] = mapped_column(String(80), nullable=False)
    # An outbound webhook endpoint's delivery (matched by its event-type filter, no recipe).
    webhook_endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE",
                   name="fk_delivery_webhook_endpoint"), index=True)
    # The delivery of the previous action of the same recipe; this one waits for it.
    after_delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"))
    status: Mapped[DeliveryStatus] = mapped_column(
        _str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING,
        nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    event: Mapped[Event] = relationship()
    recipe: Mapped[Recipe | None] = relationship()
    recipe_action: Mapped[RecipeAction | None] = relationship()
    webhook_endpoint = relationship("WebhookEndpoint")

    def __repr__(self) -> str:
        return f"delivery {self.id} ({self.action_type}, {self.status.value})"
