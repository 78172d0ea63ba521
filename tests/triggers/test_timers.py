"""SLA and idle timers: each fires exactly once, on business time, on PostgreSQL and SQLite.

Scans run with explicit times (``scan_timers(session, now=...)``); the dates are in a
week of 2030 (Friday 22 November to Tuesday 26), so no real clock gets in the way.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import Factory
from triggers.timers import scan_idle, scan_sla, scan_timers
from webapp.commands.attach_sla import attach_sla
from webapp.extensions import db
from webapp.models import (
    BusinessCalendar,
    Event,
    Holiday,
    IdleRule,
    Item,
    ItemSla,
    Message,
    SlaPolicy,
    SlaTarget,
    Status,
    TimerFiring,
)

FRI = dt.datetime(2030, 11, 22)
SAT, SUN, MON, TUE = (FRI + dt.timedelta(days=n) for n in (1, 2, 3, 4))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(day: dt.datetime, hhmm: str) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return day.replace(hour=hours, minute=minutes)


def office_policy(make: Factory, name: str = "Gold", holidays: tuple[dt.date, ...] = (),
                  warning: int = 30, first_response: int = 60,
                  resolution: int = 240) -> SlaPolicy:
    """Mon–Fri 09:00–17:00 UTC; first response in 60 and resolution in 240 business minutes,
    warned 30 minutes before."""
    calendar = BusinessCalendar(name=f"{name} hours", timezone="UTC",
                                hours={day: [["09:00", "17:00"]] for day in WEEKDAYS},
                                holidays=[Holiday(day=d) for d in holidays])
    policy = SlaPolicy(name=name, calendar=calendar, warning_minutes=warning, targets=[
        SlaTarget(first_response_minutes=first_response, resolution_minutes=resolution)])
    make.session.add(policy)
    make.session.commit()
    return policy


def item_with_sla(make: Factory, policy: SlaPolicy, created: dt.datetime,
                  title: str = "Printer") -> Item:
    project = make.project()
    item = make.item(project, title=title, created_at=created, status_changed_at=created)
    clock = attach_sla(make.session, item, policy)
    assert clock is not None
    make.session.commit()
    return item


def sla_events(make: Factory, item: Item | None = None) -> list[tuple[str, str]]:
    make.session.expire_all()
    query = select(Event).where(Event.type.in_(("sla.warning", "sla.breached")))
    if item is not None:
        query = query.where(Event.subject_id == item.id)
    return [(e.type, e.data["target"]) for e in make.session.scalars(query.order_by(Event.id))]


def concurrently(app: Flask, scan: Any, now: dt.datetime, threads: int = 2) -> list[Any]:
    """``scan(session, now)`` in several threads at once, each with its own session."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []

    def run() -> None:
        with app.app_context():
            session = Session(bind=db.engine)
            try:
                barrier.wait()
                results.append(scan(session, now))
            except Exception as exc:  # noqa: BLE001  (reported below)
                results.append(exc)
            finally:
                session.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return results


# ---------------------------------------------------------------- SLA


def test_due_times_follow_business_hours_and_holidays(make: Factory) -> None:
    policy = office_policy(make)
    friday_evening = item_with_sla(make, policy, at(FRI, "16:45"))
    clock = make.session.scalars(select(ItemSla).where(
        ItemSla.item_id == friday_evening.id)).one()
    # 15 minutes on Friday, the rest on Monday morning.
    assert clock.first_response_due_at == at(MON, "09:45")
    assert clock.first_response_warn_at == at(MON, "09:15")
    assert clock.resolution_due_at == at(MON, "12:45")
    assert clock.resolution_warn_at == at(MON, "12:15")

    holiday_policy = office_policy(make, "Gold with holiday", holidays=(MON.date(),))
    over_holiday = item_with_sla(make, holiday_policy, at(FRI, "16:45"))
    clock = make.session.scalars(select(ItemSla).where(
        ItemSla.item_id == over_holiday.id)).one()
    assert clock.first_response_due_at == at(TUE, "09:45")


