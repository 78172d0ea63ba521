"""The intake on both databases: raw first, then a ticket or a reply — people, organizations,
followers, threading, attachments, reopening — or kept as ignored/rejected with the reason,
never half-written."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import stored_files
from tests.triggers.email.conftest import BILLING, MAIL_DATA, SUPPORT, Desk, mail, sample
from webapp.models import (
    Attachment,
    Customer,
    Event,
    InboundStatus,
    Item,
    MailDirection,
    MailMessage,
    Message,
    Organization,
    OrganizationDomain,
    Status,
    utcnow,
)


def _count(desk: Desk, model: type) -> int:
    return desk.make.session.scalar(select(func.count()).select_from(model))


def _events(desk: Desk, item_id: int) -> list[Event]:
    return list(desk.make.session.scalars(select(Event).where(
        Event.subject_id == item_id, Event.subject_type == "item").order_by(Event.id)))


def _sent(desk: Desk, item: Item, message_id: str = "relaydesk.sent1@desk.example") -> str:
    """Pretend we mailed the item's requester (the Message-ID replies will quote)."""
    desk.make.session.add(MailMessage(rfc_message_id=message_id, direction=MailDirection.OUT,
                                      item_id=item.id, address="maria@acme.example",
                                      created_at=utcnow()))
    desk.make.session.commit()
    return message_id


def test_new_ticket_with_customer_organization_and_followers(desk: Desk) -> None:
    make = desk.make
    dana = make.user("Agent", name="dana")
    raw = mail(to=f"{SUPPORT}, Boss <boss@acme.example>",
               Cc=f"dana@staff.example, Desk <{SUPPORT}>, gus@gmail.com, {BILLING}")
    row = desk.receive(raw, envelope_to=[SUPPORT], envelope_from="maria@acme.example")

    assert (row.status, row.reason, row.raw, row.source) == (InboundStatus.TICKET, None, raw,
                                                            "smtp")
    item = row.item
    assert (item.title, item.kind.value, item.item_type.name) == ("Printer on fire", "ticket",
                                                                 "Ticket")
    assert item.project_id == desk.project.id and row.support_address_id == desk.support.id
    maria = item.requester
    assert (maria.email, maria.name) == ("maria@acme.example", "Maria Souza")
    assert maria.organization.name == "acme.example"
    assert [d.domain for d in maria.organization.domains] == ["acme.example"]
    assert sorted(c.email for c in item.follower_customers) == ["boss@acme.example",
                                                               "gus@gmail.com"]
    assert [u.username for u in item.follower_users] == [dana.username]  # staff on Cc
    boss, gus = sorted(item.follower_customers, key=lambda c: c.email)
    assert boss.organization_id == maria.organization_id
    assert gus.organization_id is None  # free mail never makes an organization
    [message] = make.session.scalars(select(Message).where(Message.item_id == item.id))
    assert (message.is_public, message.author_customer_id) == (True, maria.id)
    assert message.body_html == "<p>It is on fire.</p>"
    assert row.message_id == message.id
    indexed = make.session.scalars(select(MailMessage).where(MailMessage.item_id == item.id)).one()
    assert indexed.direction == MailDirection.IN and indexed.inbound_mail_id == row.id
    types = {e.type: e for e in _events(desk, item.id)}
    assert types["ticket.created"].actor_customer_id == maria.id
    assert types["mail.received"].data["acknowledge"] is True
    assert row.recipients == [SUPPORT, "boss@acme.example", "dana@staff.example", SUPPORT,
                              "gus@gmail.com", BILLING]


def test_address_decides_project_and_type(desk: Desk) -> None:
    row = desk.receive(mail(to=BILLING, subject="Invoice wrong"), envelope_to=[BILLING])
    assert row.item.project_id == desk.billing_project.id
    assert row.item.item_type.name == "Bug"


def test_known_domain_joins_its_organization(desk: Desk) -> None:
    acme = desk.make.organization("Acme Corp")
    desk.make.session.add(OrganizationDomain(organization_id=acme.id, domain="acme.example"))
    desk.make.session.commit()
    row = desk.receive(mail())
    assert row.item.requester.organization_id == acme.id
    assert _count(desk, Organization) == 1


