"""Portfolio → Project → Folder, and who may see a project (teams, personal grants)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from webapp.models.base import Model, TimestampMixin
from webapp.models.people import Organization
from webapp.models.teams import Team

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User

project_team = Table(
    "project_team",
    Model.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Portfolio(TimestampMixin, Model):
    __tablename__ = "portfolio"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)

    projects: Mapped[list[Project]] = relationship(back_populates="portfolio")

    def __repr__(self) -> str:
        return self.name


class Project(TimestampMixin, Model):
    __tablename__ = "project"
    __table_args__ = (
        # At most one "requests project" per organization, whatever the concurrency: the
        # recipe "Put each organization's requests in its own project" gets or creates it.
        Index("uq_project_org_requests", "organization_id", unique=True,
              postgresql_where=expression.text("is_org_requests"),
              sqlite_where=expression.text("is_org_requests")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    portfolio_id: Mapped[int | None] = mapped_column(
        ForeignKey("portfolio.id", ondelete="SET NULL"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    is_template: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The organization's own requests project (where the organization-project recipe moves
    # its tickets); unique per organization.
    is_org_requests: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=expression.false(), nullable=False)
    # Billing rate per hour; empty: the organization's.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    portfolio: Mapped[Portfolio | None] = relationship(back_populates="projects")
    organization: Mapped[Organization | None] = relationship()
    teams: Mapped[list[Team]] = relationship(secondary=project_team)
    folders: Mapped[list[Folder]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Folder.id"
    )
    grants: Mapped[list[ProjectGrant]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.name


class Folder(Model):
    __tablename__ = "folder"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("folder.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)

    project: Mapped[Project] = relationship(back_populates="folders")
    parent: Mapped[Folder | None] = relationship(remote_side="Folder.id")

    def __repr__(self) -> str:
        return self.name


class ProjectGrant(Model):
    """A user's personal membership of a project, beside what their teams give."""

    __tablename__ = "project_grant"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_grant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True
    )

    project: Mapped[Project] = relationship(back_populates="grants")
    user: Mapped[User] = relationship("User")

    def __repr__(self) -> str:
        return f"{self.user} → {self.project}"
