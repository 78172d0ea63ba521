"""Every real-world sample in ../shared/data/mail/ goes through the intake without a crash:
a ticket or reply, or kept as ignored/rejected mail with the reason. And talon's replies,
sent as replies to a ticket, are stored without their quotation."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from tests.triggers.email.conftest import MAIL_DATA, Desk, corpus, mail
from triggers.email.parse import parse_message
from webapp.content.html import html_to_text
from webapp.models import (
    Customer,
    InboundMail,
    InboundStatus,
    Item,
    MailDirection,
    MailMessage,
    utcnow,
)

_SPACE = re.compile(r"\s")
# The HTML part of two samples words the reply differently from the text part talon's
# expectation is about: outlook.eml's says "Allo! Follow up MIME!", sparrow.eml's signature
# links "Sparrow" instead of printing the URL.
HTML_PART_SAYS = {"outlook.eml": "Allo! Follow up MIME!",
                  "sparrow.eml": "Hello\n\n--\nxxx\nSent with Sparrow"}


def test_every_sample_is_stored_and_placed_or_kept_with_a_reason(desk: Desk, capsys) -> None:
    paths = corpus()
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for path in paths:
        raw = path.read_bytes()
        row = desk.receive(raw, envelope_to=["support@desk.example"])
        assert row.raw == raw, path.name  # kept byte for byte
        assert row.status in (InboundStatus.TICKET, InboundStatus.REPLY, InboundStatus.IGNORED,
                              InboundStatus.REJECTED), path.name
        outcomes[row.status.value] += 1
        if row.status in (InboundStatus.TICKET, InboundStatus.REPLY):
            assert row.item_id and row.message_id, path.name
        else:
            assert row.reason, path.name
            reasons[row.reason.split(" (")[0].split(":")[0]] += 1
    with capsys.disabled():
        print(f"\nmail corpus ({desk.app.config['TEST_BACKEND']}): {len(paths)} samples → "
              f"{dict(outcomes)}; kept because: {dict(reasons)}")
    session = desk.make.session
    assert session.query(InboundMail).count() == len(paths)
    assert outcomes["ticket"] + outcomes["reply"] >= 45
    assert sum(outcomes.values()) == len(paths)


def _follow(desk: Desk, item_id: int, raw: bytes) -> None:
    """Only people who may see a ticket thread into it: each replier follows it first."""
    session = desk.make.session
    email = parse_message(raw).sender.email
    customer = session.scalar(select(Customer).where(Customer.email == email)) \
        or desk.make.customer(email)
    item = session.get(Item, item_id)
    if customer.id != item.requester_id and customer not in item.follower_customers:
        item.follower_customers.append(customer)
        session.commit()


def test_talon_replies_are_stored_without_the_quotation(desk: Desk, capsys) -> None:
    """Each reply, as received (HTML preferred), threaded into a ticket by In-Reply-To."""
    session = desk.make.session
    item_id = desk.receive(mail(subject="Test")).item_id
    session.add(MailMessage(rfc_message_id="relaydesk.talon@desk.example", item_id=item_id,
                            direction=MailDirection.OUT, created_at=utcnow()))
    session.commit()
    results = {}
    for path in sorted((MAIL_DATA / "talon" / "standard_replies").glob("*.eml")):
        raw = b"In-Reply-To: <relaydesk.talon@desk.example>\r\n" + path.read_bytes()
        _follow(desk, item_id, raw)
        row = desk.receive(raw)
        assert (row.status, row.item_id) == (InboundStatus.REPLY, item_id), path.name
        expected_file = path.with_name(path.stem + "_reply_text")
        expected = expected_file.read_text() if expected_file.exists() else "Hello"
        expected = HTML_PART_SAYS.get(path.name, expected)
        stored = html_to_text(row.message.body_html)
        results[path.name] = _SPACE.sub("", stored) == _SPACE.sub("", expected)
    matched = sum(results.values())
    with capsys.disabled():
        print(f"\ntalon replies through the intake (HTML part preferred): {matched}/"
              f"{len(results)}; different: {[n for n, ok in results.items() if not ok]}")
    assert [name for name, ok in results.items() if not ok] == []
    assert session.scalar(select(Item.id).where(Item.id != item_id)) is None
