"""The e-mail channel end to end, with real SMTP both ways and real RQ workers:

new ticket by SMTP → acknowledgement at the sink → agent reply (API) → notification at the
sink → the customer answers it by SMTP (In-Reply-To) → threads into the same ticket →
the follower is notified; and an auto-reply to the acknowledgement creates and sends nothing.

The app runs on a PostgreSQL database of its own with REDIS_URL set (its commits enqueue to
RQ, on a Redis database of its own); the engine is ``relaydesk worker`` as a subprocess,
started with the helpers of tests/hub/conftest.py.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import func, select

from tests.conftest import _create_pg_database, _drop_pg_database, build_app, reset_database
from tests.factories import ApiClient, Factory, quick_user
from tests.hub.conftest import HUB_SETTINGS, REDIS_BASE, Hub, SmtpSink, free_port
from tests.triggers.email.conftest import SUPPORT, mail, smtp_send, support_address
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    InboundMail,
    InboundStatus,
    Item,
    Message,
)

MAIL_REDIS_DB = int(os.environ.get("TEST_MAIL_REDIS_DB", "13"))
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def mail_hub(tmp_path_factory: pytest.TempPathFactory, mail_sink: SmtpSink) -> Iterator[Hub]:
    from webapp.extensions import db
    from webapp.mail import smtp_server

    data_dir = tmp_path_factory.mktemp("data-mail-hub")
    pg_name, url = _create_pg_database()
    redis_url = f"{REDIS_BASE}/{MAIL_REDIS_DB}"
    Redis.from_url(redis_url).flushdb()
    app = build_app(url, data_dir, REDIS_URL=redis_url, SMTP_HOST="127.0.0.1",
                    SMTP_PORT=mail_sink.port, **HUB_SETTINGS)
    app.config["TEST_BACKEND"] = "postgresql"
    hub = Hub(app, redis_url, url, data_dir, mail_sink)
    server = smtp_server(app, "127.0.0.1", free_port()).start()
    hub.intake_port = server.port  # type: ignore[attr-defined]
    try:
        yield hub
    finally:
        server.stop()
        hub.stop_processes()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        hub.flush_redis()
        _drop_pg_database(pg_name)


@pytest.fixture
def hub(mail_hub: Hub) -> Iterator[Hub]:
    mail_hub.flush_redis()
    mail_hub.smtp.clear()
    yield mail_hub
    mail_hub.stop_processes()
    mail_hub.flush_redis()
    mail_hub.smtp.clear()
    reset_database(mail_hub.app)


def _wait(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def _mails_to(sink: SmtpSink, address: str) -> list[Any]:
    return [m for m, rcpts in zip(sink.messages, sink.recipients, strict=True)
            if address in rcpts]


def _settled(hub: Hub) -> bool:
    """Every event matched and no delivery left to run."""
    def check(session: Any) -> bool:
        open_events = session.scalar(select(func.count()).select_from(Event).where(
            Event.processed_at.is_(None)))
        open_deliveries = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.RUNNING,
                                 DeliveryStatus.FAILED))))
        return open_events == 0 and open_deliveries == 0
    return hub.read(check)


def _stored(hub: Hub, reply: bytes) -> InboundMail:
    inbound_id = int(re.search(rb"inbound mail (\d+)", reply).group(1))
    return hub.read(lambda s: s.get(InboundMail, inbound_id))


def test_ticket_ack_reply_customer_answer_and_follower_by_smtp(hub: Hub) -> None:
    sink, port = hub.smtp, hub.intake_port  # type: ignore[attr-defined]
    with hub.app.app_context():
        make = Factory(hub.app)
        team = make.team("Desk")
        agent = quick_user(make, "Agent", [team], name="alice").username
        project = make.project([team], name="Support")
        support_address(make, SUPPORT, project, is_default=True, name="Desk Support")
        make.session.remove()
    hub.start_worker()

    # 1. A customer writes in, copying her boss.
    code, reply = smtp_send(port, mail(Cc="Boss <boss@acme.example>"))
    assert code == 250 and reply.endswith(b"(ticket)")
    ticket = _stored(hub, reply).item_id

    # 2. The acknowledgement arrives (to her only), carrying the ticket reference.
    [ack] = _wait("the acknowledgement", lambda: _mails_to(sink, "maria@acme.example"))
    assert f"[#{ticket}]" in ack["Subject"] and ack["Auto-Submitted"] == "auto-generated"
    assert _mails_to(sink, "boss@acme.example") == []

    # 3. An agent answers through the API; requester and follower are notified.
    api = ApiClient(hub.app.test_client(), agent)
    answer = api.post("/api/v1/message/", json={
        "item": ticket, "is_public": True, "body_html": "<p>Unplug it for a minute.</p>"})
    assert answer.status_code == 201, answer.get_json()
    assert api.post("/api/v1/message/", json={
        "item": ticket, "is_public": False, "body_html": "<p>internal only</p>"}
    ).status_code == 201
    notified = _wait("the reply notifications", lambda: len(_mails_to(
        sink, "maria@acme.example")) == 2 and _mails_to(sink, "boss@acme.example"))
    to_maria = _mails_to(sink, "maria@acme.example")[1]
    assert to_maria["Subject"] == f"Re: Printer on fire [#{ticket}]"
    assert "Unplug it for a minute." in to_maria.get_body(("plain",)).get_content()
    assert "internal only" not in str([m.as_string() for m in sink.messages])
    assert len(notified) == 1

    # 4. She answers the notification from her mail client (quoting it).
    answer_text = ("Done, it works again!\n\nOn Tue, 3 Dec 2024 at 09:00, Desk Support "
                   f"<{SUPPORT}> wrote:\n> Unplug it for a minute.\n> Regards\n")
    code, reply = smtp_send(port, mail(subject=f"Re: Printer on fire [#{ticket}]",
                                       body=answer_text,
                                       In_Reply_To=to_maria["Message-ID"],
                                       References=f"{ack['Message-ID']} "
                                                  f"{to_maria['Message-ID']}"))
    assert code == 250 and reply.endswith(b"(reply)")
    answered = _stored(hub, reply)
    assert answered.item_id == ticket and answered.reason.startswith("threaded by in-reply-to")

    # 5. It is on the same ticket, without the quote; the follower hears of it.
    to_boss = _wait("the follower's notification",
                    lambda: len(_mails_to(sink, "boss@acme.example")) == 2 and
                    _mails_to(sink, "boss@acme.example"))
    assert "Done, it works again!" in to_boss[1].get_body(("plain",)).get_content()
    assert hub.read(lambda s: s.scalar(select(func.count()).select_from(Item))) == 1
    bodies = hub.read(lambda s: [m.body_html for m in s.scalars(select(Message).where(
        Message.item_id == ticket, Message.is_public.is_(True)).order_by(Message.id))])
    assert bodies[-1] == "<p>Done, it works again!</p>"
    _wait("the engine to settle", lambda: _settled(hub))
    assert len(_mails_to(sink, "maria@acme.example")) == 2  # not told of her own answer


def test_an_auto_reply_to_the_acknowledgement_creates_and_sends_nothing(hub: Hub) -> None:
    sink, port = hub.smtp, hub.intake_port  # type: ignore[attr-defined]
    with hub.app.app_context():
        make = Factory(hub.app)
        support_address(make, SUPPORT, make.project(name="Support"), is_default=True)
        make.session.remove()
    hub.start_worker()
    code, reply = smtp_send(port, mail())
    ticket = _stored(hub, reply).item_id
    [ack] = _wait("the acknowledgement", lambda: _mails_to(sink, "maria@acme.example"))
    _wait("the engine to settle", lambda: _settled(hub))
    counts = hub.read(lambda s: (s.scalar(select(func.count()).select_from(Item)),
                                 s.scalar(select(func.count()).select_from(Message)),
                                 s.scalar(select(func.count()).select_from(Event))))

    away = mail(subject=f"Automatic reply: {ack['Subject']}", body="I am on holiday.",
                In_Reply_To=ack["Message-ID"], Auto_Submitted="auto-replied",
                X_Autoreply="yes")
    code, reply = smtp_send(port, away)
    assert code == 250 and reply.endswith(b"(ignored)")
    kept = _stored(hub, reply)
    assert kept.status == InboundStatus.IGNORED and kept.item_id == ticket
    assert "Auto-Submitted: auto-replied" in kept.reason
    # A robot without the headers, answering from our own address: a loop, also kept.
    code, reply = smtp_send(port, mail(sender=f"Desk <{SUPPORT}>", subject="Re: Re: Re:"))
    assert reply.endswith(b"(ignored)") and "own address" in _stored(hub, reply).reason
    time.sleep(1.0)  # give a (wrong) notification the time to go out
    _wait("the engine to settle", lambda: _settled(hub))
    assert hub.read(lambda s: (s.scalar(select(func.count()).select_from(Item)),
                               s.scalar(select(func.count()).select_from(Message)),
                               s.scalar(select(func.count()).select_from(Event)))) == counts
    assert len(sink.messages) == 1  # still only the acknowledgement
