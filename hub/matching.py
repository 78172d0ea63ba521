"""Matching an event against enabled recipes, writing one delivery per action."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.conditions import conditions_hold, trigger_matches
from hub.context import LazyContext, build_context
from hub.webhooks import WebhookMatcher
from webapp.models import Delivery, DeliveryStatus, Event, Recipe, utcnow

log = logging.getLogger(__name__)


def _trigger_names(event_type: str) -> list[str]:
    prefix = event_type.split(".", 1)[0]
    return [event_type, f"{prefix}.*", "*"]


def candidate_recipes(session: Session, event: Event) -> list[Recipe]:
    return list(session.scalars(
        select(Recipe)
        .where(Recipe.enabled.is_(True), or_(*[Recipe.trigger_event == name
                                              for name in _trigger_names(event.type)]))
        .order_by(Recipe.position, Recipe.id)
    ))


def _lock_events(session: Session, event_ids: Sequence[int]) -> list[Event]:
    """The events not matched yet, locked (other workers skip them, not wait)."""
    query = (select(Event).where(Event.id.in_(event_ids), Event.processed_at.is_(None))
             .order_by(Event.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _routes_to(recipe: Recipe, context: Mapping[str, Any]) -> bool:
    """An organization's routing recipe applies only to what concerns that organization
    (items its people requested, its customers, the organization itself)."""
    if recipe.organization_id is None:
        return True
    organization = context.get("organization") or {}
    return organization.get("id") == recipe.organization_id


def _match_one(session: Session, event: Event, recipes: list[Recipe],
               existing: dict[int, Delivery], max_depth: int) -> list[Delivery]:
    context = LazyContext(lambda: build_context(session, event))
    now = utcnow()
    created: list[Delivery] = []
    for recipe in recipes:
        if event.actor_recipe_id == recipe.id:
            continue  # a recipe's own change never retriggers it
        if not _routes_to(recipe, context):
            continue
        if not trigger_matches(recipe.trigger_filter, event.diff or {}):
            continue
        if not conditions_hold(recipe.conditions, context, now):
            continue
        too_deep = event.depth >= max_depth
        if too_deep:
            log.warning("recipe chain stopped at the depth bound",
                        extra={"recipe_id": recipe.id, "event_id": event.id,
                               "depth": event.depth})
        previous: Delivery | None = None
        for action in recipe.actions:
            if action.id in existing:
                # Matched before (its processed mark was cleared): the unique (event, action)
                # pair is kept, never doubled or an error.
                previous = existing[action.id]
                continue
            delivery = Delivery(
                event_id=event.id, recipe_id=recipe.id, recipe_action_id=action.id,
                action_type=action.action_type, next_attempt_at=now,
                status=DeliveryStatus.SKIPPED if too_deep else DeliveryStatus.PENDING,
                last_error=(f"not run: this event is {event.depth} recipe actions deep, the "
                            f"loop bound is {max_depth}") if too_deep else None,
            )
            if previous is not None:
                if previous.id is None:
                    session.flush()  # the chain needs the previous delivery's id
                delivery.after_delivery_id = previous.id
            session.add(delivery)
            created.append(delivery)
            previous = delivery
    event.processed_at = now
    return created


def match_events(session: Session, event_ids: Sequence[int], max_depth: int) -> list[int]:
    """Write the deliveries for events not matched yet, all in one transaction (commits);
    returns the ids of the deliveries that are due."""
    events = _lock_events(session, event_ids)
    if not events:
        session.rollback()
        return []
    recipes_by_type: dict[str, list[Recipe]] = {}
    existing: dict[int, dict[int, Delivery]] = {}
    sent: dict[int, set[int]] = {}  # event id → webhook endpoints with a delivery already
    for delivery in session.scalars(select(Delivery).where(
            Delivery.event_id.in_([e.id for e in events]))):
        if delivery.recipe_action_id is not None:
            existing.setdefault(delivery.event_id, {})[delivery.recipe_action_id] = delivery
        elif delivery.webhook_endpoint_id is not None:
            sent.setdefault(delivery.event_id, set()).add(delivery.webhook_endpoint_id)
    webhooks = WebhookMatcher(session)
    created: list[Delivery] = []
    for event in events:
        if event.type not in recipes_by_type:
            recipes_by_type[event.type] = candidate_recipes(session, event)
        created += _match_one(session, event, recipes_by_type[event.type],
                              existing.get(event.id, {}), max_depth)
        created += webhooks.deliveries(event, sent.get(event.id, set()), utcnow())
    session.flush()
    ids = [d.id for d in created if d.status == DeliveryStatus.PENDING]
    session.commit()
    return ids


def match_event(session: Session, event_id: int, max_depth: int) -> list[int]:
    """Write the deliveries for one event (once); returns their ids. Commits."""
    return match_events(session, [event_id], max_depth)


def unprocessed_event_ids(session: Session, older_than_seconds: float, limit: int) -> list[int]:
    """Events no worker has matched within the grace period (lost enqueue, crash)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(
        select(Event.id).where(Event.processed_at.is_(None), Event.created_at <= cutoff)
        .order_by(Event.id).limit(limit)
    ))