def test_sla_warning_and_breach_fire_once_respecting_business_hours(
        app: Flask, make: Factory) -> None:
    policy = office_policy(make)
    item = item_with_sla(make, policy, at(FRI, "16:45"))
    holiday_policy = office_policy(make, "Gold with holiday", holidays=(MON.date(),))
    on_holiday = item_with_sla(make, holiday_policy, at(FRI, "16:45"), title="Holiday")

    # Friday evening and the whole weekend are outside business hours: nothing is due.
    for now in (at(FRI, "17:30"), at(SAT, "12:00"), at(SUN, "23:59"), at(MON, "09:00")):
        assert scan_timers(make.session, now) == 0, now
    assert sla_events(make) == []

    assert scan_timers(make.session, at(MON, "09:20")) == 1
    assert scan_timers(make.session, at(MON, "09:20")) == 0
    assert sla_events(make) == [("sla.warning", "first_response")]
    assert scan_timers(make.session, at(MON, "09:50")) == 1
    assert scan_timers(make.session, at(MON, "10:30")) == 0
    assert sla_events(make) == [("sla.warning", "first_response"),
                                ("sla.breached", "first_response")]
    # Later scans that pass both resolution times at once fire both, still once each.
    assert scan_timers(make.session, at(MON, "13:00")) == 2
    assert scan_timers(make.session, at(MON, "16:00")) == 0
    assert sla_events(make, item) == [
        ("sla.warning", "first_response"), ("sla.breached", "first_response"),
        ("sla.warning", "resolution"), ("sla.breached", "resolution")]
    # Monday was a holiday for the other calendar: nothing of it is due before Tuesday.
    assert sla_events(make, on_holiday) == []
    assert scan_timers(make.session, at(TUE, "09:50")) == 2
    assert sla_events(make, on_holiday) == [("sla.warning", "first_response"),
                                            ("sla.breached", "first_response")]

    event = make.session.scalars(select(Event).where(
        Event.type == "sla.breached", Event.subject_id == item.id).order_by(Event.id)).first()
    assert event.data["target"] == "first_response"
    assert event.subject_type == "item"
    assert event.data["item_id"] == item.id and event.data["policy"] == "Gold"
    assert event.data["due_at"] == at(MON, "09:45").isoformat()
    assert event.processed_at is None  # for the hub to match against recipes
    firings = make.session.scalars(select(TimerFiring.timer).where(
        TimerFiring.item_id == item.id).order_by(TimerFiring.id)).all()
    assert firings == ["sla.first_response.warning", "sla.first_response.breached",
                       "sla.resolution.warning", "sla.resolution.breached"]


