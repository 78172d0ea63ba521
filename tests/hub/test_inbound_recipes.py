"""Inbound webhooks driving recipes end to end through real RQ workers (``relaydesk worker
--burst`` subprocesses on PostgreSQL and Redis): a Stripe ``invoice.payment_failed`` opens a
ticket for the customer's organization; a CRM "deal won" duplicates the onboarding template
for the new customer; and an outbound endpoint failing for too long is disabled and the
admins get an e-mail."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.connector_world import connection
from tests.hub.helpers import recipe
from tests.receiver import Receiver, running
from tests.triggers.test_inbound_webhooks import STRIPE_SECRET, standard_headers, stripe_headers
from webapp.models import (
    Delivery,
    DeliveryStatus,
    ExternalLink,
    Folder,
    Item,
    ItemKind,
    Organization,
    Project,
    WebhookEndpoint,
    utcnow,
)

ALLOW = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running()


def _post(hub: Hub, slug: str, body: bytes, headers: dict[str, str]) -> Any:
    client = hub.app.test_client()
    with hub.app.app_context():
        return client.post(f"/hooks/in/{slug}", data=body, headers=headers,
                           content_type="application/json")


def _inbound(hub: Hub, admin: ApiClient, **body: Any) -> str | None:
    made = admin.post("/api/v1/inbound_endpoint/", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json().get("secret")


def test_stripe_payment_failed_opens_a_ticket_for_the_organization(
        hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    admin = ApiClient(hub.app.test_client(), hub_make.user("Admin").username)
    org = hub_make.organization("Acme Clinics")
    support = hub_make.project(teams=[hub_make.team()], name="Acme support",
                               organization_id=org.id)
    maria = hub_make.customer("maria@acme.example", name="Maria", organization_id=org.id)
    stripe = connection(hub.app, s, "stripe", "https://api.stripe.com", {"api_key": "sk_x"})
    s.add(ExternalLink(connection_id=stripe.id, local_type="organization", local_id=org.id,
                       remote_type="customer", remote_id="cus_ACME"))
    s.commit()
    _inbound(hub, admin, slug="stripe", scheme="stripe", secret=STRIPE_SECRET)
    rule = recipe(s, "Payment failed → ticket", "inbound.stripe", [("create_item", {
        "title": "Payment failed: invoice {{ event.data.payload.data.object.number }}",
        "description": "Stripe could not charge {{ event.data.payload.data.object.amount_due "
                       "/ 100 }} {{ event.data.payload.data.object.currency | upper }}.",
        "organization_external_id": "{{ event.data.payload.data.object.customer }}",
        "requester": "{{ event.data.payload.data.object.customer_email }}",
        "priority": "4"})],
        conditions={"match": "all", "rules": [
            {"field": "event.data.type", "op": "eq", "value": "invoice.payment_failed"}]})

    def stripe_event(event_id: str, kind: str) -> bytes:
        return json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": {
            "id": "in_1", "object": "invoice", "number": "ACME-0042", "customer": "cus_ACME",
            "customer_email": "maria@acme.example", "amount_due": 12500,
            "currency": "usd"}}}).encode()

    failed = stripe_event("evt_failed", "invoice.payment_failed")
    assert _post(hub, "stripe", failed, stripe_headers(STRIPE_SECRET, failed)).status_code == 200
    paid = stripe_event("evt_paid", "invoice.paid")
    assert _post(hub, "stripe", paid, stripe_headers(STRIPE_SECRET, paid)).status_code == 200
    hub.burst(**ALLOW)

    [delivery] = hub.deliveries(recipe_id=rule.id)
    assert delivery["status"] == DeliveryStatus.SUCCEEDED, delivery["last_error"]
    s.expire_all()
    [ticket] = s.scalars(select(Item).where(Item.title.like("Payment failed%"))).all()
    assert ticket.title == "Payment failed: invoice ACME-0042"
    assert (ticket.kind, ticket.project_id, ticket.requester_id, ticket.priority) == (
        ItemKind.TICKET, support.id, maria.id, 4)
    assert "125.0 USD" in ticket.description
    assert delivery["result"]["organization_id"] == org.id

    # Stripe sending the same event again opens nothing more.
    assert _post(hub, "stripe", failed, stripe_headers(STRIPE_SECRET, failed)).get_json()[
        "status"] == "duplicate"
    hub.burst(**ALLOW)
    s.expire_all()
    assert len(s.scalars(select(Item).where(Item.title.like("Payment failed%"))).all()) == 1


def test_deal_won_duplicates_the_onboarding_template(hub: Hub, hub_make: Factory) -> None:
    s = hub_make.session
    admin = ApiClient(hub.app.test_client(), hub_make.user("Admin").username)
    team = hub_make.team()
    template = hub_make.project(teams=[team], name="Onboarding template", is_template=True)
    folder = Folder(project_id=template.id, name="Week 1")
    s.add(folder)
    s.commit()
    hub_make.item(template, ItemKind.TASK, title="Kick-off call", folder_id=folder.id,
                  planned_start=dt.date(2026, 1, 5), planned_finish=dt.date(2026, 1, 5))
    hub_make.item(template, ItemKind.TASK, title="Import contacts",
                  planned_start=dt.date(2026, 1, 7), planned_finish=dt.date(2026, 1, 9))
    secret = _inbound(hub, admin, slug="crm", scheme="standardwebhooks")
    assert secret is not None
    company = "{{ event.data.payload.data.company"
    rule = recipe(s, "Deal won → onboarding", "inbound.crm", [("duplicate_project", {
        "template": "Onboarding template", "name": f"Onboarding – {company}.name }}}}",
        "organization": f"{company}.name }}}}", "organization_domain": f"{company}.domain }}}}",
        "start_on": "{{ event.data.payload.data.close_date }}"})],
        conditions={"match": "all", "rules": [
            {"field": "event.data.type", "op": "eq", "value": "deal.won"}]})

    body = json.dumps({"type": "deal.won", "data": {
        "deal": {"id": "9001", "name": "Clinica Sol – 12 months"}, "close_date": "2026-12-01",
        "company": {"name": "Clinica Sol", "domain": "clinicasol.example"}}}).encode()
    answer = _post(hub, "crm", body, standard_headers(secret, "msg_deal_9001", body))
    assert answer.status_code == 200, answer.get_json()
    hub.burst(**ALLOW)

    [delivery] = hub.deliveries(recipe_id=rule.id)
    assert delivery["status"] == DeliveryStatus.SUCCEEDED, delivery["last_error"]
    s.expire_all()
    org = s.scalars(select(Organization).where(Organization.name == "Clinica Sol")).one()
    assert [d.domain for d in org.domains] == ["clinicasol.example"]
    copy = s.scalars(select(Project).where(Project.name == "Onboarding – Clinica Sol")).one()
    assert (copy.organization_id, copy.is_template) == (org.id, False)
    assert [t.name for t in copy.teams] == [team.name]
    tasks = {t.title: t for t in s.scalars(select(Item).where(Item.project_id == copy.id))}
    assert set(tasks) == {"Kick-off call", "Import contacts"}
    assert tasks["Kick-off call"].planned_start == dt.date(2026, 12, 1)
    assert tasks["Import contacts"].planned_finish == dt.date(2026, 12, 5)
    assert tasks["Kick-off call"].folder.name == "Week 1"
    assert delivery["result"]["organization_created"] is True

    # A replay of the delivery finds the project it made, and makes no other.
    from webapp.automation import delivery_ledger

    with hub.app.app_context():
        from webapp.extensions import db

        delivery_ledger().replay(db.session.get(Delivery, delivery["id"]))
        db.session.remove()
    hub.enqueue("hub.jobs.run_due")
    hub.burst(**ALLOW)
    [again] = hub.deliveries(recipe_id=rule.id)
    assert again["result"]["skipped"].startswith("a project of this name exists")
    s.expire_all()
    assert len(s.scalars(select(Project).where(Project.name.like("Onboarding –%"))).all()) == 1


def test_endpoint_failing_too_long_is_disabled_and_admins_get_mail(
        hub: Hub, hub_make: Factory, receiver: Receiver) -> None:
    s = hub_make.session
    admin = hub_make.user("Admin")
    api = ApiClient(hub.app.test_client(), admin.username)
    made = api.post("/api/v1/webhook_endpoint/", json={
        "name": "ERP", "url": receiver.url("/erp"), "event_types": ["ticket.created"]})
    assert made.status_code == 201, made.get_json()
    endpoint_id = made.get_json()["id"]
    row = s.get(WebhookEndpoint, endpoint_id)
    row.failing_since = utcnow() - dt.timedelta(days=6)
    s.commit()
    receiver.answer(500, times=5)
    hub_make.item(hub_make.project(teams=[hub_make.team()]), ItemKind.TICKET, title="Broken ERP")
    hub.burst(**ALLOW)

    [delivery] = hub.deliveries(webhook_endpoint_id=endpoint_id)
    assert delivery["status"] == DeliveryStatus.DEAD and len(receiver.requests) == 1
    s.expire_all()
    assert not s.get(WebhookEndpoint, endpoint_id).enabled
    deadline = time.monotonic() + 10
    while not hub.smtp.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [mail] = hub.smtp.messages
    assert str(mail["Subject"]) == "Webhook endpoint disabled: ERP"
    assert hub.smtp.recipients == [[admin.email]]
    assert receiver.url("/erp") in mail.get_body().get_content()
