"""The e-mail channel wired into the app: intake settings from the config, taking a raw
message in (SMTP server, HTTP endpoint, CLI), and the default mail templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from triggers.email import intake
from triggers.email.people import domain_of
from triggers.email.settings import IntakeSettings
from triggers.email.smtpd import IntakeHandler, IntakeServer, Receipt
from webapp.extensions import db
from webapp.models import InboundMail, MailTemplate, SupportAddress


def intake_settings(app: Flask) -> IntakeSettings:
    return IntakeSettings.from_config(app.config)


def receipt(row: InboundMail) -> Receipt:
    return Receipt(row.id, row.status.value, row.reason)


def receive_mail(app: Flask, raw: bytes, *, source: str, envelope_from: str | None = None,
                 envelope_to: Sequence[str] = (), peer: str | None = None) -> Receipt:
    """Store and process one raw message in an app context of its own."""
    with app.app_context():
        try:
            row = intake.receive(db.session, raw, intake_settings(app), source=source,
                                 envelope_from=envelope_from, envelope_to=envelope_to,
                                 peer=peer)
            return receipt(row)
        finally:
            db.session.remove()


def accepts_recipient(session: Session, address: str) -> bool:
    """SMTP RCPT TO: a support address, or any address at a support address's domain (kept
    as rejected mail, for an admin to route); anything while none is configured."""
    address = address.strip().strip("<>").lower()
    addresses = list(session.scalars(select(SupportAddress.address)))
    if not addresses:
        return True
    return address in addresses or domain_of(address) in {domain_of(a) for a in addresses}


def smtp_server(app: Flask, host: str | None = None, port: int | None = None,
                workers: int | None = None) -> IntakeServer:
    """The intake SMTP server for ``app`` (not started)."""

    def deliver(raw: bytes, mail_from: str | None, rcpt_tos: list[str],
                peer: str | None) -> Receipt:
        return receive_mail(app, raw, source="smtp", envelope_from=mail_from,
                            envelope_to=rcpt_tos, peer=peer)

    def accepts(address: str) -> bool:
        with app.app_context():
            try:
                return accepts_recipient(db.session, address)
            finally:
                db.session.remove()

    sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    handler = IntakeHandler(deliver, accepts, workers=workers or (1 if sqlite else 4))
    return IntakeServer(handler, host or app.config["SMTPD_HOST"],
                        app.config["SMTPD_PORT"] if port is None else port,
                        app.config["MAIL_MAX_BYTES"])


def process_backlog(app: Flask) -> int:
    """Process mail stored but not processed before the last stop."""
    with app.app_context():
        try:
            return intake.process_pending(db.session, intake_settings(app))
        finally:
            db.session.remove()


# ---------------------------------------------------------------- default templates


def ensure_mail_templates(session: Session) -> None:
    """The shipped templates, created once per event type (admins edit them afterwards)."""
    from hub.actions.mail import DEFAULT_TEMPLATES

    existing = set(session.scalars(select(MailTemplate.event_type)))
    for event_type, spec in DEFAULT_TEMPLATES.items():
        if event_type not in existing:
            session.add(MailTemplate(event_type=event_type, **spec))
    session.commit()


def register_mail(appbuilder: Any) -> None:
    """The screens and REST APIs of the e-mail channel (called by the app factory)."""
    from webapp.api.mail import register_mail_apis
    from webapp.views.mail import register_mail_views

    register_mail_views(appbuilder)
    register_mail_apis(appbuilder)