def test_concurrent_scans_fire_each_timer_once(app: Flask, make: Factory) -> None:
    policy = office_policy(make)
    items = [item_with_sla(make, policy, at(FRI, "16:45"), title=f"Item {n}")
             for n in range(3)]
    results = concurrently(app, scan_sla, at(MON, "09:50"), threads=3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 2 * len(items)
    assert scan_sla(make.session, at(MON, "09:50")) == 0
    for item in items:
        assert sla_events(make, item) == [("sla.warning", "first_response"),
                                          ("sla.breached", "first_response")]


def test_public_staff_reply_stops_first_response_and_done_stops_resolution(
        app: Flask, make: Factory) -> None:
    policy = office_policy(make)
    agent = make.user("Agent")
    customer = make.customer()
    answered = item_with_sla(make, policy, at(MON, "10:00"), title="Answered")
    not_answered = item_with_sla(make, policy, at(MON, "10:00"), title="Only notes")
    late = item_with_sla(make, policy, at(MON, "10:00"), title="Answered late")
    make.session.add_all([
        Message(item_id=answered.id, author_user_id=agent.id, is_public=True,
                body_html="<p>On it</p>", created_at=at(MON, "10:20")),
        # Neither a private note nor the customer's own message is a first response.
        Message(item_id=not_answered.id, author_user_id=agent.id, is_public=False,
                body_html="<p>note</p>", created_at=at(MON, "10:20")),
        Message(item_id=not_answered.id, author_customer_id=customer.id, is_public=True,
                body_html="<p>any news?</p>", created_at=at(MON, "10:25")),
        # Answered after the due time, and no scan ran in between: still a breach.
        Message(item_id=late.id, author_user_id=agent.id, is_public=True,
                body_html="<p>Sorry</p>", created_at=at(MON, "11:30")),
    ])
    make.session.commit()

    assert scan_timers(make.session, at(MON, "11:40")) == 3
    assert sla_events(make, answered) == []
    assert sla_events(make, not_answered) == [("sla.warning", "first_response"),
                                              ("sla.breached", "first_response")]
    assert sla_events(make, late) == [("sla.breached", "first_response")]
    clock = make.session.scalars(select(ItemSla).where(ItemSla.item_id == answered.id)).one()
    assert clock.first_responded_at == at(MON, "10:20")

    # Done (a status of the done category) before the resolution time stops that timer.
    solved = make.session.scalars(select(Status).where(
        Status.item_type_id == answered.item_type_id, Status.name == "Solved")).one()
    answered.status = solved
    make.session.flush()
    answered.status_changed_at = at(MON, "13:00")
    make.session.commit()
    assert scan_timers(make.session, at(MON, "15:00")) == 4  # the other two, both targets
    assert sla_events(make, answered) == []
    clock = make.session.scalars(select(ItemSla).where(ItemSla.item_id == answered.id)).one()
    assert clock.resolved_at == at(MON, "13:00")
    assert scan_timers(make.session, at(TUE, "15:00")) == 0


# ---------------------------------------------------------------- idle


def test_idle_rule_fires_once_per_status_entry(app: Flask, make: Factory) -> None:
    project = make.project()
    start = at(FRI, "10:00")
    item = make.item(project, title="Stuck", created_at=start, status_changed_at=start)
    other = make.item(project, title="Moving", created_at=start, status_changed_at=start)
    new, open_ = (make.session.scalars(select(Status).where(
        Status.item_type_id == item.item_type_id, Status.name == name)).one()
        for name in ("New", "Open"))
    assert item.status_id == new.id
    rule = IdleRule(name="New for 2 hours", status_id=new.id, hours=2)
    make.session.add(rule)
    other.status = open_
    make.session.commit()

    def idle_events() -> list[tuple[int, str]]:
        make.session.expire_all()
        return [(e.subject_id, e.data["since"]) for e in make.session.scalars(
            select(Event).where(Event.type == "ticket.idle").order_by(Event.id))]

    assert scan_idle(make.session, at(FRI, "11:59")) == 0
    assert scan_idle(make.session, at(FRI, "12:00")) == 1
    assert concurrently(app, scan_idle, at(FRI, "15:00")) == [0, 0]
    assert scan_idle(make.session, at(SAT, "12:00")) == 0
    assert idle_events() == [(item.id, start.isoformat())]
    event = make.session.scalars(select(Event).where(Event.type == "ticket.idle")).one()
    assert event.data["rule"] == "New for 2 hours" and event.data["status"] == "New"

    # Out of the status and back in: a new stay, which may go idle again (once).
    item.status = open_
    make.session.commit()
    item.status = new
    make.session.flush()
    back = at(MON, "09:00")
    item.status_changed_at = back
    make.session.commit()
    assert scan_idle(make.session, at(MON, "10:00")) == 0
    assert scan_idle(make.session, at(MON, "11:00")) == 1
    assert scan_idle(make.session, at(MON, "18:00")) == 0
    assert idle_events() == [(item.id, start.isoformat()), (item.id, back.isoformat())]

    # A disabled rule fires nothing.
    rule.enabled = False
    make.session.commit()
    item.status_changed_at = at(TUE, "09:00")
    make.session.commit()
    assert scan_idle(make.session, at(TUE, "18:00")) == 0
