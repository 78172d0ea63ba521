"""Rows the connector tests share: a connection, an organization with billable hours, and
running the hub in-process (the embedded default's way) on the ``app`` fixture."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import Factory, timesheet
from webapp.access.scope import SYSTEM
from webapp.models import (
    Connection,
    Customer,
    Event,
    Item,
    Organization,
    OrganizationDomain,
    Project,
    Timesheet,
    User,
)


def connection(app: Flask, session: Session, connector: str, base_url: str,
               credentials: dict[str, str], name: str | None = None) -> Connection:
    """A connection saved the way the API saves one (credentials encrypted)."""
    from webapp.commands.connections import app_cipher, save_connection

    with app.app_context():
        cipher = app_cipher(app)
    row = save_connection(session, cipher, SYSTEM, {
        "name": name or f"{connector} test", "connector": connector, "base_url": base_url,
        "credentials": credentials})
    session.commit()
    return row


@dataclass
class BillingWorld:
    org: Organization
    requester: Customer
    web: Project  # the organization's rate (100)
    support: Project  # its own rate (150)
    other: Project  # another organization's
    agent: User
    billable: list[Timesheet]  # 2.5 h + 1.5 h on web, 2 h on support
    not_billable: Timesheet
    foreign: Timesheet
    ticket: Item


def billing_world(make: Factory) -> BillingWorld:
    s = make.session
    org = Organization(name="Acme Clinics", hourly_rate=Decimal("100.00"))
    org.domains.append(OrganizationDomain(domain="acme.example"))
    s.add(org)
    s.commit()
    requester = make.customer("maria@acme.example", name="Maria Silva",
                              organization_id=org.id)
    web = make.project(name="Acme website")
    web.organization_id = org.id
    support = make.project(name="Acme support")
    support.organization_id, support.hourly_rate = org.id, Decimal("150.00")
    other = make.project(name="Someone else's")
    s.commit()
    agent = make.user("Agent")
    page = make.item(web, title="New landing page", requester_id=requester.id)
    fix = make.item(support, title="Printer queue", requester_id=requester.id)
    elsewhere = make.item(other, title="Not theirs")
    billable = [
        timesheet(make, page, agent, "2.5", work_date=dt.date(2026, 11, 2)),
        timesheet(make, page, agent, "1.5", work_date=dt.date(2026, 11, 3)),
        timesheet(make, fix, agent, "2", work_date=dt.date(2026, 11, 4)),
    ]
    not_billable = timesheet(make, fix, agent, "1", billable=False)
    foreign = timesheet(make, elsewhere, agent, "3")
    ticket = make.item(support, title="[bill] month end", requester_id=requester.id)
    return BillingWorld(org, requester, web, support, other, agent, billable, not_billable,
                        foreign, ticket)


def unprocessed_events(app: Flask) -> list[int]:
    from webapp.extensions import db

    with app.app_context():
        ids = list(db.session.scalars(select(Event.id).where(Event.processed_at.is_(None))
                                      .order_by(Event.id)))
        db.session.remove()
    return ids


def run_hub(app: Flask) -> int:
    """Match every unprocessed event, then run whatever is due (in this process)."""
    from hub import work
    from webapp.automation import app_runtime

    rt = app_runtime(app)
    work.process_events(unprocessed_events(app), rt)
    return work.run_due_deliveries(rt)


def invoiced(session: Session, ids: list[int]) -> list[tuple[Any, Any]]:
    session.expire_all()
    return [(session.get(Timesheet, i).invoiced_at, session.get(Timesheet, i).invoice_ref)
            for i in ids]
