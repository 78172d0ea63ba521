"""Teams of staff users; a team's membership gives visibility of the team's projects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model

if TYPE_CHECKING:
    from flask_appbuilder.security.sqla.models import User

team_member = Table(
    "team_member",
    Model.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(Model):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))

    members: Mapped[list[User]] = relationship("User", secondary=team_member)

    def __repr__(self) -> str:
        return self.name
