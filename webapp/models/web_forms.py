"""Web forms built from an item type's custom fields, and what was submitted through them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin
from webapp.models.items import Item
from webapp.models.people import Customer
from webapp.models.portal import Portal
from webapp.models.projects import Project
from webapp.models.workflow import CustomField, ItemType, StoredStrEnum, _str_enum


class BuiltinField(StoredStrEnum):
    """Form fields that are not custom fields: the request's own text, who asks, files, and
    the item's own fields (stored as a VARCHAR(20): adding a member needs no migration)."""

    TITLE = "title"
    DESCRIPTION = "description"
    NAME = "name"
    EMAIL = "email"
    ATTACHMENT = "attachment"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    ITEM_TYPE = "item_type"
    PLANNED_START = "planned_start"
    PLANNED_FINISH = "planned_finish"


# Built-ins that fill a column of the item (not its custom values): request forms only.
ITEM_FIELDS = frozenset({BuiltinField.DUE_DATE, BuiltinField.PRIORITY, BuiltinField.ITEM_TYPE,
                         BuiltinField.PLANNED_START, BuiltinField.PLANNED_FINISH})


class WebForm(TimestampMixin, Model):
    """A public form: a request form creates an item; a survey only stores its answers."""

    __tablename__ = "web_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"),
                                           nullable=False, index=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("item_type.id", ondelete="CASCADE"),
                                              nullable=False)
    # Where submitted requests land (the portal's project when empty); unused by surveys.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"))
    is_survey: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    intro: Mapped[str | None] = mapped_column(Text)
    success_message: Mapped[str | None] = mapped_column(Text)

    portal: Mapped[Portal] = relationship()
    item_type: Mapped[ItemType] = relationship()
    project: Mapped[Project | None] = relationship()
    fields: Mapped[list[WebFormField]] = relationship(
        back_populates="form", order_by="WebFormField.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class WebFormField(Model):
    """One field of a form: a custom field of the form's item type, or a built-in field."""

    __tablename__ = "web_form_field"
    __table_args__ = (
        CheckConstraint("(custom_field_id IS NULL) <> (builtin IS NULL)",
                        name="ck_web_form_field_one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("web_form.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    custom_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_field.id", ondelete="CASCADE"))
    builtin: Mapped[BuiltinField | None] = mapped_column(_str_enum(BuiltinField, "builtin_field"))
    label: Mapped[str | None] = mapped_column(String(120))  # else the custom field's label
    help_text: Mapped[str | None] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    form: Mapped[WebForm] = relationship(back_populates="fields")
    custom_field: Mapped[CustomField | None] = relationship()

    def __repr__(self) -> str:
        return self.label or (self.custom_field.label if self.custom_field else str(self.builtin))


class FormSubmission(TimestampMixin, Model):
    """The answers given through a form (a survey's only record; a request's audit trail)."""

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("web_form.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"),
                                                index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)

    form: Mapped[WebForm] = relationship()
    item: Mapped[Item | None] = relationship()
    customer: Mapped[Customer | None] = relationship()

    def __repr__(self) -> str:
        return f"submission {self.id} of {self.form_id}"
