"""Converting a ticket to a task is not a status change the customer hears about; the task's
later status changes are (issue 17, point 3). The shipped recipes, a real RQ worker, the SMTP
sink."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ApiClient, Factory
from tests.hub.conftest import Hub
from tests.hub.helpers import create_item, item_type, status_id, update_item
from webapp.models import Delivery, DeliveryStatus, Event, Item, Message, User

SETTLED = (DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD, DeliveryStatus.SKIPPED)


def _settle(hub: Hub) -> None:
    """Wait for the running worker: every committed event matched, every delivery (and what
    its changes caused) finished."""
    def settled(session: Session) -> bool:
        return not session.scalars(select(Event.id).where(Event.processed_at.is_(None))
                                   .limit(1)).first() and \
            not session.scalars(select(Delivery.id).where(Delivery.status.notin_(SETTLED))
                                .limit(1)).first()
    hub.wait_until(settled, timeout=60, message="the worker to finish")


def _public_by_automation(hub: Hub, item_id: int) -> list[str]:
    def query(session: Session) -> list[str]:
        automation = session.scalars(select(User).where(User.username == "automation")).one()
        return [m.body_html for m in session.scalars(select(Message).where(
            Message.item_id == item_id, Message.is_public.is_(True),
            Message.author_user_id == automation.id).order_by(Message.id))]
    return hub.read(query)


def _mailed_to(hub: Hub) -> list[tuple[str, list[str]]]:
    return list(zip(hub.smtp.subjects(), hub.smtp.recipients, strict=True))


def test_conversion_is_silent_and_later_status_changes_notify(hub: Hub,
                                                              hub_make: Factory) -> None:
    s = hub_make.session
    admin = hub_make.user("Admin")
    api = ApiClient(hub.app.test_client(), admin.username)
    maria = hub_make.customer("maria@acme.example", name="Maria")
    boss = hub_make.customer("boss@acme.example", name="Boss")
    ticket_id = create_item(api, title="Set up the new office", item_type=item_type(s).id,
                            project=hub_make.project(teams=[hub_make.team()]).id,
                            requester=maria.id)
    item = s.get(Item, ticket_id)
    item.follower_customers.append(boss)
    s.commit()
    hub.start_worker()
    _settle(hub)
    hub.smtp.clear()

    converted = api.post(f"/api/v1/ticket/{ticket_id}/convert-to-task", json={})
    assert converted.status_code == 200, converted.get_json()
    _settle(hub)

    assert _public_by_automation(hub, ticket_id) == []
    assert _mailed_to(hub) == []
    types = [e["type"] for e in hub.events(subject_id=ticket_id, subject_type="item")]
    assert "ticket.converted" in types
    assert "task.status_changed" not in types, types

    # The task's first real status change is told to the requester (a public reply, mailed
    # to her and the followers), as the shipped recipe promises.
    update_item(api, ticket_id, resource="task", status=status_id(s, "Task", "In progress"))
    _settle(hub)
    assert _public_by_automation(hub, ticket_id) == [
        "<p>The status of \"Set up the new office\" is now In progress.</p>"]
    recipients: list[Any] = sorted(r for _, rs in _mailed_to(hub) for r in rs)
    assert recipients == ["boss@acme.example", "maria@acme.example"], _mailed_to(hub)
    assert all(d["status"] == DeliveryStatus.SUCCEEDED for d in hub.deliveries())
