"""Customer portals (branding, sign-in rules, what customers see) and one-time sign-in links."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.people import Customer
from webapp.models.projects import Project
from webapp.models.workflow import ItemType, StoredStrEnum, _str_enum

if TYPE_CHECKING:
    from webapp.models.sla import BusinessCalendar


class PortalVisibility(StoredStrEnum):
    """Which requests a signed-in customer sees in a portal."""

    OWN = "own"  # requested or followed by the customer
    ORGANIZATION = "organization"  # … or requested by anyone of the customer's organization
    ALL = "all"  # every ticket (an internal help desk where nothing is confidential)


class Portal(TimestampMixin, Model):
    """One branded customer-facing site: portal, web forms, widget and knowledge base."""

    __tablename__ = "portal"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # False: the knowledge base and web forms are open to anyone; "my requests" still needs
    # an identified customer.
    login_required: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Anyone may ask for a sign-in link and so become a customer (else only known customers).
    self_signup: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    visibility: Mapped[PortalVisibility] = mapped_column(
        _str_enum(PortalVisibility, "portal_visibility"), default=PortalVisibility.OWN,
        nullable=False)
    # Where requests made through the portal and the widget land.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"))
    item_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_type.id", ondelete="SET NULL"))
    chat_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    survey_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Branding
    primary_colour: Mapped[str] = mapped_column(String(7), default="#1f6feb", nullable=False)
    accent_colour: Mapped[str] = mapped_column(String(7), default="#0b3d91", nullable=False)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(60))
    welcome_text: Mapped[str | None] = mapped_column(Text)
    default_locale: Mapped[str] = mapped_column(String(5), default="en", nullable=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    # Messenger bot: the greeting and the "away" reply per customer language (empty: the
    # built-in text); away outside the calendar's hours, or when no agent has answered a
    # visitor's message for ``chat_away_after_minutes``.
    chat_greeting_en: Mapped[str | None] = mapped_column(Text)
    chat_greeting_pt: Mapped[str | None] = mapped_column(Text)
    chat_greeting_es: Mapped[str | None] = mapped_column(Text)
    chat_away_en: Mapped[str | None] = mapped_column(Text)
    chat_away_pt: Mapped[str | None] = mapped_column(Text)
    chat_away_es: Mapped[str | None] = mapped_column(Text)
    chat_calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_calendar.id", ondelete="SET NULL"))
    chat_away_after_minutes: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[Project | None] = relationship()
    item_type: Mapped[ItemType | None] = relationship()
    chat_calendar: Mapped[BusinessCalendar | None] = relationship()

    def __repr__(self) -> str:
        return self.name


class SignInLink(Model):
    """A one-time sign-in link; only the SHA-256 of its token is stored."""

    __tablename__ = "sign_in_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id", ondelete="CASCADE"),
                                           nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    customer: Mapped[Customer] = relationship()
    portal: Mapped[Portal] = relationship()
