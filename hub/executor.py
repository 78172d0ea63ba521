"""Running claimed deliveries: render inputs, validate, act, record — one transaction each."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from connectors.errors import Permanent, Retryable
from hub.actions import ActionContext, get_action
from hub.context import LazyContext, build_context, subject_item
from hub.ledger import DeliveryLedger
from hub.runtime import HubSettings
from hub.templating import TemplateFailure, render_params
from triggers.outbox import Actor, acting_as
from webapp.models import Delivery, DeliveryStatus, utcnow

log = logging.getLogger(__name__)


def _with_template_defaults(schema: Any, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` plus the inputs left out whose default is itself a template (such as
    ``"{{ organization.name }}"``): those are rendered like the given ones."""
    filled = dict(params)
    for name, field in schema.fields.items():
        key = field.data_key or name
        default = field.load_default
        if key not in filled and isinstance(default, str) and "{" in default:
            filled[key] = default
    return filled


def prepare_inputs(spec_schema: Any, params: dict[str, Any], data: Mapping[str, Any]) -> dict:
    """Rendered and validated action inputs; ``Permanent`` with a readable reason if not."""
    schema = spec_schema()
    try:
        rendered = render_params(_with_template_defaults(schema, params or {}), data)
    except TemplateFailure as exc:
        raise Permanent(str(exc)) from exc
    try:
        return schema.load(rendered)
    except ValidationError as exc:
        raise Permanent(f"invalid action input: {exc.messages}") from exc


def _run_one(session: Session, delivery: Delivery, settings: HubSettings) -> dict | None:
    spec = get_action(delivery.action_type)
    if spec is None:
        raise Permanent(f"unknown action type {delivery.action_type!r}")
    event = delivery.event
    ctx = ActionContext(session=session, event=event, delivery=delivery,
                        load_item=lambda: subject_item(session, event),
                        data=LazyContext(lambda: build_context(session, event, ctx.item)),
                        settings=settings.extra)
    if spec.needs_item and ctx.item is None:
        raise Permanent("this event is not about an item (it may have been deleted)")
    action = delivery.recipe_action
    params = action.params if action is not None else {}
    inputs = prepare_inputs(spec.schema, params, ctx.data)
    actor = Actor(recipe_id=delivery.recipe_id, depth=event.depth + 1)
    with acting_as(actor):
        result = spec.run(ctx, inputs)
        session.flush()
    return result


def _reload_if_ours(session: Session, delivery_id: int, attempt: int) -> Delivery | None:
    """The delivery, locked, if this worker's claim (attempt ``attempt``) still holds it.

    A worker that outlived its lease may find the delivery taken over by another (a new
    attempt) or already finished: then its own outcome must not be recorded, and the changes
    its action made are rolled back, so the delivery's effects commit once.
    """
    query = (select(Delivery).where(Delivery.id == delivery_id)
             .execution_options(populate_existing=True))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    delivery = session.scalars(query).first()
    if (delivery is None or delivery.status != DeliveryStatus.RUNNING
            or delivery.attempts != attempt):
        log.warning("lease lost: another worker took the delivery over; this attempt's "
                    "outcome is discarded", extra={"delivery_id": delivery_id,
                                                   "attempt": attempt})
        return None
    return delivery


def run_delivery(session: Session, ledger: DeliveryLedger, delivery_id: int,
                 settings: HubSettings) -> DeliveryStatus:
    """Run one claimed delivery; its effects and its success commit together."""
    delivery = session.get(Delivery, delivery_id, options=_DELIVERY_GRAPH)
    if delivery is None or delivery.status != DeliveryStatus.RUNNING:
        session.rollback()
        return delivery.status if delivery is not None else DeliveryStatus.SKIPPED
    until = ledger.lease_until
    if until is not None and (delivery.lease_expires_at != until or utcnow() >= until):
        # Its turn in the claimed batch came after the batch's lease ran out: another worker
        # may have taken it back (and be running it). Leave it to be claimed again.
        log.warning("lease ran out before the delivery started; left for the next claim",
                    extra={"delivery_id": delivery_id})
        session.rollback()
        return DeliveryStatus.RUNNING
    attempt = delivery.attempts
    started = time.perf_counter()
    error: str | None = None
    permanent = False
    retry_after: float | None = None
    try:
        result = _run_one(session, delivery, settings)
        if not ledger.record_success(delivery_id, attempt, result, _ms(started)):
            log.warning("lease lost: another worker took the delivery over; this attempt's "
                        "outcome is discarded", extra={"delivery_id": delivery_id,
                                                       "attempt": attempt})
            session.rollback()
            return DeliveryStatus.RUNNING
        session.commit()
        return DeliveryStatus.SUCCEEDED
    except Permanent as exc:
        error, permanent = str(exc), True
    except Retryable as exc:
        error, retry_after = str(exc), exc.after
    except Exception as exc:  # an unexpected bug or outage: retry on the schedule
        log.exception("delivery failed unexpectedly", extra={"delivery_id": delivery_id})
        error = f"{type(exc).__name__}: {exc}"
    session.rollback()
    delivery = _reload_if_ours(session, delivery_id, attempt)
    if delivery is None:
        session.rollback()
        return DeliveryStatus.RUNNING
    ledger.fail(delivery, error, _ms(started), permanent=permanent, retry_after=retry_after)
    log.info("delivery failed", extra={"delivery_id": delivery_id, "error": error,
                                       "status": delivery.status.value})
    return delivery.status


_DELIVERY_GRAPH = (joinedload(Delivery.event), joinedload(Delivery.recipe_action))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
