"""Fixtures for the e-mail channel: the sample corpus, a support desk (project + support
address), the SMTP intake server on the test app, a real SMTP sink for outgoing mail, and
running the hub's ledger in this process (for tests of the notification action)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import SHARED_DATA
from tests.factories import Factory
from tests.hub.conftest import SmtpSink, free_port
from webapp.access.scope import SYSTEM
from webapp.commands.write_check import check_write
from webapp.models import Event, ItemType, Project, SupportAddress, Team

MAIL_DATA = SHARED_DATA / "mail"
SUPPORT = "support@desk.example"
BILLING = "billing@desk.example"


def sample(relative: str) -> bytes:
    return (MAIL_DATA / relative).read_bytes()


def corpus() -> list[Path]:
    """Every real-world sample: Zammad's parser corpus, mail-parser's, talon's replies."""
    return sorted([*MAIL_DATA.glob("zammad/*.box"), *MAIL_DATA.glob("mail-parser/*.eml"),
                   *MAIL_DATA.glob("talon/**/*.eml")])


def mail(sender: str = "Maria Souza <maria@acme.example>", to: str = SUPPORT,
         subject: str = "Printer on fire", body: str = "It is on fire.\n",
         **headers: str) -> bytes:
    """A plain mail; header names from keywords (``In_Reply_To`` → ``In-Reply-To``)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes(policy=SMTP_POLICY)  # CRLF, as it travels


@dataclass
class Desk:
    """A project with support@ (catch-all) and billing@ addresses."""

    app: Flask
    make: Factory
    team: Team
    project: Project
    billing_project: Project
    support: SupportAddress
    billing: SupportAddress

    def receive(self, raw: bytes, **kw: Any) -> Any:
        """Intake as the SMTP server does (store, then process); returns the row."""
        from webapp.mail import receive_mail
        from webapp.models import InboundMail

        kw.setdefault("source", "smtp")
        receipt = receive_mail(self.app, raw, **kw)
        self.make.session.expire_all()
        return self.make.session.get(InboundMail, receipt.inbound_mail_id)


def support_address(make: Factory, address: str, project: Project, type_name: str = "Ticket",
                    **kw: Any) -> SupportAddress:
    item_type = make.session.scalars(select(ItemType).where(ItemType.name == type_name)).one()
    row = SupportAddress(address=address, project_id=project.id, item_type_id=item_type.id, **kw)
    check_write(make.session, row, SYSTEM, is_new=True)
    make.session.commit()
    return row


@pytest.fixture
def desk(app: Flask, make: Factory) -> Desk:
    team = make.team()
    project = make.project([team], name="Support")
    billing_project = make.project([team], name="Billing")
    support = support_address(make, SUPPORT, project, is_default=True, name="Desk Support",
                              signature="-- The Desk team")
    billing = support_address(make, BILLING, billing_project, "Bug")
    return Desk(app, make, team, project, billing_project, support, billing)


# ---------------------------------------------------------------- SMTP both ways


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def sink(mail_sink: SmtpSink) -> Iterator[SmtpSink]:
    mail_sink.clear()
    yield mail_sink
    mail_sink.clear()


@pytest.fixture
def intake_server(app: Flask) -> Iterator[Any]:
    from webapp.mail import smtp_server

    server = smtp_server(app, "127.0.0.1", free_port()).start()
    yield server
    server.stop()


def smtp_send(port: int, raw: bytes, sender: str = "maria@acme.example",
              recipients: tuple[str, ...] = (SUPPORT,)) -> tuple[int, bytes]:
    """Send ``raw`` with smtplib; returns the server's reply to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail(sender)
        for rcpt in recipients:
            code, text = client.rcpt(rcpt)
            assert code == 250, (rcpt, code, text)
        return client.data(raw)


# ---------------------------------------------------------------- the hub, in this process


def run_hub(app: Flask, sink: SmtpSink, rounds: int = 5, **settings: Any) -> None:
    """Match every unprocessed event and run what is due, until nothing is left, with the
    outgoing mail going to ``sink`` (the worker's loop, done here and now)."""
    from hub import work
    from webapp.automation import app_runtime
    from webapp.extensions import db

    rt = app_runtime(app)
    extra = {**rt.settings.extra, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port, **settings}
    rt = replace(rt, settings=replace(rt.settings, extra=extra))
    for _ in range(rounds):
        with app.app_context():
            ids = list(db.session.scalars(select(Event.id).where(
                Event.processed_at.is_(None)).order_by(Event.id)))
            db.session.remove()
        if not ids:
            return
        work.process_events(ids, rt)
        work.run_due_deliveries(rt)
