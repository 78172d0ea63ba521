"""Connector actions run by the hub in-process (the embedded default), on PostgreSQL and SQLite:
billing hours through Stripe, HubSpot sync with external links, the generic HTTP request,
the rate budget kept in the database, and the failures that must not be retried."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, select

from tests.connectors.vendors import HubSpotLike, Seen, StripeLike, running
from tests.factories import Factory
from tests.hub.connector_world import billing_world, connection, invoiced, run_hub
from tests.hub.helpers import recipe, title_has
from webapp.models import (
    BillingRun,
    BillingStatus,
    Connection,
    ConnectorCall,
    Delivery,
    DeliveryStatus,
    ExternalLink,
    Timesheet,
    utcnow,
)


@pytest.fixture
def stripe_vendor() -> Iterator[StripeLike]:
    yield from running(StripeLike())


@pytest.fixture
def hubspot_vendor() -> Iterator[HubSpotLike]:
    yield from running(HubSpotLike())


def _deliveries(make: Factory, recipe_id: int) -> list[Delivery]:
    make.session.expire_all()
    return list(make.session.scalars(select(Delivery).where(Delivery.recipe_id == recipe_id)
                                     .order_by(Delivery.id)))


def _keys_are_stored_first(app: Flask, vendor: StripeLike) -> list[tuple[str, bool]]:
    """Make the vendor look, on each POST, whether its Idempotency-Key is already committed
    in our database (from a connection of its own)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    found: list[tuple[str, bool]] = []

    def look(seen: Seen) -> None:
        if seen.method == "POST" and seen.idempotency_key:
            with engine.connect() as conn:
                row = conn.execute(select(ConnectorCall.step).where(
                    ConnectorCall.idempotency_key == seen.idempotency_key)).first()
            found.append((seen.idempotency_key, row is not None))

    vendor.on_request = look
    return found