def test_organization_settings(desk: Desk, monkeypatch) -> None:
    monkeypatch.setitem(desk.app.config, "MAIL_CREATE_ORGANIZATIONS", False)
    row = desk.receive(mail(sender="ana@newco.example"))
    assert row.item.requester.organization_id is None
    monkeypatch.setitem(desk.app.config, "MAIL_CREATE_ORGANIZATIONS", True)
    monkeypatch.setitem(desk.app.config, "MAIL_FREEMAIL_DOMAINS", "<built-in>, isp.example")
    row = desk.receive(mail(sender="leo@isp.example"))
    assert row.item.requester.organization_id is None
    monkeypatch.setitem(desk.app.config, "MAIL_NEVER_FOLLOW", "@partner.example")
    row = desk.receive(mail(sender="leo@isp.example", subject="again",
                            Cc="x@partner.example, y@other.example"))
    assert [c.email for c in row.item.follower_customers] == ["y@other.example"]


def test_reply_threads_by_in_reply_to_and_trims_the_quote(desk: Desk) -> None:
    first = desk.receive(mail())
    item = first.item
    ours = _sent(desk, item)
    reply_text = ("Still on fire.\n\nOn Mon, 2 Dec 2024 at 10:15, Desk Support "
                  f"<{SUPPORT}> wrote:\n> Did you unplug it?\n> Regards\n")
    row = desk.receive(mail(subject="Re: Printer on fire", body=reply_text,
                            In_Reply_To=f"<{ours}>", Cc="colleague@acme.example"))
    assert (row.status, row.item_id) == (InboundStatus.REPLY, item.id)
    assert row.reason == f"threaded by in-reply-to {ours}"
    assert _count(desk, Item) == 1
    message = row.message
    assert message.body_html == "<p>Still on fire.</p>"
    kept = desk.make.session.scalars(select(MailMessage).where(
        MailMessage.message_id == message.id)).one()
    assert "Did you unplug it?" in kept.original_html  # the full original stays available
    assert "Did you unplug it?" in row.raw.decode()
    desk.make.session.refresh(item)
    assert "colleague@acme.example" in [c.email for c in item.follower_customers]


def test_references_subject_refs_and_who_may_use_them(desk: Desk) -> None:
    item = desk.receive(mail()).item
    ours = _sent(desk, item)
    by_references = desk.receive(mail(subject="no reference", References=(
        f"<a@elsewhere.example> <{ours}> <b@elsewhere.example>")))
    assert (by_references.status, by_references.item_id) == (InboundStatus.REPLY, item.id)

    ref = f"Re: [#999999] [#{item.id}] Printer"
    by_subject = desk.receive(mail(subject=ref, body="from the requester"))
    assert (by_subject.status, by_subject.item_id) == (InboundStatus.REPLY, item.id)
    # A colleague only where the portal shows the organization's requests (the default
    # portal shows customers their own): tests/triggers/email/test_thread_access.py.
    colleague = desk.receive(mail(sender="boss@acme.example", subject=ref, body="me too"))
    assert colleague.status == InboundStatus.TICKET and colleague.item_id != item.id
    stranger = desk.receive(mail(sender="eve@evil.example", subject=ref, body="pay me"))
    assert stranger.status == InboundStatus.TICKET and stranger.item_id != item.id


