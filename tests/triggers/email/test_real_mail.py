"""Issue 18's classes of real-world mail, each on real mails from public repositories
(tests/data/mail/real/SOURCES.md): parsing, automatic mail, duplicates, and what the sender
is told. Parsing and classifying are pure; the intake cases run against the database."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.triggers.email.conftest import SUPPORT, Desk, run_hub
from triggers.email.loops import classify
from triggers.email.parse import ParsedMail, parse_message
from webapp.models import Attachment, Event, InboundStatus, Item, Message

REAL = Path(__file__).resolve().parents[2] / "data" / "mail" / "real"


def _idna(domain: str) -> str:
    return domain.encode("idna").decode("ascii")


def real(relative: str) -> bytes:
    return (REAL / relative).read_bytes()


def verdict(parsed: ParsedMail):  # noqa: ANN201 - a Verdict
    return classify(parsed.headers, subject=parsed.subject,
                    sender=parsed.sender.email if parsed.sender else None,
                    content_type=parsed.top_content_type, message_id=parsed.message_id,
                    part_types=parsed.part_types, text=parsed.text,
                    raw_from=parsed.header("from"))


# ---------------------------------------------------------------- parsing (1–8)


def test_1_a_fold_before_an_encoded_word_keeps_its_space() -> None:
    parsed = parse_message(real("bounces/lhost-domino-02.eml"))
    assert parsed.subject.startswith("DELIVERY FAILURE: ユーザー Neko (kijitora@example.co.jp) ")


def test_2_and_3_rfc6532_utf8_headers() -> None:
    parsed = parse_message(real("parse/mikel-rfc6532-utf8_headers.eml"))
    assert parsed.sender is not None
    # The domain as its IDNA A-label: the same mailbox, in the form DNS and relays read.
    assert (parsed.sender.email, parsed.sender.name) == (f"jdöe@{_idna('mächine.example')}",
                                                         "Jöhn Doe")
    assert parsed.subject == "Säying Hello"
    assert [(a.email, a.name) for a in parsed.to] == [(f"märy@{_idna('exämple.net')}",
                                                        "Märy Smith")]


def test_3_raw_8bit_headers_in_utf8_and_latin1() -> None:
    assert parse_message(real("bounces/lhost-kddi-01.eml")).subject == "メールエラー通知"
    latin1 = parse_message(real("parse/mikel-invalid_subject_characters.eml"))
    assert latin1.subject.startswith("Formação FrenetikPolis: Mega Campanha Final Verão")
    assert latin1.sender is not None and latin1.sender.name == "Formação Frenetikpolis"


def test_4_unquoted_file_names() -> None:
    encoded = parse_message(real("parse/mikel-attachment_with_base64_encoded_name.eml"))
    assert [a.filename for a in encoded.attachments] == ["This is a test.pdf"]
    spaces = parse_message(real("parse/mikel-attachment_with_unquoted_name.eml"))
    assert [a.filename for a in spaces.attachments] == ["This is a test.txt"]


def _outlook_mail(tnef: bytes) -> bytes:
    """A mail as Outlook sends rich text: a text part and the winmail.dat."""
    message = EmailMessage()
    message["From"], message["To"] = "Peter Pariv <peter@pariv.example>", SUPPORT
    message["Subject"] = "Unterlagen"
    message.set_content("Anbei die Unterlagen.")
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef",
                           filename="winmail.dat")
    return message.as_bytes(policy=SMTP)


def test_5_files_inside_winmail_dat_are_offered_and_the_original_kept() -> None:
    two = parse_message(_outlook_mail(real("tnef/two-files.tnef")))
    assert [a.filename for a in two.attachments] == ["winmail.dat", "AUTHORS", "README"]
    umlaut = parse_message(_outlook_mail(real("tnef/umlaut.tnef")))
    names = [a.filename for a in umlaut.attachments]
    assert names[0] == "winmail.dat" and "UmlautAnhang-äüö.txt" in names
    text = next(a for a in umlaut.attachments if a.filename == "UmlautAnhang-äüö.txt")
    assert text.content_type == "text/plain" and text.data
    # A real winmail.dat holding only a body: kept, nothing invented.
    workmail = parse_message(real("bounces/lhost-amazonworkmail-01.eml"))
    assert [a.filename for a in workmail.attachments if "winmail" in a.filename] == \
        ["winmail.dat"]


def test_6_a_first_header_line_that_starts_with_a_space() -> None:
    parsed = parse_message(b" " + real("parse/mikel-rfc2822-example01.eml"))
    assert parsed.sender is not None and parsed.sender.email == "jdoe@machine.example"
    assert parsed.subject == "Saying Hello"


def test_7_text_before_html_is_kept() -> None:
    parsed = parse_message(real("parse/zammad-mail068.box"))
    assert parsed.content_type == "text/html"
    # Zammad's expected body starts with the preamble, then the HTML's own "Contact form".
    assert re.sub(r"\s+", " ", parsed.text).startswith(
        "Contact form Odeslano dne: Čtvrtek 2. srpna 2018 16:58.28 Uzivatel: Jmeno: Peter "
        "E-mail: xxxxx@xxxxxx.cz Problem: jine Contact form")


def test_8_a_forwarded_message_is_shown_and_kept() -> None:
    parsed = parse_message(real("parse/mikel-attachment_message_rfc822.eml"))
    assert [a.filename for a in parsed.attachments] == ["ForwardedMessage.eml"]
    assert "---------- Forwarded message ----------" in parsed.text
    assert "From: Test Tester <xxxx@xxxx.com>" in parsed.text
    assert "Subject: Another PDF" in parsed.text
    assert "Just attaching another PDF" in parsed.text


# ---------------------------------------------------------------- automatic mail (10–12)


BOUNCES = sorted(p.name for p in (REAL / "bounces").glob("*.eml"))


@pytest.mark.parametrize("name", BOUNCES)
def test_10_11_every_stored_bounce_and_notice_is_automatic(name: str) -> None:
    found = verdict(parse_message(real(f"bounces/{name}")))
    assert found.automatic, name
    assert found.reason


@pytest.mark.parametrize("name", sorted(p.name for p in (REAL / "person").glob("*.eml")))
def test_12_people_are_people_even_at_role_addresses(name: str) -> None:
    assert not verdict(parse_message(real(f"person/{name}"))), name


def test_public_bounce_corpus() -> None:
    """All of sisimai's maildir/bsd (629 mails) when a checkout is named: every bounce and
    automatic notice is recognised; the one person's mail in it (a forwarded bounce, which
    a person sends to ask for help) stays a person's mail."""
    corpus = os.environ.get("RELAYDESK_BOUNCE_CORPUS")
    if not corpus:
        pytest.skip("set RELAYDESK_BOUNCE_CORPUS to sisimai/set-of-emails' maildir/bsd")
    people = {"lhost-sendmail-14.eml"}  # "Fwd: Returned mail", written by a person
    missed = [p.name for p in sorted(Path(corpus).glob("*.eml"))
              if p.name not in people and not verdict(parse_message(p.read_bytes()))]
    assert missed == []


