"""Customers (end users) and the Organizations they belong to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.models.base import Model, TimestampMixin


class Organization(TimestampMixin, Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    # What an hour of work is billed at (a project's own rate comes first).
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    domains: Mapped[list[OrganizationDomain]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    customers: Mapped[list[Customer]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return self.name


class OrganizationDomain(Model):
    """An e-mail domain whose senders belong to the organization."""

    __tablename__ = "organization_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)

    organization: Mapped[Organization] = relationship(back_populates="domains")

    @validates("domain")
    def _lower(self, _key: str, value: str) -> str:
        return value.strip().lower() if value else value

    def __repr__(self) -> str:
        return self.domain


class Customer(TimestampMixin, Model):
    """An end user who requests work: external customer or internal employee."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("email", name="uq_customer_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )

    # The portal: a password is optional (one-time sign-in links work without one).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))  # en, pt, es; else the browser's
    time_zone: Mapped[str | None] = mapped_column(String(64))
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organization: Mapped[Organization | None] = relationship(back_populates="customers")

    @validates("email")
    def _lower(self, _key: str, value: str) -> str:
        return value.strip().lower() if value else value

    def __repr__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
