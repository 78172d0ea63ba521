"""Item types, their lifecycle statuses ("workflow") and their custom fields."""

from __future__ import annotations

import enum

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model


class _LookupByValue(enum.EnumType):
    """Also lists each member under its value in ``__members__``: Flask-AppBuilder's enum
    form field looks members up by the stored value, and we store values, not names."""

    def __new__(metacls, name, bases, namespace, **kw):  # type: ignore[no-untyped-def]
        enum_class = super().__new__(metacls, name, bases, namespace, **kw)
        for member in list(enum_class):
            enum_class._member_map_.setdefault(member.value, member)
        return enum_class


class StoredStrEnum(enum.StrEnum, metaclass=_LookupByValue):
    """A str enum stored by value."""


class ItemKind(StoredStrEnum):
    TICKET = "ticket"
    TASK = "task"


class StatusCategory(StoredStrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class FieldType(StoredStrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CHECKBOX = "checkbox"


def _str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values, not the member names, and keep them a plain VARCHAR on every backend.
    return Enum(cls, name=name, native_enum=False, length=20,
                values_callable=lambda e: [m.value for m in e])


class ItemType(Model):
    """E.g. "Bug" or "Hardware request"; every item has one, and it decides its statuses."""

    __tablename__ = "item_type"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_item_type_kind_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(_str_enum(ItemKind, "item_kind"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    statuses: Mapped[list[Status]] = relationship(
        back_populates="item_type", order_by="Status.position", cascade="all, delete-orphan"
    )
    custom_fields: Mapped[list[CustomField]] = relationship(
        back_populates="item_type", order_by="CustomField.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.name} ({self.kind.value})"


class Status(Model):
    __tablename__ = "status"
    __table_args__ = (UniqueConstraint("item_type_id", "name", name="uq_status_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type_id: Mapped[int] = mapped_column(
        ForeignKey("item_type.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    colour: Mapped[str] = mapped_column(String(7), default="#6c757d", nullable=False)
    category: Mapped[StatusCategory] = mapped_column(
        _str_enum(StatusCategory, "status_category"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The ball is in the customer's court: the workspace's "Waiting on customer" queue.
    waits_on_customer: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    item_type: Mapped[ItemType] = relationship(back_populates="statuses")

    def __repr__(self) -> str:
        return self.name


class CustomField(Model):
    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("item_type_id", "key", name="uq_custom_field_type_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type_id: Mapped[int] = mapped_column(
        ForeignKey("item_type.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(60), nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    field_type: Mapped[FieldType] = mapped_column(
        _str_enum(FieldType, "field_type"), nullable=False
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    help_text: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    item_type: Mapped[ItemType] = relationship(back_populates="custom_fields")

    def __repr__(self) -> str:
        return self.label
