"""Crashes and outages: nothing is lost, nothing is done twice.

- A worker killed with SIGKILL in the middle of a delivery: the delivery stays ``running``
  until its lease expires, then another worker takes it back and completes it, once.
- A worker that stops renewing its leases while its calls hang (frozen with SIGSTOP: as good
  as dead to the others): another worker takes the deliveries over; the frozen one's late
  outcome is discarded. (A live worker renews the lease of a call in flight, so a long call
  is not sent twice: tests/hub/test_hub_stress.py.)
- Redis down while tickets are created: the commits succeed, the events wait in the
  database, and after Redis is back the scheduler's sweep hands them to the workers.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import func, select

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub, StallingServer, free_port
from tests.hub.helpers import create_item, item_type, recipe
from webapp.models import Delivery, DeliveryStatus, Event, Item, ItemSla, Message, utcnow


def _now() -> dt.datetime:
    return utcnow()


@pytest.fixture
def stalling() -> Iterator[StallingServer]:
    server = StallingServer()
    yield server
    server.close()


def _mail_then_effects(hub: Hub, make: Factory) -> tuple[Any, Item]:
    """A recipe whose first action (an e-mail) blocks on the relay, then two internal ones."""
    s = make.session
    row = recipe(s, "mail, note, field", "ticket.created", [
        ("send_email", {"to": "address", "address": "ops@example.com",
                        "subject": "New {{ item.title }}", "body": "a ticket"}),
        ("post_message", {"body": "ops were told", "public": False}),
        ("set_field", {"field": "priority", "value": "4"})])
    project = make.project()
    ticket = make.item(project, title="Crash course")
    return row, ticket


def _running(hub: Hub, stalling: StallingServer) -> Any:
    """The e-mail delivery, once a worker is blocked on the hanging relay."""
    if not stalling.connected.wait(30):
        raise AssertionError(
            "the worker never reached the SMTP relay; "
            f"jobs queued: {hub.queue().count}, failed: {hub.failed_jobs()}, deliveries: "
            f"{[(d['action_type'], d['status'], d['attempts']) for d in hub.deliveries()]}, "
            f"unprocessed events: {len(hub.events(processed_at=None))}")
    return hub.wait_until(lambda s: s.scalars(select(Delivery).where(
        Delivery.action_type == "send_email",
        Delivery.status == DeliveryStatus.RUNNING)).first(), message="a running delivery")


def _effects(hub: Hub, ticket_id: int) -> dict[str, Any]:
    def read(session: Any) -> dict[str, Any]:
        return {
            "priority": session.get(Item, ticket_id).priority,
            "notes": session.scalar(select(func.count()).select_from(Message).where(
                Message.item_id == ticket_id)),
            "priority_events": len([e for e in session.scalars(select(Event).where(
                Event.type == "ticket.updated", Event.subject_id == ticket_id))
                if "priority" in e.diff]),
        }

    return hub.read(read)


def test_worker_killed_mid_delivery_completes_after_lease_expiry_once(
        hub: Hub, hub_make: Factory, stalling: StallingServer) -> None:
    row, ticket = _mail_then_effects(hub, hub_make)
    worker = hub.start_worker(SMTP_PORT=stalling.port)
    running = _running(hub, stalling)
    assert running.attempts == 1
    assert running.lease_expires_at > _now()

    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert worker.returncode == -signal.SIGKILL

    # Nobody completes it while the lease holds ...
    [mail, note, field] = hub.deliveries(recipe_id=row.id)
    assert (mail["status"], mail["attempts"]) == (DeliveryStatus.RUNNING, 1)
    assert note["status"] == field["status"] == DeliveryStatus.PENDING
    # ... then the scheduler wakes a worker for the expired lease, which takes it back.
    time.sleep(max(0.0, (mail["lease_expires_at"] - _now()).total_seconds()) + 0.1)
    out = hub.command("scheduler", "--once")
    assert "'woke_workers': True" in out.stdout, out.stdout
    hub.burst()  # the relay is back: the default SMTP_PORT is the sink

    [mail, note, field] = hub.deliveries(recipe_id=row.id)
    assert (mail["status"], mail["attempts"]) == (DeliveryStatus.SUCCEEDED, 2)
    assert (note["status"], note["attempts"]) == (DeliveryStatus.SUCCEEDED, 1)
    assert (field["status"], field["attempts"]) == (DeliveryStatus.SUCCEEDED, 1)
    assert hub.smtp.subjects() == [f"New Crash course [#{ticket.id}]"]
    assert _effects(hub, ticket.id) == {"priority": 4, "notes": 1, "priority_events": 1}


def test_a_worker_that_outlives_its_lease_does_not_record_its_late_outcome(
        hub: Hub, hub_make: Factory, stalling: StallingServer) -> None:
    """Two tickets committed together; a worker blocks on the hanging relay with both
    e-mails, then freezes (SIGSTOP: its lease renewals stop). Another worker takes them over
    once the leases run out; the frozen one, thawed, must not record its late failure."""
    s = hub_make.session
    row = recipe(s, "mail, note", "ticket.created", [
        ("send_email", {"to": "address", "address": "ops@example.com",
                        "subject": "New {{ item.title }}", "body": "a ticket"}),
        ("post_message", {"body": "ops were told", "public": False})])
    project = hub_make.project()
    ticket_type = item_type(s)
    tickets = [Item(kind=ticket_type.kind, title=f"Slow {n}", item_type=ticket_type,
                    status=ticket_type.statuses[0], project_id=project.id) for n in (1, 2)]
    s.add_all(tickets)
    s.commit()

    slow = hub.start_burst(SMTP_PORT=stalling.port)
    _running(hub, stalling)
    hub.wait_until(lambda session: session.scalar(select(func.count()).select_from(
        Delivery).where(Delivery.action_type == "send_email",
                        Delivery.status == DeliveryStatus.RUNNING)) == 2,
        message="both e-mails in flight")
    os.kill(slow.pid, signal.SIGSTOP)
    try:
        leases = [d["lease_expires_at"] for d in hub.deliveries(action_type="send_email")]
        time.sleep(max(0.0, (max(leases) - _now()).total_seconds()) + 0.1)

        # Another worker takes the deliveries back (the relay works for it), completes them.
        hub.enqueue("hub.jobs.run_due")
        hub.burst()
        done = hub.deliveries(recipe_id=row.id)
        assert [(d["action_type"], d["status"]) for d in done] == [
            ("send_email", DeliveryStatus.SUCCEEDED),
            ("post_message", DeliveryStatus.SUCCEEDED)] * 2
        assert [d["attempts"] for d in done] == [2, 1, 2, 1]
    finally:
        os.kill(slow.pid, signal.SIGCONT)

    # Now the hung relay drops the slow worker. Its failures must not undo the successes
    # (nor schedule retries that would send the e-mails again).
    stalling.hang_up()
    output, _ = slow.communicate(timeout=30)
    assert slow.returncode == 0, output
    assert hub.deliveries(recipe_id=row.id) == done
    assert stalling.accepted == 2
    assert sorted(hub.smtp.subjects()) == [f"New Slow {n} [#{t.id}]"
                                           for n, t in zip((1, 2), tickets, strict=True)]
    for ticket in tickets:
        assert _effects(hub, ticket.id)["notes"] == 1
    hub.assert_no_failed_jobs()


# ---------------------------------------------------------------- Redis outage


class PrivateRedis:
    """A redis-server of this test's own, to stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_redis_outage_delays_events_but_loses_none(
        hub: Hub, hub_make: Factory, private_redis: PrivateRedis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.dispatch import RQDispatcher
    from webapp.automation import DISPATCHER_KEY

    s = hub_make.session
    monkeypatch.setitem(hub.app.extensions, DISPATCHER_KEY, RQDispatcher(private_redis.url))
    noted = recipe(s, "note every ticket", "ticket.created", [
        ("post_message", {"body": "seen {{ item.title }}", "public": False})])
    admin = hub_make.user("Admin")
    api = ApiClient(hub.app.test_client(), admin.username)
    project = hub_make.project()
    customer = hub_make.customer("maria@acme.example", name="Maria")

    private_redis.stop()
    started = time.monotonic()
    tickets = [create_item(api, title=f"During the outage {n}", item_type=item_type(s).id,
                           project=project.id, requester=customer.id) for n in range(3)]
    assert time.monotonic() - started < 10  # a refused connection does not hang a request
    waiting = hub.events(type="ticket.created")
    assert [e["subject_id"] for e in waiting] == tickets
    assert all(e["processed_at"] is None for e in waiting)

    private_redis.start()  # empty: whatever was enqueued before is gone too
    assert Redis.from_url(private_redis.url).dbsize() == 0
    out = hub.command("scheduler", "--once", REDIS_URL=private_redis.url,
                      HUB_SWEEP_GRACE_SECONDS=0)
    assert "'swept': " in out.stdout and "'swept': 0" not in out.stdout, out.stdout
    hub.burst(REDIS_URL=private_redis.url)

    unprocessed = hub.read(lambda s: s.scalar(select(func.count()).select_from(Event).where(
        Event.processed_at.is_(None))))
    assert unprocessed == 0
    notes = hub.deliveries(recipe_id=noted.id)
    assert sorted(hub.read(lambda s: [s.get(Delivery, d["id"]).event.subject_id
                                      for d in notes])) == tickets
    assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in hub.deliveries())
    assert hub.read(lambda s: s.scalar(select(func.count()).select_from(ItemSla))) == 3
    assert hub.read(lambda s: s.scalar(select(func.count()).select_from(Message))) == 3