def test_billing_hours_once_with_keys_persisted_before_each_call(
        app: Flask, make: Factory, stripe_vendor: StripeLike) -> None:
    w = billing_world(make)
    conn = connection(app, make.session, "stripe", stripe_vendor.url,
                      {"api_key": StripeLike.token})
    row = recipe(make.session, "bill on [bill]", "ticket.created", [
        ("stripe.bill_hours", {"connection": conn.name, "email": "{{ requester.email }}",
                               "description": "Hours until {{ event.created_at[:10] }}"})],
        conditions=title_has("[bill]"))
    keys = _keys_are_stored_first(app, stripe_vendor)
    run_hub(app)

    [delivery] = _deliveries(make, row.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    [invoice] = stripe_vendor.invoices.values()
    [customer] = stripe_vendor.customers.values()
    assert invoice["status"] == "open" and invoice["customer"] == customer["id"]
    # web: 4 h at the organization's 100.00; support: 2 h at its own 150.00.
    assert [(line["amount"], line["description"]) for line in invoice["lines"]["data"]] == [
        (40000, "Acme website: 4 h × 100.00 USD (2026-11-02 – 2026-11-03)"),
        (30000, "Acme support: 2 h × 150.00 USD (2026-11-04)")]
    assert customer["email"] == "maria@acme.example" and customer["name"] == "Acme Clinics"
    assert customer["metadata"]["relaydesk_organization_id"] == str(w.org.id)
    assert (delivery.result["invoice"], delivery.result["total"], delivery.result["hours"]) == (
        invoice["id"], 70000, "6")
    # Every POST's key was committed before the POST reached Stripe.
    assert len(keys) == 5 and all(stored for _, stored in keys), keys
    assert all(key.startswith(f"relaydesk-{delivery.id}-") for key, _ in keys)

    billed = [t.id for t in w.billable]
    marks = invoiced(make.session, billed)
    assert all(at is not None and ref == invoice["id"] for at, ref in marks)
    assert invoiced(make.session, [w.not_billable.id, w.foreign.id]) == [(None, None)] * 2
    link = make.session.scalars(select(ExternalLink)).one()
    assert (link.local_type, link.local_id, link.remote_type, link.remote_id) == (
        "organization", w.org.id, "customer", customer["id"])
    run = make.session.scalars(select(BillingRun)).one()
    assert run.status == BillingStatus.INVOICED and run.stripe_invoice_id == invoice["id"]

    # A replay of the delivery calls nothing and marks nothing again.
    from webapp.automation import app_runtime

    posts = len(stripe_vendor.requests("POST .*"))
    from hub.ledger import DeliveryLedger

    settings = app_runtime(app).settings
    DeliveryLedger(make.session, settings.retry, settings.lease_seconds).replay(delivery)
    run_hub(app)
    [again] = _deliveries(make, row.id)
    assert again.status == DeliveryStatus.SUCCEEDED and again.result["note"].startswith(
        "already invoiced")
    assert len(stripe_vendor.requests("POST .*")) == posts
    assert invoiced(make.session, billed) == marks

    # A later bill finds nothing left to invoice; new hours go on a new invoice.
    make.item(w.web, title="[bill] again", requester_id=w.requester.id)
    run_hub(app)
    assert _deliveries(make, row.id)[-1].result == {
        "skipped": "no billable hours to invoice", "organization": "Acme Clinics"}
    assert len(stripe_vendor.invoices) == 1
    # Hours on an invoice cannot be edited any more.
    entry = make.session.get(Timesheet, billed[0])
    from webapp.access.scope import SYSTEM
    from webapp.commands.errors import Invalid
    from webapp.commands.write_check import check_write

    entry.hours = Decimal("3")
    with pytest.raises(Invalid) as locked:
        check_write(make.session, entry, SYSTEM, is_new=False)
    assert "billed hours cannot change" in str(locked.value.messages["hours"])
    make.session.rollback()


def test_missing_rates_and_refusals_release_the_hours(
        app: Flask, make: Factory, stripe_vendor: StripeLike) -> None:
    w = billing_world(make)
    w.org.hourly_rate = None
    make.session.commit()
    conn = connection(app, make.session, "stripe", stripe_vendor.url,
                      {"api_key": StripeLike.token})
    row = recipe(make.session, "bill", "ticket.created", [
        ("stripe.bill_hours", {"connection": str(conn.id)})], conditions=title_has("[bill]"))
    run_hub(app)
    [delivery] = _deliveries(make, row.id)
    assert delivery.status == DeliveryStatus.DEAD
    assert "no hourly rate for project(s) Acme website" in delivery.last_error
    assert stripe_vendor.requests("POST .*") == []

    # Stripe refuses the invoice (the customer was deleted meanwhile): nothing was billed,
    # so the hours are free again and a replay plans them afresh.
    w.org.hourly_rate = Decimal("90")
    make.session.commit()
    stripe_vendor.fail("POST /v1/invoices", 400, body={"error": {
        "type": "invalid_request_error", "message": "No such customer"}})
    from hub.ledger import DeliveryLedger
    from webapp.automation import app_runtime

    settings = app_runtime(app).settings
    DeliveryLedger(make.session, settings.retry, settings.lease_seconds).replay(delivery)
    run_hub(app)
    [delivery] = _deliveries(make, row.id)
    assert delivery.status == DeliveryStatus.DEAD and "No such customer" in delivery.last_error
    run = make.session.scalars(select(BillingRun)).one()
    assert run.status == BillingStatus.RELEASED and run.reserved == []
    DeliveryLedger(make.session, settings.retry, settings.lease_seconds).replay(delivery)
    run_hub(app)
    [delivery] = _deliveries(make, row.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    [invoice] = [i for i in stripe_vendor.invoices.values() if i["status"] == "open"]
    assert invoice["amount_due"] == 4 * 9000 + 2 * 15000


def test_unusable_connections_fail_permanently(app: Flask, make: Factory,
                                               hubspot_vendor: HubSpotLike) -> None:
    project = make.project()
    conn = connection(app, make.session, "hubspot", hubspot_vendor.url,
                      {"access_token": HubSpotLike.token})
    rows = {
        "missing": recipe(make.session, "a", "ticket.created", [
            ("hubspot.upsert_contact", {"connection": "nope", "email": "a@b.example"})]),
        "wrong kind": recipe(make.session, "b", "ticket.created", [
            ("stripe.find_or_create_customer", {"connection": conn.name,
                                                "organization_id": "1", "name": "x"})]),
        "bad input": recipe(make.session, "c", "ticket.created", [
            ("hubspot.upsert_contact", {"connection": conn.name,
                                        "email": "{{ item.title }}"})]),
    }
    make.item(project, title="not an e-mail")
    run_hub(app)
    errors = {name: _deliveries(make, r.id)[0] for name, r in rows.items()}
    assert all(d.status == DeliveryStatus.DEAD and d.attempts == 1 for d in errors.values())
    assert "no connection 'nope'" in errors["missing"].last_error
    assert "is a hubspot connection, not stripe" in errors["wrong kind"].last_error
    assert "email" in errors["bad input"].last_error
    # Disabled, and credentials that the key cannot read.
    conn.enabled = False
    make.session.commit()
    late = recipe(make.session, "d", "ticket.created", [
        ("hubspot.upsert_contact", {"connection": conn.name, "email": "a@b.example"})])
    make.item(project, title="second")
    run_hub(app)
    assert "is disabled" in _deliveries(make, late.id)[0].last_error
    conn.enabled = True
    conn.credentials_encrypted = "gAAAAA-not-a-token"
    make.session.commit()
    make.item(project, title="third")
    run_hub(app)
    assert "cannot be decrypted" in _deliveries(make, late.id)[-1].last_error
    assert hubspot_vendor.seen == []


def test_hubspot_sync_and_ticket_mirror_keep_external_links(
        app: Flask, make: Factory, hubspot_vendor: HubSpotLike) -> None:
    w = billing_world(make)
    conn = connection(app, make.session, "hubspot", hubspot_vendor.url,
                      {"access_token": HubSpotLike.token})
    row = recipe(make.session, "crm", "ticket.created", [
        ("hubspot.sync_customer", {"connection": conn.name}),
        ("hubspot.mirror_ticket", {"connection": conn.name})],
        conditions=title_has("[crm]"))
    first = make.item(w.support, title="[crm] Printer on fire", requester_id=w.requester.id,
                      priority=4, description="<p>Smoke <b>everywhere</b></p>")
    run_hub(app)
    sync, mirror = _deliveries(make, row.id)
    assert sync.status == mirror.status == DeliveryStatus.SUCCEEDED, (sync.last_error,
                                                                      mirror.last_error)
    [contact] = hubspot_vendor.all("contacts")
    [company] = hubspot_vendor.all("companies")
    [ticket] = hubspot_vendor.all("tickets")
    assert (contact["properties"]["firstname"], contact["properties"]["lastname"]) == (
        "Maria", "Silva")
    assert company["properties"]["domain"] == "acme.example"
    assert ticket["properties"]["subject"] == f"[Relaydesk #{first.id}] [crm] Printer on fire"
    assert ticket["properties"]["hs_ticket_priority"] == "HIGH"
    assert ticket["properties"]["content"] == "Smoke everywhere"
    assert set(hubspot_vendor.associations) == {
        ("contacts", contact["id"], "companies", company["id"], "contact_to_company"),
        ("tickets", ticket["id"], "contacts", contact["id"], "ticket_to_contact")}
    links = {(link.local_type, link.local_id, link.remote_type): link.remote_id
             for link in make.session.scalars(select(ExternalLink))}
    assert links == {("customer", w.requester.id, "contact"): contact["id"],
                     ("organization", w.org.id, "company"): company["id"],
                     ("item", first.id, "ticket"): ticket["id"]}

    # The second time, the links are used: updates by id, no searches, no duplicates.
    searches = len(hubspot_vendor.requests("POST .*/search"))
    from hub.ledger import DeliveryLedger
    from webapp.automation import app_runtime

    settings = app_runtime(app).settings
    ledger = DeliveryLedger(make.session, settings.retry, settings.lease_seconds)
    ledger.replay(sync)
    run_hub(app)
    assert len(hubspot_vendor.requests("POST .*/search")) == searches
    assert len(hubspot_vendor.all("contacts")) == len(hubspot_vendor.all("tickets")) == 1


def test_http_request_action_renders_templates(app: Flask, make: Factory) -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        conn = connection(app, make.session, "http", server.url_for("/"),
                          {"header_name": "X-Api-Key", "header_value": "k-1"})
        project = make.project()
        row = recipe(make.session, "ping", "ticket.created", [
            ("http.request", {"connection": conn.name, "method": "PUT",
                              "url": "items/{{ item.id }}",
                              "headers": {"X-Title": "{{ item.title }}"},
                              "body": {"title": "{{ item.title }}", "kind": "{{ item.kind }}"}})])
        item = make.item(project, title="Hello")
        server.expect_oneshot_request(
            f"/items/{item.id}", method="PUT", json={"title": "Hello", "kind": "ticket"},
            headers={"X-Api-Key": "k-1", "X-Title": "Hello"}).respond_with_json({"id": "ext-9"})
        run_hub(app)
        [delivery] = _deliveries(make, row.id)
        assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
        assert delivery.result == {"status": 200, "content_type": "application/json",
                                   "body": {"id": "ext-9"}}
        server.check_assertions()
    finally:
        server.clear()
        server.stop()


def test_a_429_pauses_every_delivery_to_the_connection_database_budget(
        app: Flask, make: Factory, hubspot_vendor: HubSpotLike,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No Redis: the pause lives in connection.paused_until. Two deliveries to one
    connection; the vendor answers the first call 429 Retry-After: 2; the second delivery
    does not call at all, and both wait at least 2 s (the schedule alone says 0.2 s)."""
    import dataclasses

    from hub.retry import RetryPolicy
    from webapp.automation import app_runtime

    rt = app_runtime(app)
    # One lane, one call at a time (hub.lanes): the second call starts after the first
    # one's 429 paused the connection.
    monkeypatch.setattr(rt, "settings", dataclasses.replace(
        rt.settings, retry=RetryPolicy(schedule=(0, 0.2, 0.2), jitter=0), lanes=1))
    wait = 2
    conn = connection(app, make.session, "hubspot", hubspot_vendor.url,
                      {"access_token": HubSpotLike.token})
    row = recipe(make.session, "contacts", "ticket.created", [
        ("hubspot.upsert_contact", {"connection": conn.name,
                                    "email": "{{ item.title }}@acme.example"})])
    project = make.project()
    make.item(project, title="ana")
    make.item(project, title="bea")
    hubspot_vendor.fail("POST .*", 429, headers={"Retry-After": str(wait)})
    started = utcnow()
    run_hub(app)
    limited = time.monotonic()
    first, second = _deliveries(make, row.id)
    assert first.status == second.status == DeliveryStatus.FAILED
    assert "429" in first.last_error and "paused" in second.last_error
    for delivery in (first, second):
        assert (delivery.next_attempt_at - started).total_seconds() >= wait
    assert len(hubspot_vendor.seen) == 1  # the second delivery never reached the vendor
    paused = make.session.get(Connection, conn.id).paused_until
    assert paused is not None and (paused - started).total_seconds() >= wait

    run_hub(app)  # nothing is due yet
    assert len(hubspot_vendor.seen) == 1
    due = max(d.next_attempt_at for d in (first, second))
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.05)
    run_hub(app)
    assert [d.status for d in _deliveries(make, row.id)] == [DeliveryStatus.SUCCEEDED] * 2
    later = hubspot_vendor.seen[1:]
    assert later and all(s.at - limited >= wait - 0.2 for s in later)
    assert len(hubspot_vendor.all("contacts")) == 2

