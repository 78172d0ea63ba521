"""Connections to external systems (credentials encrypted at rest), what we know of their
objects (external links), the journal of calls made once, and billing runs.

Credentials are a JSON object encrypted with Fernet under ``CONNECTION_KEY`` (comma-separated
keys: the first encrypts, every one decrypts, so keys can be rotated). When no key is
configured, one is generated once into ``<DATA_DIR>/connection.key`` (the embedded default);
every process of an installation must share it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.automation import Delivery
from webapp.models.base import Model, TimestampMixin, utcnow
from webapp.models.events import BigId
from webapp.models.people import Organization
from webapp.models.workflow import StoredStrEnum, _str_enum

KEY_FILE = "connection.key"
log = logging.getLogger(__name__)


class CredentialsError(Exception):
    """Credentials that cannot be read with the configured key."""


def _key_from_file(path: Path) -> bytes:
    """The installation's generated key, created on first use (race-free across processes)."""
    # Imported here: the package webapp.security loads FAB's security manager, which needs
    # every model mapped first.
    from webapp.security.key_file import KeyFileError, read_or_create

    try:
        key, created = read_or_create(path, Fernet.generate_key)
    except KeyFileError as exc:
        raise CredentialsError(f"{exc}; delete it or set CONNECTION_KEY") from None
    if not created:
        return key
    log.warning("generated the key that encrypts connection credentials; every process of "
                "this installation must share it (or set CONNECTION_KEY)",
                extra={"path": str(path)})
    return key


def connection_cipher(key_setting: str | None, data_dir: str) -> MultiFernet:
    """The cipher for connection credentials: ``CONNECTION_KEY`` (comma-separated Fernet
    keys, newest first), else the key generated into the data folder."""
    keys = [k.strip() for k in (key_setting or "").split(",") if k.strip()]
    raw = [k.encode() for k in keys] or [_key_from_file(Path(data_dir) / KEY_FILE)]
    try:
        return MultiFernet([Fernet(k) for k in raw])
    except (ValueError, TypeError) as exc:
        raise CredentialsError("CONNECTION_KEY must be Fernet keys (32 url-safe base64 bytes, "
                               "as `python -c 'from cryptography.fernet import Fernet; "
                               "print(Fernet.generate_key().decode())'` prints), "
                               "separated by commas") from exc


class Connection(TimestampMixin, Model):
    """Credentials for one account at one vendor; recipes' connector actions name it."""

    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    connector: Mapped[str] = mapped_column(String(40), nullable=False)
    # The vendor's API root; empty: the connector's own (tests point it at a local server).
    base_url: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Fernet token of the credentials' JSON: never shown, never returned by an API.
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    # Which credentials are set (names only), to show without decrypting.
    credential_names: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    # The shared rate budget (database backend): no call before this time (naive UTC).
    paused_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    notes: Mapped[str | None] = mapped_column(Text)

    def set_credentials(self, values: dict[str, Any], cipher: MultiFernet) -> None:
        clean = {key: str(value) for key, value in values.items()
                 if value is not None and str(value) != ""}
        self.credentials_encrypted = cipher.encrypt(json.dumps(clean).encode()).decode()
        self.credential_names = sorted(clean)

    def credentials(self, cipher: MultiFernet) -> dict[str, str]:
        if not self.credentials_encrypted:
            return {}
        try:
            data = json.loads(cipher.decrypt(self.credentials_encrypted.encode()))
        except InvalidToken as exc:
            raise CredentialsError(f"the credentials of connection {self.name!r} cannot be "
                                   "decrypted with the configured CONNECTION_KEY") from exc
        return {str(k): str(v) for k, v in data.items()}

    def __repr__(self) -> str:
        return self.name


class ExternalLink(TimestampMixin, Model):
    """Which vendor object one of our rows is (an organization's Stripe customer, a
    customer's HubSpot contact, a ticket's HubSpot ticket), per connection."""

    __tablename__ = "external_link"
    __table_args__ = (UniqueConstraint("connection_id", "local_type", "local_id", "remote_type",
                                       name="uq_external_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), nullable=False, index=True)
    local_type: Mapped[str] = mapped_column(String(40), nullable=False)  # organization, …
    local_id: Mapped[int] = mapped_column(Integer, nullable=False)
    remote_type: Mapped[str] = mapped_column(String(40), nullable=False)  # customer, contact, …
    remote_id: Mapped[str] = mapped_column(String(255), nullable=False)

    connection: Mapped[Connection] = relationship()

    def __repr__(self) -> str:
        return f"{self.local_type} {self.local_id} → {self.remote_type} {self.remote_id}"


class ConnectorCall(Model):
    """The journal of vendor calls that must happen once per delivery: the idempotency key is
    written (and committed) before the call, the vendor's answer after it. Retries and
    replays of the delivery send the same key, or reuse the answer."""

    __tablename__ = "connector_call"
    __table_args__ = (UniqueConstraint("delivery_id", "step", name="uq_connector_call_step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("delivery.id", ondelete="CASCADE"), nullable=False, index=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL"), index=True)
    step: Mapped[str] = mapped_column(String(120), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"{self.step} ({self.idempotency_key})"


class BillingStatus(StoredStrEnum):
    PLANNED = "planned"  # hours reserved, invoice not finished yet
    INVOICED = "invoiced"
    RELEASED = "released"  # gave up before anything was billed; hours free again


class BillingRun(TimestampMixin, Model):
    """One invoice of an organization's hours, planned (and its hours reserved) before Stripe
    is called, so every attempt of the delivery bills exactly the same lines."""

    __tablename__ = "billing_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("delivery.id", ondelete="SET NULL"), unique=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    status: Mapped[BillingStatus] = mapped_column(
        _str_enum(BillingStatus, "billing_status"), default=BillingStatus.PLANNED,
        nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total_minor: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The invoice lines as sent to the connector (same on every attempt).
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255))
    invoice_url: Mapped[str | None] = mapped_column(String(1000))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organization: Mapped[Organization | None] = relationship()
    connection: Mapped[Connection | None] = relationship()
    delivery: Mapped[Delivery | None] = relationship()
    reserved: Mapped[list[BillingLine]] = relationship(
        back_populates="run", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"billing run {self.id} ({self.status.value})"


class BillingLine(Model):
    """A timesheet entry reserved by a billing run; unique, so no entry is billed twice."""

    __tablename__ = "billing_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    billing_run_id: Mapped[int] = mapped_column(
        ForeignKey("billing_run.id", ondelete="CASCADE"), nullable=False, index=True)
    timesheet_id: Mapped[int] = mapped_column(
        ForeignKey("timesheet.id", ondelete="CASCADE"), nullable=False, unique=True)

    run: Mapped[BillingRun] = relationship(back_populates="reserved")
