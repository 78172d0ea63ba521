"""Attaching an SLA policy to an item: pick its target, compute due and warning times."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triggers.sla_clock import WorkingCalendar
from webapp.models import BusinessCalendar, Item, ItemSla, SlaPolicy, SlaTarget


def working_calendar(calendar: BusinessCalendar | None) -> WorkingCalendar:
    if calendar is None:
        return WorkingCalendar.always_open()
    return WorkingCalendar.from_spec(calendar.timezone, calendar.hours,
                                     [h.day for h in calendar.holidays])


def target_for(policy: SlaPolicy, item: Item) -> SlaTarget | None:
    """The most specific target: type and priority > priority > type > catch-all."""
    def score(target: SlaTarget) -> int | None:
        if target.priority is not None and target.priority != item.priority:
            return None
        if target.item_type_id is not None and target.item_type_id != item.item_type_id:
            return None
        return (target.priority is not None) * 2 + (target.item_type_id is not None)

    ranked = [(s, t.id, t) for t in policy.targets if (s := score(t)) is not None]
    return max(ranked)[2] if ranked else None


def default_policy(session: Session) -> SlaPolicy | None:
    return session.scalars(select(SlaPolicy).where(SlaPolicy.is_default.is_(True))
                           .order_by(SlaPolicy.id)).first()


def attach_sla(session: Session, item: Item, policy: SlaPolicy) -> ItemSla | None:
    """(Re)compute the item's SLA clock from its creation time; None if no target applies."""
    target = target_for(policy, item)
    existing = session.scalars(select(ItemSla).where(ItemSla.item_id == item.id)).first()
    if target is None:
        if existing is not None:
            session.delete(existing)
        return None
    calendar = working_calendar(policy.calendar)
    start = item.created_at
    clock = existing or ItemSla(item_id=item.id)
    clock.policy_id = policy.id
    clock.started_at = start
    lead = policy.warning_minutes
    for name in ("first_response", "resolution"):
        minutes = getattr(target, f"{name}_minutes")
        due = calendar.add_business_minutes(start, minutes) if minutes else None
        warn = (calendar.add_business_minutes(start, max(minutes - lead, 0))
                if minutes and lead else None)
        setattr(clock, f"{name}_due_at", due)
        setattr(clock, f"{name}_warn_at", warn)
    session.add(clock)
    session.flush()
    return clock
