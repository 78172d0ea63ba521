"""The e-mail channel: support addresses, every inbound mail (raw), the Message-ID index used
for threading and rate limits, and the admin-editable templates of outgoing mail."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.workflow import StoredStrEnum, _str_enum

if TYPE_CHECKING:
    from webapp.models.conversation import Message
    from webapp.models.items import Item
    from webapp.models.projects import Project
    from webapp.models.workflow import ItemType


class SupportAddress(TimestampMixin, Model):
    """An address customers write to, e.g. support@ → Support tickets, billing@ → Billing.

    ``name`` and ``signature`` brand the mail sent for items that came in through it.
    """

    __tablename__ = "support_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(String(120))
    signature: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    item_type_id: Mapped[int] = mapped_column(ForeignKey("item_type.id"), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Mail to none of the known addresses goes here (at most one catch-all).
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    project: Mapped[Project] = relationship()
    item_type: Mapped[ItemType] = relationship()

    @validates("address")
    def _lower(self, _key: str, value: str) -> str:
        return value.strip().lower() if value else value

    def __repr__(self) -> str:
        return self.address


class InboundStatus(StoredStrEnum):
    RECEIVED = "received"  # stored, not (yet) processed
    TICKET = "ticket"  # became a new item
    REPLY = "reply"  # became a message on an existing item
    IGNORED = "ignored"  # auto-reply, bulk, duplicate or our own mail: kept, nothing created
    REJECTED = "rejected"  # could not be parsed or placed: kept with the reason


class InboundMail(Model):
    """Every message that reached the intake, stored byte for byte before it is parsed."""

    __tablename__ = "inbound_mail"
    __table_args__ = (Index("ix_inbound_mail_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)  # smtp | http
    peer: Mapped[str | None] = mapped_column(String(100))
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[InboundStatus] = mapped_column(
        _str_enum(InboundStatus, "inbound_status"), default=InboundStatus.RECEIVED,
        nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    # Warnings that did not stop the mail (an attachment over the limit, a bad Cc address …).
    notes: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    rfc_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    # The To and Cc addresses of the mail (they have it already: no notification for them).
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    auto_reason: Mapped[str | None] = mapped_column(String(300))
    support_address_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_address.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"),
                                                index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"))
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    support_address: Mapped[SupportAddress | None] = relationship()
    item: Mapped[Item | None] = relationship()
    message: Mapped[Message | None] = relationship()

    def __repr__(self) -> str:
        return f"inbound mail {self.id} ({self.status.value if self.status else 'new'})"


class MailDirection(StoredStrEnum):
    IN = "in"
    OUT = "out"


class MailMessage(Model):
    """A mail we received or sent on an item, by its Message-ID: replies find their item
    through In-Reply-To/References, and automatic mail per address is counted here."""

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_address_created", "address", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rfc_message_id: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    direction: Mapped[MailDirection] = mapped_column(_str_enum(MailDirection, "mail_direction"),
                                                     nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True)
    inbound_mail_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_mail.id", ondelete="SET NULL"), index=True)
    # The sender of a received mail, the recipient of a sent one (lower case).
    address: Mapped[str | None] = mapped_column(String(320))
    template: Mapped[str | None] = mapped_column(String(80))
    # Sent without a person deciding to (acknowledgements, notifications of mail from
    # customers): limited per address to stop mail loops.
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The full body of a received reply whose quoted part was trimmed from the message.
    original_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    item: Mapped[Item] = relationship()
    message: Mapped[Message | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.direction.value} <{self.rfc_message_id}>"


class MailTemplate(TimestampMixin, Model):
    """Subject and text of the mail sent for an event type (sandboxed templates)."""

    __tablename__ = "mail_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)

    def __repr__(self) -> str:
        return self.name

    def as_dict(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "name": self.name, "subject": self.subject,
                "body": self.body}
