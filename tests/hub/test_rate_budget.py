"""The per-connection rate budget, shared by every worker through Redis.

Two deliveries to one HubSpot connection. The vendor answers the first call 429 with
``Retry-After: 3``: that delivery is rescheduled after 3 s, the pause is recorded in Redis, and
the other delivery, run by another worker, finds the pause and waits too, without calling.
After the pause both go through.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hub import work
from tests.connectors.vendors import HubSpotLike, running
from tests.factories import Factory
from tests.hub.conftest import Hub
from tests.hub.connector_world import connection, unprocessed_events
from tests.hub.helpers import recipe
from webapp.automation import app_runtime
from webapp.models import DeliveryStatus, utcnow

WAIT = 3


@pytest.fixture
def hubspot_vendor() -> Iterator[HubSpotLike]:
    yield from running(HubSpotLike())


def test_a_429_makes_every_worker_wait_for_the_connection(
        hub: Hub, hub_make: Factory, hubspot_vendor: HubSpotLike) -> None:
    s = hub_make.session
    conn = connection(hub.app, s, "hubspot", hubspot_vendor.url,
                      {"access_token": HubSpotLike.token})
    row = recipe(s, "contact for every ticket", "ticket.created", [
        ("hubspot.upsert_contact", {"connection": conn.name,
                                    "email": "{{ item.title }}@acme.example"})])
    hubspot_vendor.fail("POST .*", 429, headers={"Retry-After": str(WAIT)})
    project = hub_make.project()

    # Worker 1 (a `relaydesk worker --burst` process) meets the 429.
    hub_make.item(project, title="ana")
    hub.burst()
    [first] = hub.deliveries(recipe_id=row.id)
    [limited] = hubspot_vendor.seen
    assert first["status"] == DeliveryStatus.FAILED and "429" in first["last_error"]
    assert hub.redis.pttl(f"relaydesk:connection:{conn.id}:paused") > 0

    # Worker 2 (this process, through the same Redis) has another delivery for the connection.
    hub_make.item(project, title="bea")
    rt = app_runtime(hub.app)
    work.process_events(unprocessed_events(hub.app), rt)
    work.run_due_deliveries(rt)
    first, second = hub.deliveries(recipe_id=row.id)
    assert second["status"] == DeliveryStatus.FAILED and "paused" in second["last_error"]
    assert len(hubspot_vendor.seen) == 1  # it did not call
    elapsed = time.monotonic() - limited.at
    assert elapsed < WAIT, "the test machine was too slow to see the pause"
    for delivery in (first, second):  # both wait out the vendor's Retry-After
        assert (delivery["next_attempt_at"] - limited.wall).total_seconds() >= WAIT - 0.05

    # After the pause, both go through.
    due = max(d["next_attempt_at"] for d in (first, second))
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.05)
    assert work.run_due_deliveries(rt) == 2
    assert [d["status"] for d in hub.deliveries(recipe_id=row.id)] == [
        DeliveryStatus.SUCCEEDED] * 2
    later = hubspot_vendor.seen[1:]
    assert len(later) == 4  # a search and a create for each
    assert all(call.at - limited.at >= WAIT for call in later)
    assert len(hubspot_vendor.all("contacts")) == 2