# ---------------------------------------------------------------- the intake


def _events(desk: Desk, kind: str) -> list[Event]:
    desk.make.session.expire_all()
    return list(desk.make.session.scalars(select(Event).where(Event.type == kind)))


def test_11_a_bounce_without_a_usable_sender_is_ignored_not_rejected(desk: Desk) -> None:
    row = desk.receive(real("bounces/lhost-dragonfly-01.eml"), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.IGNORED, row.reason
    assert row.reason.startswith("a bounce") and "MAILER-DAEMON" in row.reason
    row = desk.receive(real("bounces/rfc3464-36.eml"), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.IGNORED, row.reason
    assert _events(desk, "mail.rejected") == []
    assert desk.make.session.scalar(select(Item.id)) is None


def test_12_postmaster_writing_as_a_person_gets_a_ticket(desk: Desk) -> None:
    row = desk.receive(real("person/nixos-mailserver-postmaster.eml"), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.TICKET, row.reason


def test_2_an_internationalized_sender_becomes_a_customer_and_is_answered(
        desk: Desk, utf8_relay) -> None:
    row = desk.receive(real("parse/mikel-rfc6532-utf8_headers.eml"), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.TICKET, row.reason
    item = desk.make.session.get(Item, row.item_id)
    address = f"jdöe@{_idna('mächine.example')}"
    assert item.requester.email == address
    assert item.requester.name == "Jöhn Doe" and item.title == "Säying Hello"
    run_hub(desk.app, utf8_relay)  # the acknowledgement goes out with SMTPUTF8 (RFC 6531)
    assert utf8_relay.recipients == [[address]]
    assert str(utf8_relay.messages[0]["To"]) == address


@pytest.fixture
def utf8_relay():  # noqa: ANN201 - an SmtpSink offering SMTPUTF8
    from aiosmtpd.controller import Controller

    from tests.hub.conftest import SmtpSink, free_port

    sink = SmtpSink(port=free_port())
    sink._controller = Controller(sink, hostname="127.0.0.1", port=sink.port,
                                  enable_SMTPUTF8=True)
    sink._controller.start()
    yield sink
    sink.stop()


def test_9_a_copy_is_one_mail_another_mail_under_the_same_id_is_not(desk: Desk) -> None:
    first = desk.receive(real("parse/mikel-rfc2822-example01.eml"), envelope_to=[SUPPORT])
    copy = desk.receive(real("parse/mikel-rfc2822-example09.eml"), envelope_to=[SUPPORT])
    assert first.status == InboundStatus.TICKET
    assert copy.status == InboundStatus.IGNORED and "same Message-ID" in copy.reason
    one = desk.receive(real("parse/mikel-attachment_content_disposition.eml"),
                       envelope_to=[SUPPORT])
    other = desk.receive(real("parse/mikel-attachment_nonascii_filename.eml"),
                         envelope_to=[SUPPORT])
    assert (one.status, other.status) == (InboundStatus.TICKET, InboundStatus.TICKET)
    assert one.item_id != other.item_id
    assert any("used before" in note for note in other.notes)


def test_13_15_the_acknowledgement_names_the_file_not_kept(desk: Desk, sink, monkeypatch
                                                            ) -> None:
    monkeypatch.setitem(desk.app.config, "ATTACHMENT_MAX_BYTES", 1000)
    raw = real("tnef/umlaut.tnef")  # a real 60 KB attachment, over the limit here
    message = EmailMessage()
    message["From"] = "Formação Frenetikpolis <info@formacaofrenetik.info>"
    message["To"] = SUPPORT
    # The subject of the real mail parse/mikel-invalid_subject_characters.eml.
    message["Subject"] = parse_message(real("parse/mikel-invalid_subject_characters.eml")
                                       ).subject
    message.set_content("Segue o anexo.")
    message.add_attachment(raw, maintype="application", subtype="ms-tnef",
                           filename="winmail.dat")
    row = desk.receive(message.as_bytes(policy=SMTP), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.TICKET
    run_hub(desk.app, sink)
    [ack] = sink.messages
    text = ack.get_body(("plain",)).get_content()
    assert "Not kept from your e-mail:" in text
    assert "'winmail.dat' (59 KiB) not kept: larger than the limit of 1,000 bytes" in text
    # 15: every header as decoders read it, without a leading space after the colon.
    raw_ack = ack.as_bytes(policy=SMTP)
    head = raw_ack.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?m)^[A-Za-z-]+:\r\n[ \t]", head), head
    assert str(ack["Subject"]).startswith("We received your request: Formação FrenetikPolis")


@pytest.fixture
def small_relay():  # noqa: ANN201 - an SmtpSink announcing SIZE 20000
    from aiosmtpd.controller import Controller

    from tests.hub.conftest import SmtpSink, free_port

    sink = SmtpSink(port=free_port())
    sink._controller = Controller(sink, hostname="127.0.0.1", port=sink.port,
                                  data_size_limit=20000)
    sink._controller.start()
    yield sink
    sink.stop()


def test_14_agent_reply_files_go_with_the_mail_within_the_relay_limit(
        desk: Desk, sink, small_relay) -> None:
    from tests.factories import ApiClient, quick_user, upload

    agent = quick_user(desk.make, "Agent", [desk.team], name="alice")
    row = desk.receive(real("person/is-not-bounce-01.eml"), envelope_to=[SUPPORT])
    assert row.status == InboundStatus.TICKET, row.reason
    run_hub(desk.app, sink)  # the acknowledgement
    api = ApiClient(desk.app.test_client(), agent.username)
    reply = api.post("/api/v1/message/", json={
        "item": row.item_id, "is_public": True, "body_html": "<p>Files attached.</p>"})
    assert reply.status_code == 201, reply.get_json()
    message_id = reply.get_json()["id"]
    tnef = real("tnef/umlaut.tnef")  # real files: a 3 KB one and a 60 KB one
    small = parse_message(_outlook_mail(real("tnef/two-files.tnef"))).attachments[2].data
    for name, content in (("README", small), ("winmail.dat", tnef)):
        response = upload(api, row.item_id, content, filename=name, message_id=message_id)
        assert response.status_code == 201, response.get_json()
    assert len(desk.make.session.scalars(select(Attachment).where(
        Attachment.message_id == message_id)).all()) == 2

    run_hub(desk.app, small_relay)  # the relay takes 20,000 bytes
    assert len(small_relay.messages) == 2  # the requester and the copied follower
    for sent in small_relay.messages:
        files = {p.get_filename(): p.get_content() for p in sent.iter_attachments()}
        assert files == {"README": small}
        text = sent.get_body(("plain",)).get_content()
        assert "Too large to send by e-mail" in text and "winmail.dat (59 KiB)" in text
        assert "/attachments/" in text or "in the portal" in text
    # Under a relay that takes them, every file goes with the mail.
    second = api.post("/api/v1/message/", json={
        "item": row.item_id, "is_public": True, "body_html": "<p>Again.</p>"})
    upload(api, row.item_id, tnef, filename="winmail.dat", message_id=second.get_json()["id"])
    sink.clear()
    run_hub(desk.app, sink)
    assert sink.messages and all(
        [p.get_filename() for p in m.iter_attachments()] == ["winmail.dat"]
        for m in sink.messages)
    assert desk.make.session.get(Message, message_id) is not None
