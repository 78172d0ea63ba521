"""Matching an event against enabled recipes, writing one delivery per action."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.conditions import conditions_hold, trigger_matches
from hub.context import build_context
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


def _lock_event(session: Session, event_id: int) -> Event | None:
    query = select(Event).where(Event.id == event_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def _routes_to(recipe: Recipe, context: dict) -> bool:
    """An organization's routing recipe applies only to what concerns that organization
    (items its people requested, its customers, the organization itself)."""
    if recipe.organization_id is None:
        return True
    organization = context.get("organization") or {}
    return organization.get("id") == recipe.organization_id


def match_event(session: Session, event_id: int, max_depth: int) -> list[int]:
    """Write the deliveries for one event (once); returns their ids. Commits."""
    event = _lock_event(session, event_id)
    if event is None or event.processed_at is not None:
        session.rollback()
        return []
    recipes = candidate_recipes(session, event)
    context = build_context(session, event) if recipes else {}
    # Actions that already have their delivery (an event matched again after its processed
    # mark was cleared): the unique (event, action) pair is kept, never doubled or an error.
    existing = set(session.scalars(
        select(Delivery.recipe_action_id).where(Delivery.event_id == event.id))) \
        if recipes else set()
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
                previous = session.scalars(select(Delivery).where(
                    Delivery.event_id == event.id,
                    Delivery.recipe_action_id == action.id)).first()
                continue
            delivery = Delivery(
                event_id=event.id, recipe_id=recipe.id, recipe_action_id=action.id,
                action_type=action.action_type, next_attempt_at=now,
                status=DeliveryStatus.SKIPPED if too_deep else DeliveryStatus.PENDING,
                last_error=(f"not run: this event is {event.depth} recipe actions deep, the "
                            f"loop bound is {max_depth}") if too_deep else None,
            )
            if previous is not None:
                delivery.after_delivery_id = previous.id
            session.add(delivery)
            session.flush()
            created.append(delivery)
            previous = delivery
    event.processed_at = now
    session.commit()
    return [d.id for d in created if d.status == DeliveryStatus.PENDING]


def unprocessed_event_ids(session: Session, older_than_seconds: float, limit: int) -> list[int]:
    """Events no worker has matched within the grace period (lost enqueue, crash)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(
        select(Event.id).where(Event.processed_at.is_(None), Event.created_at <= cutoff)
        .order_by(Event.id).limit(limit)
    ))
