"""The e-mail channel's REST API and screens: the inbound-parse endpoint, support addresses,
mail templates, the inbound/rejected mail lists (scoped), the raw original, processing again."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.clients import Browser
from tests.factories import ApiClient, Factory, quick_user
from tests.triggers.email.conftest import SUPPORT, mail, support_address
from webapp.models import (
    InboundMail,
    InboundStatus,
    ItemType,
    MailTemplate,
    Project,
    SupportAddress,
)


@dataclass
class Setup:
    app: Flask
    make: Factory
    admin: ApiClient
    agent: ApiClient
    agent_name: str
    admin_name: str
    project_id: int
    other_project_id: int
    ticket_type_id: int

    def inbound(self) -> int:
        self.make.session.expire_all()
        return self.make.session.scalar(select(func.count()).select_from(InboundMail))


@pytest.fixture
def setup(app: Flask, make: Factory) -> Setup:
    team, other_team = make.team(), make.team()
    admin = quick_user(make, "Admin")
    agent = quick_user(make, "Agent", [team])
    project = make.project([team], name="Support")
    other = make.project([other_team], name="Elsewhere")
    ticket_type = make.session.scalars(select(ItemType).where(ItemType.name == "Ticket")).one()
    client = app.test_client()
    return Setup(app, make, ApiClient(client, admin.username),
                 ApiClient(app.test_client(), agent.username), agent.username,
                 admin.username, project.id, other.id, ticket_type.id)


def test_inbound_endpoint_raw_body_and_multipart(setup: Setup) -> None:
    support_address(setup.make, SUPPORT, setup.make.session.get(Project, setup.project_id))
    raw = mail(subject="Forwarded by a service")
    response = setup.admin.post(f"/api/v1/mail/inbound?to={SUPPORT}", data=raw,
                                content_type="message/rfc822")
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert (result["status"], result["reason"], result["subject"]) == (
        "ticket", None, "Forwarded by a service")
    assert result["item_id"] and result["message_id"]

    multipart = setup.admin.post("/api/v1/mail/inbound", data={
        "message": (io.BytesIO(mail(subject="As a file")), "mail.eml"), "to": SUPPORT},
        content_type="multipart/form-data")
    assert multipart.status_code == 201 and multipart.get_json()["result"]["status"] == \
        "ticket"
    setup.make.session.expire_all()
    row = setup.make.session.get(InboundMail, multipart.get_json()["id"])
    assert (row.source, row.envelope_to) == ("http", [SUPPORT])

    nowhere = setup.admin.post("/api/v1/mail/inbound?to=sales@else.example",
                               data=mail(to="sales@else.example"),
                               content_type="message/rfc822")
    assert nowhere.status_code == 201  # stored: kept with the reason, never dropped
    assert nowhere.get_json()["result"]["status"] == "rejected"
    assert "not addressed to a support address" in nowhere.get_json()["result"]["reason"]


def test_inbound_endpoint_refuses_bad_requests_and_stores_nothing(setup: Setup,
                                                                  monkeypatch) -> None:
    anonymous = setup.app.test_client().post("/api/v1/mail/inbound", data=mail(),
                                             content_type="message/rfc822")
    assert anonymous.status_code == 401
    assert setup.agent.post("/api/v1/mail/inbound", data=mail(),
                            content_type="message/rfc822").status_code == 403
    empty = setup.admin.post("/api/v1/mail/inbound", data=b"",
                             content_type="message/rfc822")
    assert empty.status_code == 422
    assert "the raw RFC 822 message" in empty.get_json()["message"]["message"][0]
    as_json = setup.admin.post("/api/v1/mail/inbound", json={"raw": "From: x"})
    assert as_json.status_code == 422
    assert "not application/json" in as_json.get_json()["message"]["message"][0]
    no_field = setup.admin.post("/api/v1/mail/inbound", data={"other": "x"},
                                content_type="multipart/form-data")
    assert no_field.get_json()["message"] == {
        "message": ["is required: a multipart field 'message' holding the raw RFC 822 "
                    "message"]}
    bad_to = setup.admin.post("/api/v1/mail/inbound?to=not-an-address&from=x y",
                              data=mail(), content_type="message/rfc822")
    assert bad_to.status_code == 422
    assert bad_to.get_json()["message"] == {
        "to": ["'not-an-address' is not an e-mail address"],
        "from": ["'x y' is not an e-mail address"]}
    monkeypatch.setitem(setup.app.config, "MAIL_MAX_BYTES", 100)
    big = setup.admin.post("/api/v1/mail/inbound", data=mail(),
                           content_type="message/rfc822")
    assert big.status_code == 413
    assert big.get_json()["message"] == {"message": ["is larger than the limit of 100 bytes"]}
    assert setup.inbound() == 0


def test_support_addresses_validated(setup: Setup) -> None:
    body = {"address": "Support@Desk.example", "project": setup.project_id,
            "item_type": setup.ticket_type_id, "is_default": True}
    created = setup.admin.post("/api/v1/support_address/", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["result"]["address"] == "support@desk.example"
    again = setup.admin.post("/api/v1/support_address/", json=body)
    assert again.status_code == 422
    assert again.get_json()["message"] == {
        "address": ["is a support address already"],
        "is_default": ["support@desk.example is the catch-all already; only one address "
                       "can be"]}
    bad = setup.admin.post("/api/v1/support_address/", json={
        "address": "nope", "project": setup.project_id, "item_type": setup.ticket_type_id})
    assert bad.status_code == 422
    assert bad.get_json()["message"]["address"] == [
        "is not a valid e-mail address (like support@example.com)"]
    assert setup.agent.get("/api/v1/support_address/").get_json()["count"] == 1
    assert setup.agent.post("/api/v1/support_address/", json={
        **body, "address": "x@desk.example", "is_default": False}).status_code == 403


def test_mail_templates_edited_with_checked_templates(setup: Setup) -> None:
    listing = setup.admin.get("/api/v1/mail_template/").get_json()
    by_event = {r["event_type"]: r for r in listing["result"]}
    assert set(by_event) == {"ticket.created", "message.created", "ticket.status_changed"}
    ack = by_event["ticket.created"]
    broken = setup.admin.put(f"/api/v1/mail_template/{ack['id']}",
                             json={"body": "Hello {{ recipient.name "})
    assert broken.status_code == 422
    assert broken.get_json()["message"]["body"][0].startswith(
        "template error in 'body': syntax error on line 1")
    fine = setup.admin.put(f"/api/v1/mail_template/{ack['id']}",
                           json={"subject": "Obrigado! [#{{ item.id }}]"})
    assert fine.status_code == 200
    duplicate = setup.admin.post("/api/v1/mail_template/", json={
        "event_type": "ticket.created", "name": "x", "subject": "y", "body": "z"})
    assert duplicate.get_json()["message"] == {
        "event_type": ["has a template already; edit that one"]}
    odd = setup.admin.post("/api/v1/mail_template/", json={
        "event_type": "Ticket Created", "name": "x", "subject": "", "body": "z"})
    assert set(odd.get_json()["message"]) == {"event_type", "subject"}
    assert setup.agent.put(f"/api/v1/mail_template/{ack['id']}",
                           json={"subject": "x"}).status_code == 403
    setup.make.session.expire_all()
    assert setup.make.session.scalars(select(MailTemplate.subject).where(
        MailTemplate.event_type == "ticket.created")).one() == "Obrigado! [#{{ item.id }}]"


def test_inbound_lists_are_scoped_raw_download_and_process_again(setup: Setup) -> None:
    from webapp.mail import receive_mail

    session = setup.make.session
    ours = support_address(setup.make, SUPPORT, session.get(Project, setup.project_id))
    support_address(setup.make, "other@desk.example",
                    session.get(Project, setup.other_project_id))
    mine = receive_mail(setup.app, mail(), source="smtp")
    theirs = receive_mail(setup.app, mail(to="other@desk.example"), source="smtp")
    raw_lost = mail(to="nobody@nowhere.example", subject="Lost")
    lost = receive_mail(setup.app, raw_lost, source="smtp")
    assert (mine.status, theirs.status, lost.status) == ("ticket", "ticket", "rejected")

    seen = {r["id"] for r in setup.agent.get("/api/v1/inbound_mail/").get_json()["result"]}
    assert seen == {mine.inbound_mail_id}  # not another team's, not the unplaced one
    everything = setup.admin.get("/api/v1/inbound_mail/").get_json()
    assert everything["count"] == 3
    rejected = setup.admin.get("/api/v1/rejected_mail/").get_json()["result"]
    assert [(r["id"], r["status"]) for r in rejected] == [(lost.inbound_mail_id, "rejected")]
    assert "Lost" == rejected[0]["subject"] and rejected[0]["reason"]

    download = setup.admin.get(f"/api/v1/inbound_mail/{lost.inbound_mail_id}/raw")
    assert download.status_code == 200 and download.data == raw_lost
    assert download.mimetype == "message/rfc822"
    assert setup.agent.get(f"/api/v1/inbound_mail/{theirs.inbound_mail_id}/raw"
                           ).status_code == 404

    # The admin makes support@ the catch-all, then processes the lost mail again.
    ours.is_default = True
    session.commit()
    again = setup.admin.post(f"/api/v1/inbound_mail/{lost.inbound_mail_id}/process")
    assert again.status_code == 200 and again.get_json()["result"]["status"] == "ticket"
    twice = setup.admin.post(f"/api/v1/inbound_mail/{lost.inbound_mail_id}/process")
    assert twice.status_code == 422 and "status" in twice.get_json()["message"]
    assert setup.agent.post(f"/api/v1/inbound_mail/{mine.inbound_mail_id}/process"
                            ).status_code == 403


def test_mail_screens(setup: Setup) -> None:
    from webapp.mail import receive_mail

    lost = receive_mail(setup.app, mail(to="x@nowhere.example", subject="Lost one"),
                        source="smtp")
    browser = Browser(setup.app, setup.app.test_client(), setup.admin_name)
    listing = browser.page("/inbound-mail/list/")
    assert "Lost one" in listing and f"/inbound-mail/raw/{lost.inbound_mail_id}" in listing
    assert "Lost one" in browser.page("/rejected-mail/list/")
    shown = browser.page(f"/inbound-mail/show/{lost.inbound_mail_id}")
    assert "not addressed to a support address" in shown
    assert browser.get(f"/inbound-mail/raw/{lost.inbound_mail_id}").status_code == 200
    assert "ticket.created" in browser.page("/mail-templates/list/")
    assert "Support addresses" in browser.page("/support-addresses/list/")
    browser.post("/support-addresses/add", data={
        "address": "help@desk.example", "project": str(setup.project_id),
        "item_type": str(setup.ticket_type_id), "enabled": "y", "is_default": "y"})
    setup.make.session.expire_all()
    assert setup.make.session.scalars(select(SupportAddress.address)).all() == [
        "help@desk.example"]
    browser.post("/inbound-mail/action_post", data={
        "action": "process_again", "rowid": [str(lost.inbound_mail_id)]})
    setup.make.session.expire_all()
    assert setup.make.session.get(InboundMail, lost.inbound_mail_id).status == \
        InboundStatus.TICKET
