"""The SMTP intake over real SMTP (smtplib → aiosmtpd): stored before the 250, recipients
that are not ours refused, oversize refused, 451 when it cannot store (the sender retries),
bounces with a null sender kept as ignored; and ``relaydesk smtpd`` as a user runs it."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.hub.conftest import free_port
from tests.triggers.email.conftest import SUPPORT, Desk, mail, smtp_send
from webapp.models import InboundMail, InboundStatus, Item

REPO = Path(__file__).resolve().parents[3]


def test_mail_over_smtp_becomes_a_ticket(desk: Desk, intake_server) -> None:
    raw = mail(subject="Sent over SMTP")
    code, reply = smtp_send(intake_server.port, raw)
    assert code == 250
    desk.make.session.expire_all()
    row = desk.make.session.scalars(select(InboundMail)).one()
    assert reply.decode() == f"2.0.0 Stored as inbound mail {row.id} (ticket)"
    assert row.raw == raw and row.envelope_to == [SUPPORT]
    assert row.envelope_from == "maria@acme.example" and row.peer == "127.0.0.1"
    assert row.item.title == "Sent over SMTP"


def test_recipients_sizes_and_bounces(desk: Desk, intake_server, monkeypatch) -> None:
    with smtplib.SMTP("127.0.0.1", intake_server.port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail("maria@acme.example")
        code, text = client.rcpt("someone@elsewhere.example")
        assert code == 550 and b"not a support address" in text
        assert client.rcpt("typo@desk.example")[0] == 250  # our domain: kept for an admin
        client.rset()
    code, _ = smtp_send(intake_server.port, mail(subject="Undeliverable"), sender="<>")
    assert code == 250
    desk.make.session.expire_all()
    bounce = desk.make.session.scalars(select(InboundMail)).one()
    assert bounce.status == InboundStatus.IGNORED and "empty envelope sender" in bounce.reason
    assert desk.make.session.scalar(select(Item.id)) is None

    from webapp.mail import smtp_server

    monkeypatch.setitem(desk.app.config, "MAIL_MAX_BYTES", 2000)
    small = smtp_server(desk.app, "127.0.0.1", free_port()).start()
    try:
        code, text = smtp_send(small.port, mail(body="x" * 5000))
        assert code == 552, text
    finally:
        small.stop()


def test_storage_failure_answers_451_so_the_sender_retries(desk: Desk, intake_server,
                                                           monkeypatch) -> None:
    import webapp.mail

    def database_down(*args, **kwargs):
        raise OSError("connection to the database lost")

    with monkeypatch.context() as patch:
        patch.setattr(webapp.mail, "receive_mail", database_down)
        code, text = smtp_send(intake_server.port, mail())
        assert code == 451 and b"try again later" in text
    assert smtp_send(intake_server.port, mail())[0] == 250  # the retry is stored


@pytest.mark.timeout(120)
def test_relaydesk_smtpd_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    port = free_port()
    env.update(RELAYDESK_DATA_DIR=str(tmp_path), LOG_LEVEL="WARNING", SMTPD_PORT=str(port),
               HUB_INPROCESS_RUNNER="false", PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "webapp.cli"]
    upgraded = subprocess.run(command + ["db", "upgrade"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    server = subprocess.Popen(command + ["smtpd"], env=env, cwd=REPO, text=True,
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        banner = server.stderr.readline()
        assert f"mail intake listening on 127.0.0.1:{port}" in banner, banner
        code, reply = smtp_send(port, mail(), recipients=("help@anything.example",))
        assert (code, reply) == (250, b"2.0.0 Stored as inbound mail 1 (rejected)")
    finally:
        server.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0


def test_concurrent_mail_from_a_new_company_makes_one_organization(desk: Desk,
                                                                   intake_server) -> None:
    """Four connections at once (four intake threads on PostgreSQL): the first mail creates
    the organization, the others, refused by its unique name, retry and join it."""
    import threading

    from webapp.models import Organization

    replies: list[bytes] = []

    def client(n: int) -> None:
        for k in range(3):
            sender = f"person{n}.{k}@newco.example"
            replies.append(smtp_send(intake_server.port, mail(sender=sender,
                                                              subject=f"{n}.{k}"),
                                     sender=sender)[1])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 12 and all(r.endswith(b"(ticket)") for r in replies), replies
    desk.make.session.expire_all()
    assert [o.name for o in desk.make.session.scalars(select(Organization))] == [
        "newco.example"]
