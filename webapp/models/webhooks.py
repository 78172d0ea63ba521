"""Webhooks: outbound endpoints (admin-made, or REST hook subscriptions of an API user) with
their signing secrets encrypted at rest, the log of every POST made to them, and inbound
endpoints with the raw requests they received.

Secrets are Fernet tokens under the connections' key (``CONNECTION_KEY``, see
``webapp.models.connections``); the plain secret is shown once, when it is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.connections import CredentialsError
from webapp.models.events import BigId, Event
from webapp.models.workflow import StoredStrEnum, _str_enum


def _decrypt(token: str | None, cipher: MultiFernet, what: str) -> str | None:
    if not token:
        return None
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsError(f"the secret of {what} cannot be decrypted with the "
                               "configured CONNECTION_KEY") from exc


class WebhookEndpoint(TimestampMixin, Model):
    """Where signed event POSTs go. ``owner`` set: a REST hook subscription of that API user
    (it receives only events its owner may see)."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    # Event types, or patterns such as "ticket.*" and "*".
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    # The secret before the last rotation; it signs too until previous_secret_expires_at.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    # When the current run of failures began (None after a success).
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    owner = relationship("User", viewonly=True)

    @property
    def is_subscription(self) -> bool:
        return self.owner_user_id is not None

    def set_secret(self, secret: str, cipher: MultiFernet) -> None:
        self.secret_encrypted = cipher.encrypt(secret.encode()).decode()

    def rotate_secret(self, secret: str, cipher: MultiFernet, grace: dt.timedelta) -> None:
        """``secret`` signs from now on; the current one keeps signing for ``grace``."""
        self.previous_secret_encrypted = self.secret_encrypted
        self.previous_secret_expires_at = utcnow() + grace
        self.set_secret(secret, cipher)

    def secret(self, cipher: MultiFernet) -> str:
        value = _decrypt(self.secret_encrypted, cipher, f"webhook endpoint {self.name!r}")
        if value is None:
            raise CredentialsError(f"webhook endpoint {self.name!r} has no secret")
        return value

    def signing_secrets(self, cipher: MultiFernet, now: dt.datetime | None = None) -> list[str]:
        """The secrets a message is signed with now: the current one, and the previous one
        during its grace period."""
        now = now or utcnow()
        found = [self.secret(cipher)]
        if (self.previous_secret_encrypted and self.previous_secret_expires_at is not None
                and self.previous_secret_expires_at > now):
            previous = _decrypt(self.previous_secret_encrypted, cipher,
                                f"webhook endpoint {self.name!r}")
            if previous:
                found.append(previous)
        return found

    def matches(self, event_type: str) -> bool:
        prefix = event_type.split(".", 1)[0]
        return any(pattern in (event_type, f"{prefix}.*", "*")
                   for pattern in self.event_types or [])

    def __repr__(self) -> str:
        return self.name


class WebhookAttempt(Model):
    """One POST to an endpoint: what was sent and what came back (excerpts)."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False, index=True)
    delivery_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("delivery.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    webhook_id: Mapped[str] = mapped_column(String(100), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    request_body: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # succeeded | failed | …
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False,
                                                    index=True)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    delivery = relationship("Delivery", viewonly=True)

    def __repr__(self) -> str:
        return f"{self.webhook_id} → {self.response_status or self.error}"


INBOUND_SCHEMES = ("standardwebhooks", "stripe")


class InboundEndpoint(TimestampMixin, Model):
    """``POST /hooks/in/<slug>``: requests signed with ``secret`` under ``scheme`` become
    ``inbound.<slug>`` events."""

    __tablename__ = "inbound_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    scheme: Mapped[str] = mapped_column(String(40), nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    # How old (or how far in the future) a signed timestamp may be.
    tolerance_seconds: Mapped[int] = mapped_column(Integer, default=300, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)

    def set_secret(self, secret: str, cipher: MultiFernet) -> None:
        self.secret_encrypted = cipher.encrypt(secret.encode()).decode()

    def secret(self, cipher: MultiFernet) -> str:
        value = _decrypt(self.secret_encrypted, cipher, f"inbound endpoint {self.slug!r}")
        if value is None:
            raise CredentialsError(f"inbound endpoint {self.slug!r} has no secret")
        return value

    @property
    def event_type(self) -> str:
        return f"inbound.{self.slug}"

    def path(self) -> str:
        return f"/hooks/in/{self.slug}"

    def __repr__(self) -> str:
        return self.slug


class InboundRequestStatus(StoredStrEnum):
    RECEIVED = "received"  # stored, not judged yet
    ACCEPTED = "accepted"  # verified; its event is written
    REJECTED = "rejected"  # bad, missing or stale signature, or unreadable
    DUPLICATE = "duplicate"  # its message id was accepted before


class InboundRequest(Model):
    """One request to an inbound endpoint, stored as it came before anything else is done."""

    __tablename__ = "inbound_request"
    __table_args__ = (
        # Only accepted requests carry their message id here: a second one with the same id
        # cannot be accepted, however close together they arrive.
        UniqueConstraint("endpoint_id", "accepted_message_id",
                         name="uq_inbound_request_accepted"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_endpoint.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(String(63), nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False,
                                                     index=True)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[InboundRequestStatus] = mapped_column(
        _str_enum(InboundRequestStatus, "inbound_request_status"),
        default=InboundRequestStatus.RECEIVED,
        nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    accepted_message_id: Mapped[str | None] = mapped_column(String(255))
    event_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("event.id", ondelete="SET NULL"))
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    endpoint: Mapped[InboundEndpoint | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def size(self) -> int:
        return len(self.body or b"")

    def body_text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced), for reading on screen."""
        return (self.body or b"").decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"inbound request {self.id} ({self.status.value})"
