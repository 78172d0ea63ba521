"""Outgoing mail through the event engine (its ledger worked in this process), read from a
real SMTP sink: acknowledgements, reply notifications to requester and followers (never the
author, never private notes), admin-edited templates, and the per-address rate limit."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import ApiClient, quick_user
from tests.hub.conftest import SmtpSink
from tests.triggers.email.conftest import SUPPORT, Desk, mail, run_hub
from webapp.models import (
    Delivery,
    DeliveryStatus,
    InboundStatus,
    MailDirection,
    MailMessage,
    MailTemplate,
)


def _outgoing(desk: Desk) -> list[MailMessage]:
    desk.make.session.expire_all()
    return list(desk.make.session.scalars(select(MailMessage).where(
        MailMessage.direction == MailDirection.OUT).order_by(MailMessage.id)))


def test_acknowledgement_to_the_requester_threaded_and_branded(desk: Desk,
                                                               sink: SmtpSink) -> None:
    row = desk.receive(mail(Cc="boss@acme.example", Message_ID="<first@acme.example>"))
    run_hub(desk.app, sink)
    assert sink.recipients == [["maria@acme.example"]]  # not the Cc'd follower
    [ack] = sink.messages
    item_id = row.item_id
    assert ack["Subject"] == f"We received your request: Printer on fire [#{item_id}]"
    assert ack["From"] == f"Desk Support <{SUPPORT}>" and ack["Reply-To"] == ack["From"]
    assert ack["Auto-Submitted"] == "auto-generated"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"] == "<first@acme.example>"
    text = ack.get_body(("plain",)).get_content()
    assert text.startswith("Hello Maria Souza,") and text.rstrip().endswith("-- The Desk team")
    [sent] = _outgoing(desk)
    assert f"<{sent.rfc_message_id}>" == ack["Message-ID"]
    assert sent.rfc_message_id.startswith("relaydesk.")
    assert (sent.item_id, sent.address, sent.automatic, sent.template) == (
        item_id, "maria@acme.example", True, "ticket.created")


def test_public_reply_reaches_requester_and_followers_never_author_or_private_note(
        desk: Desk, sink: SmtpSink) -> None:
    make = desk.make
    agent = quick_user(make, "Agent", [desk.team], name="alice")
    dana = quick_user(make, "Agent", [desk.team], name="dana")
    row = desk.receive(mail(Cc=f"boss@acme.example, {dana.email}"))
    run_hub(desk.app, sink)
    sink.clear()
    api = ApiClient(desk.app.test_client(), agent.username)
    reply = api.post("/api/v1/message/", json={"item": row.item_id, "is_public": True,
                                                "body_html": "<p>Please unplug it.</p>"})
    assert reply.status_code == 201, reply.get_json()
    note = api.post("/api/v1/message/", json={"item": row.item_id, "is_public": False,
                                               "body_html": "<p>Customer seems upset</p>"})
    assert note.status_code == 201
    run_hub(desk.app, sink)

    assert sorted(r[0] for r in sink.recipients) == sorted(
        ["maria@acme.example", "boss@acme.example", dana.email])  # not alice, the author
    for sent in sink.messages:
        assert sent["Subject"] == f"Re: Printer on fire [#{row.item_id}]"
        text = sent.get_body(("plain",)).get_content()
        assert "Please unplug it." in text and "upset" not in text
        assert "alice" in text  # the author's name
    ids = {m["Message-ID"] for m in sink.messages}
    assert len(ids) == 3  # one mail each: addresses are not shown to each other
    notes = make.session.scalars(select(Delivery).where(
        Delivery.action_type == "notify_followers").order_by(Delivery.id)).all()
    assert len(notes) == 3  # ack, the customer's own message, the reply: not the note
    # The customer's own first mail notified nobody: all of them had it or wrote it.
    first = next(d.result for d in notes if "skipped" in (d.result or {}))
    assert (first["sent"], set(first["skipped"].values())) == (
        [], {"the author", "was on the e-mail itself"})


def test_the_action_itself_never_mails_a_private_note(desk: Desk, sink: SmtpSink) -> None:
    from tests.hub.helpers import recipe

    session = desk.make.session
    recipe(session, "every message", "message.created",
           [("notify_followers", {"template": "message.created"})])
    agent = quick_user(desk.make, "Agent", [desk.team])
    row = desk.receive(mail(Cc="boss@acme.example"))
    run_hub(desk.app, sink)
    sink.clear()
    api = ApiClient(desk.app.test_client(), agent.username)
    assert api.post("/api/v1/message/", json={"item": row.item_id, "is_public": False,
                                              "body_html": "<p>internal</p>"}).status_code == 201
    run_hub(desk.app, sink)
    assert sink.messages == []
    session.expire_all()
    last = session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
    assert last.result == {"skipped": "a private note is never e-mailed"}


def test_customer_reply_by_mail_notifies_who_did_not_get_it(desk: Desk,
                                                            sink: SmtpSink) -> None:
    row = desk.receive(mail(Cc="boss@acme.example"))
    run_hub(desk.app, sink)
    [ack] = sink.messages
    sink.clear()
    reply = desk.receive(mail(subject="Re: Printer on fire", body="Now it smokes.",
                              In_Reply_To=ack["Message-ID"], Cc="gus@acme.example"))
    assert (reply.status, reply.item_id) == (InboundStatus.REPLY, row.item_id)
    run_hub(desk.app, sink)
    # boss follows and was not on this mail; gus was (and follows now); maria wrote it.
    assert sink.recipients == [["boss@acme.example"]]
    assert "Now it smokes." in sink.messages[0].get_body(("plain",)).get_content()


def test_automatic_mail_is_rate_limited_per_address(desk: Desk, sink: SmtpSink) -> None:
    for n in range(4):
        desk.receive(mail(subject=f"Robot says {n}"))
    run_hub(desk.app, sink, MAIL_AUTOREPLY_LIMIT=2)
    assert len(sink.messages) == 2
    limited = [d.result for d in desk.make.session.scalars(select(Delivery).where(
        Delivery.action_type == "notify_followers"))
        if d.result["template"] == "ticket.created" and d.result.get("skipped")]
    assert len(limited) == 2
    assert all("rate limit: 2 automatic mails in 60 minutes" in r["skipped"][
        "maria@acme.example"] for r in limited)


def test_admins_edit_the_template_and_a_broken_one_fails_plainly(desk: Desk,
                                                                 sink: SmtpSink) -> None:
    session = desk.make.session
    template = session.scalars(select(MailTemplate).where(
        MailTemplate.event_type == "ticket.created")).one()
    template.subject = "Recebemos o seu pedido, {{ recipient.name }}"
    template.body = "Protocolo #{{ item.id }}.\n{{ brand.signature }}"
    session.commit()
    row = desk.receive(mail())
    run_hub(desk.app, sink)
    [ack] = sink.messages
    assert ack["Subject"] == f"Recebemos o seu pedido, Maria Souza [#{row.item_id}]"
    assert ack.get_body(("plain",)).get_content().startswith(f"Protocolo #{row.item_id}.")

    template.body = "{{ nope.missing }}"  # past the rules (they refuse it): fails at send
    session.commit()
    sink.clear()
    desk.receive(mail(subject="Second"))
    run_hub(desk.app, sink)
    assert sink.messages == []
    session.expire_all()
    dead = session.scalars(select(Delivery).where(
        Delivery.status == DeliveryStatus.DEAD)).one()
    assert "mail template 'ticket.created'" in dead.last_error
    assert "'nope' is undefined" in dead.last_error