def test_zammad_threading_cases(desk: Desk) -> None:
    """mail/zammad/threading-cases.json, with its Message-ID recorded as one we received.
    We thread by a known Message-ID alone (Zammad's default also wants the same subject)."""
    cases = {c["id"]: c for c in json.loads(
        (MAIL_DATA / "zammad" / "threading-cases.json").read_text())["cases"]}
    item = desk.receive(mail(sender="me@example.com", subject="Article subject")).item
    desk.make.session.add(MailMessage(
        rfc_message_id="20150830145601.30.608882@edenhofer.zammad.com",
        direction=MailDirection.IN, item_id=item.id, created_at=utcnow()))
    # The cases' article went to customer@example.com: they are on the ticket, so their
    # replies may thread into it (a stranger's would not: test_thread_access.py).
    other_party = desk.make.customer("customer@example.com")
    item.follower_customers.append(other_party)
    desk.make.session.commit()
    expected = {"thr-01-subject-ref": "reply", "thr-02-body-ref": "ticket",
                "thr-03-in-reply-to-only": "reply", "thr-04-in-reply-to-same-subject": "reply",
                "thr-05-references-middle-id": "reply", "thr-06-references-auto-replied":
                "ignored", "thr-07-references-same-subject": "reply",
                "thr-08-hook-position-none": "reply"}
    for case_id, outcome in expected.items():
        raw = cases[case_id]["raw"].replace("{TICKET_REF}", f"[#{item.id}]").replace(
            "{ARTICLE_SUBJECT}", "Article subject").replace("To: customer@example.com",
                                                            f"To: {SUPPORT}")
        row = desk.receive(raw.encode())
        assert row.status.value == outcome, (case_id, row.reason)
        if outcome in ("reply", "ignored"):
            assert row.item_id == item.id, case_id  # the auto-reply is linked, not added


def test_reply_reopens_a_done_ticket_and_out_of_office_does_not(desk: Desk) -> None:
    session = desk.make.session
    item = desk.receive(mail()).item
    solved = session.scalars(select(Status).where(Status.item_type_id == item.item_type_id,
                                                  Status.name == "Solved")).one()
    item.status = solved
    session.commit()
    away = desk.receive(mail(subject=f"Out of office: Re: Printer [#{item.id}]",
                             Auto_Submitted="auto-replied (zimbra; vacation)"))
    assert away.status == InboundStatus.IGNORED and away.item_id == item.id
    assert "Auto-Submitted" in away.reason and away.auto_reason
    session.refresh(item)
    assert item.status.name == "Solved"
    desk.receive(mail(subject=f"Re: Printer [#{item.id}]", body="It is back."))
    session.refresh(item)
    assert item.status.name == "Open"
    assert "ticket.status_changed" in [e.type for e in _events(desk, item.id)]


def test_duplicates_own_mail_and_loops_are_kept_not_acted_on(desk: Desk) -> None:
    raw = mail(Message_ID="<once@acme.example>")
    first = desk.receive(raw)
    again = desk.receive(raw)
    assert again.status == InboundStatus.IGNORED and "received before" in again.reason
    assert again.item_id == first.item_id
    ours = _sent(desk, first.item)
    back = desk.receive(mail(Message_ID=f"<{ours}>"))
    assert back.status == InboundStatus.IGNORED and "our own mail came back" in back.reason
    self_sent = desk.receive(mail(sender=SUPPORT))
    assert self_sent.status == InboundStatus.IGNORED and "own address" in self_sent.reason
    bulk = desk.receive(mail(sender="news@shop.example", Precedence="bulk"))
    assert bulk.status == InboundStatus.IGNORED and "Precedence" in bulk.reason
    assert _count(desk, Item) == 1 and _count(desk, Message) == 1


def test_a_bounce_is_kept_on_the_item_of_the_mail_it_returns(desk: Desk) -> None:
    item = desk.receive(mail()).item
    ours = _sent(desk, item)
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.acme.example>"
    report["To"], report["Subject"] = SUPPORT, "Undelivered Mail Returned to Sender"
    report.set_content("The mail system: <maria@acme.example>: mailbox full")
    returned = EmailMessage()
    returned["From"], returned["To"], returned["Subject"] = SUPPORT, "maria@acme.example", "Re"
    returned["Message-ID"] = f"<{ours}>"
    returned.set_content("our notification")
    report.add_attachment(returned)
    bounce = desk.receive(report.as_bytes(), envelope_from="")
    assert (bounce.status, bounce.item_id) == (InboundStatus.IGNORED, item.id)
    assert "a bounce" in bounce.reason and _count(desk, Message) == 1


def test_inline_image_and_attachments_are_stored(desk: Desk) -> None:
    row = desk.receive(sample("zammad/mail079.box"))
    [image] = desk.make.session.scalars(select(Attachment).where(
        Attachment.item_id == row.item_id))
    assert (image.filename, image.content_type, image.size) == ("a.jpg", "image/jpeg", 388)
    assert image.message_id == row.message_id
    assert f'src="/api/v1/attachment/{image.id}/download"' in row.message.body_html
    assert any(path.endswith(image.storage_key) for path in stored_files(desk.app))


