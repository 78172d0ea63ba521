"""Exactly-once billing through real RQ workers, against a Stripe-like server that keeps
Stripe's idempotency rule (a repeated Idempotency-Key gets the first answer, nothing is done
twice).

A recipe bills an organization's hours when its ticket is solved. The worker is SIGKILLed in
the middle of the Stripe calls (Stripe has created the first invoice item; its answer never
arrives); after the lease runs out another worker takes the delivery over and finishes it;
then an admin replays the delivery through the API. Stripe ends with one customer, one
finalized invoice with one item per project, and every billable hour is marked invoiced once.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from hub.scheduler import Scheduler
from tests.connectors.vendors import Seen, StripeLike, running
from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.connector_world import billing_world, connection
from tests.hub.helpers import recipe, status_id, update_item
from webapp.automation import DISPATCHER_KEY, app_runtime
from webapp.models import (
    BillingRun,
    BillingStatus,
    ConnectorCall,
    Delivery,
    DeliveryStatus,
    Event,
    Timesheet,
    utcnow,
)


@pytest.fixture
def stripe_vendor() -> Iterator[StripeLike]:
    yield from running(StripeLike())


def test_killed_worker_and_replay_bill_exactly_once(hub: Hub, hub_make: Factory,
                                                    stripe_vendor: StripeLike) -> None:
    s = hub_make.session
    w = billing_world(hub_make)
    conn = connection(hub.app, s, "stripe", stripe_vendor.url, {"api_key": StripeLike.token})
    row = recipe(s, "Bill the organization when a ticket is solved", "ticket.status_changed",
                 [("stripe.bill_hours", {"connection": conn.name,
                                         "email": "{{ requester.email }}"})],
                 trigger_filter={"field": "status", "to": "Solved"})
    # Stripe looks up, on each POST, whether we stored its key before sending it.
    engine = create_engine(hub.database_url)
    stored_first: list[bool] = []

    def look(seen: Seen) -> None:
        if seen.method == "POST":
            with engine.connect() as db:
                stored_first.append(db.execute(select(ConnectorCall.id).where(
                    ConnectorCall.idempotency_key == seen.idempotency_key)).first() is not None)

    stripe_vendor.on_request = look
    held = stripe_vendor.hold("POST /v1/invoiceitems")  # acts, then keeps its answer

    admin = hub_make.user("Admin")
    api = ApiClient(hub.app.test_client(), admin.username)
    update_item(api, w.ticket.id, status=status_id(s, w.ticket.item_type.name, "Solved"))
    worker = hub.start_worker()
    assert held.reached.wait(60), "the worker never reached Stripe's invoice items"
    [running_now] = hub.deliveries(recipe_id=row.id)
    assert (running_now["status"], running_now["attempts"]) == (DeliveryStatus.RUNNING, 1)

    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    held.release.set()
    assert len(stripe_vendor.items) == 1  # Stripe did make it; nobody heard the answer

    # Another worker (starting while the lease runs out) takes the delivery over.
    hub.start_worker()
    time.sleep(max(0.0, (running_now["lease_expires_at"] - utcnow()).total_seconds()) + 0.1)
    scheduler = Scheduler(app_runtime(hub.app), hub.app.extensions[DISPATCHER_KEY],
                          scan_timers=lambda rt: 0)
    assert scheduler.tick()["woke_workers"] is True
    done = hub.wait_until(lambda session: _finished(session, row.id), timeout=60,
                          message="the delivery to be completed by the second worker")
    assert (done.status, done.attempts) == (DeliveryStatus.SUCCEEDED, 2), done.last_error
    posts = [(s.path.rsplit("/", 1)[-1], s.replayed) for s in stripe_vendor.requests("POST .*")]
    assert posts == [("customers", False), ("invoices", False), ("invoiceitems", False),
                     ("invoiceitems", True),  # the same key again: Stripe's first answer
                     ("invoiceitems", False), ("finalize", False)]
    item_keys = [s.idempotency_key for s in stripe_vendor.requests("POST /v1/invoiceitems")]
    assert item_keys[0] == item_keys[1] != item_keys[2]
    assert all(stored_first) and len(stored_first) == 6

    def state() -> dict[str, object]:
        [invoice] = stripe_vendor.invoices.values()
        return {"customers": len(stripe_vendor.customers), "invoices": len(stripe_vendor.invoices),
                "items": len(stripe_vendor.items), "status": invoice["status"],
                "amount_due": invoice["amount_due"], "invoice": invoice["id"]}

    once = state()
    assert once | {"invoice": None} == {"customers": 1, "invoices": 1, "items": 2,
                                        "status": "open", "amount_due": 4 * 10000 + 2 * 15000,
                                        "invoice": None}

    def marks(session: object) -> dict[int, tuple[object, object]]:
        rows = session.scalars(select(Timesheet).order_by(Timesheet.id))  # type: ignore[attr-defined]
        return {t.id: (t.invoiced_at, t.invoice_ref) for t in rows}

    billed = hub.read(marks)
    billable = {t.id for t in w.billable}
    assert all(billed[i][1] == once["invoice"] and billed[i][0] is not None for i in billable)
    assert billed[w.not_billable.id] == billed[w.foreign.id] == (None, None)

    # An admin replays the delivery: nothing is sent to Stripe, nothing is marked again.
    before = len(stripe_vendor.seen)
    response = api.post(f"/api/v1/delivery/{done.id}/replay")
    assert response.status_code == 200, response.get_json()
    # The replay is attempt 3: the two before it stay counted.
    replayed = hub.wait_until(lambda session: _finished(session, row.id, attempts=3),
                              timeout=60, message="the replayed delivery to finish")
    assert replayed.status == DeliveryStatus.SUCCEEDED, replayed.last_error
    assert "already invoiced" in replayed.result["note"]
    assert [x for x in stripe_vendor.seen[before:] if x.method == "POST"] == []
    assert state() == once
    assert hub.read(marks) == billed

    # Each billable entry was marked invoiced by exactly one change (one event each).
    def invoiced_events(session: object) -> list[int]:
        events = session.scalars(select(Event).where(  # type: ignore[attr-defined]
            Event.type == "timesheet.updated"))
        return sorted(e.subject_id for e in events if "invoiced_at" in e.diff)

    assert hub.read(invoiced_events) == sorted(billable)
    run = hub.read(lambda session: session.scalars(select(BillingRun)).one())
    assert run.status == BillingStatus.INVOICED and run.stripe_invoice_id == once["invoice"]
    assert hub.read(lambda session: session.scalars(select(Delivery).where(
        Delivery.recipe_id == row.id)).one().result["invoice"]) == once["invoice"]
    hub.assert_no_failed_jobs()
    engine.dispose()


def _finished(session: Any, recipe_id: int, attempts: int | None = None) -> Delivery | None:
    delivery = session.scalars(select(Delivery).where(Delivery.recipe_id == recipe_id)).one()
    if delivery.status in (DeliveryStatus.RUNNING, DeliveryStatus.PENDING):
        return None
    if attempts is not None and delivery.attempts != attempts:
        return None
    return delivery