def test_attachment_over_the_limit_is_left_out_and_noted(desk: Desk, monkeypatch) -> None:
    monkeypatch.setitem(desk.app.config, "ATTACHMENT_MAX_BYTES", 1000)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "maria@acme.example", SUPPORT, "Logs"
    message.set_content("Logs attached.")
    message.add_attachment(b"x" * 2000, maintype="application", subtype="octet-stream",
                           filename="big.log")
    message.add_attachment(b"small", maintype="text", subtype="plain", filename="small.txt")
    row = desk.receive(message.as_bytes())
    assert row.status == InboundStatus.TICKET
    assert row.notes == ["attachment 'big.log' (2 KiB) not kept: larger than the limit "
                         "of 1,000 bytes"]
    names = desk.make.session.scalars(select(Attachment.filename).where(
        Attachment.item_id == row.item_id)).all()
    assert names == ["small.txt"]
    note = desk.make.session.scalars(select(Message).where(
        Message.item_id == row.item_id, Message.is_public.is_(False))).one()
    assert "big.log" in note.body_html and note.author_user.username == "automation"


def test_unplaceable_mail_is_kept_with_the_reason(desk: Desk) -> None:
    desk.support.is_default = False
    desk.make.session.commit()
    nowhere = desk.receive(mail(to="sales@desk.example"), envelope_to=["sales@desk.example"])
    assert nowhere.status == InboundStatus.REJECTED
    assert "not addressed to a support address" in nowhere.reason
    assert "sales@desk.example" in nowhere.reason
    bad_sender = desk.receive(sample("zammad/mail071.box"), envelope_to=[SUPPORT])
    assert bad_sender.status == InboundStatus.REJECTED
    assert "no usable sender address" in bad_sender.reason
    assert bad_sender.raw == sample("zammad/mail071.box")
    assert _count(desk, Item) == 0 and _count(desk, Customer) == 0
    rejected = desk.make.session.scalars(select(Event).where(Event.type == "mail.rejected"))
    assert len(rejected.all()) == 2


def test_failures_leave_nothing_half_written(desk: Desk, monkeypatch) -> None:
    from triggers.email import intake

    monkeypatch.setattr(intake, "parse_message", lambda raw: 1 / 0)
    row = desk.receive(mail())
    assert row.status == InboundStatus.REJECTED
    assert row.reason == "could not be parsed: ZeroDivisionError: division by zero"
    monkeypatch.undo()

    def explode(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(intake._Placement, "_index", explode)
    before = stored_files(desk.app)
    row = desk.receive(sample("zammad/mail079.box"))  # writes an attachment file first
    assert row.status == InboundStatus.REJECTED
    assert row.reason == "could not be placed: RuntimeError: disk on fire"
    assert _count(desk, Item) == 0 and _count(desk, Attachment) == 0
    assert _count(desk, Customer) == 0 and _count(desk, Organization) == 0
    assert stored_files(desk.app) == before  # the file went with the rollback
    monkeypatch.undo()
    from webapp.extensions import db
    from webapp.mail import intake_settings

    with desk.app.app_context():  # an admin processes it again once the cause is gone
        again = intake.process(db.session, row.id, intake_settings(desk.app), again=True)
        assert again.status == InboundStatus.TICKET
        db.session.remove()


def test_stored_before_processing_and_the_backlog(desk: Desk) -> None:
    from triggers.email import intake
    from webapp.extensions import db
    from webapp.mail import process_backlog

    with desk.app.app_context():
        row = intake.store_raw(db.session, mail(), source="http")
        row_id = row.id
        db.session.remove()
    assert process_backlog(desk.app) == 1
    desk.make.session.expire_all()
    from webapp.models import InboundMail

    assert desk.make.session.get(InboundMail, row_id).status == InboundStatus.TICKET


def test_raw_bytes_are_kept_exactly(desk: Desk) -> None:
    raw = Path(MAIL_DATA / "zammad" / "mail068.box").read_bytes()
    row = desk.receive(raw)
    assert row.raw == raw and row.size == len(raw)
    assert (row.subject, row.status) == ("Contact from Server", InboundStatus.TICKET)
