"""Billing an organization's hours through Stripe, exactly once.

``stripe.bill_hours`` invoices the billable timesheet entries not billed yet, one invoice line
per project at the project's hourly rate (else the organization's, else the recipe's default).

Exactly once, whatever dies when:

1. the plan (which entries, which lines) is written and committed before Stripe is called:
   a ``billing_run`` for this delivery, and a ``billing_line`` per entry (unique: an entry can
   be in one run only, so two deliveries never bill the same hours);
2. every POST to Stripe carries an idempotency key from the delivery's journal, stored before
   the call, so a retry, a worker taking over, or a replay repeats the same requests and Stripe
   answers them with what it did the first time;
3. the entries are marked invoiced, the run finished and the customer link kept in the same
   commit as the delivery's success; a replay of a finished run calls nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import fields, validate
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from connectors.base import JSON
from connectors.errors import Permanent, Retryable
from connectors.money import format_money
from connectors.stripe import ORG_METADATA_KEY, InvoiceOptions, id_list, minor_units
from hub.actions.connector import Binding, ConnectorContext, Done, bind
from webapp.models import (
    BillingLine,
    BillingRun,
    BillingStatus,
    Item,
    Organization,
    Project,
    Timesheet,
    utcnow,
)

SCOPES = ("organization", "item")


class BillHoursForm(InvoiceOptions):
    organization = fields.String(load_default="{{ organization.id }}", metadata={
        "label": "Organization (name or id)", "help": "whose hours are billed (template)"})
    scope = fields.String(load_default="organization", validate=validate.OneOf(SCOPES),
                          metadata={"label": "Hours of", "help": "organization: every project "
                                    "of the organization; item: only the event's item"})
    email = fields.Email(load_default=None, allow_none=True, metadata={
        "label": "Billing e-mail", "help": "for a new Stripe customer, e.g. "
        "{{ requester.email }}"})
    default_rate = fields.Decimal(load_default=None, allow_none=True,
                                  validate=validate.Range(min=0), metadata={
                                      "label": "Default hourly rate",
                                      "help": "when neither the project nor the organization "
                                              "has one"})


def _organization(cc: ConnectorContext, ref: Any) -> Organization:
    text = str(ref).strip()
    org = cc.session.get(Organization, int(text)) if text.isdigit() else None
    if org is None:
        org = cc.session.scalars(select(Organization).where(
            func.lower(Organization.name) == text.lower())).first()
    if org is None:
        raise Permanent(f"no organization {text!r}")
    return org


def _run_of(cc: ConnectorContext) -> BillingRun | None:
    return cc.session.scalars(select(BillingRun).where(
        BillingRun.delivery_id == cc.ctx.delivery.id)
        .execution_options(populate_existing=True)).first()


def _unbilled(cc: ConnectorContext, org: Organization, scope: str) -> list[Timesheet]:
    query = (select(Timesheet).join(Item, Timesheet.item_id == Item.id)
             .join(Project, Item.project_id == Project.id)
             .where(Timesheet.billable.is_(True), Timesheet.invoiced_at.is_(None),
                    ~exists().where(BillingLine.timesheet_id == Timesheet.id)))
    if scope == "item":
        if cc.ctx.item is None:
            raise Permanent("scope 'item' needs an event about an item")
        query = query.where(Timesheet.item_id == cc.ctx.item.id)
    else:
        query = query.where(Project.organization_id == org.id)
    return list(cc.session.scalars(query.order_by(Project.id, Timesheet.work_date,
                                                  Timesheet.id)))


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _lines(org: Organization, entries: list[Timesheet], currency: str,
           default_rate: Decimal | None) -> list[dict[str, Any]]:
    by_project: dict[int, list[Timesheet]] = {}
    for entry in entries:
        by_project.setdefault(entry.item.project_id, []).append(entry)
    lines, unrated = [], []
    for group in by_project.values():
        project = group[0].item.project
        rate = project.hourly_rate if project.hourly_rate is not None else (
            org.hourly_rate if org.hourly_rate is not None else default_rate)
        if rate is None:
            unrated.append(project.name)
            continue
        hours = sum((Decimal(e.hours) for e in group), Decimal(0))
        first_day = min(e.work_date for e in group)
        last_day = max(e.work_date for e in group)
        period = first_day.isoformat() if first_day == last_day else \
            f"{first_day.isoformat()} – {last_day.isoformat()}"
        lines.append({
            "reference": f"project-{project.id}",
            "description": f"{project.name}: {_hours(hours)} h × "
                           f"{format_money(rate, currency)} ({period})"[:500],
            "quantity": str(hours), "unit_amount": str(rate),
            # Never cut inside an id: the ids that do not fit are counted.
            "metadata": {"relaydesk_project_id": str(project.id),
                         "timesheets": id_list(e.id for e in group)},
        })
    if unrated:
        raise Permanent(f"no hourly rate for project(s) {', '.join(sorted(unrated))}: set one on "
                        "the project or the organization, or a default rate in the recipe")
    return lines


def _plan(cc: ConnectorContext, org: Organization, params: dict[str, Any]) -> BillingRun | None:
    """Reserve the unbilled hours for this delivery (committed before any call)."""
    currency = params["currency"].lower()
    entries = _unbilled(cc, org, params["scope"])
    if not entries:
        return None
    lines = _lines(org, entries, currency, params.get("default_rate"))
    total = sum(minor_units(Decimal(line["quantity"]) * Decimal(line["unit_amount"]), currency)
                for line in lines)
    run = _run_of(cc)
    if run is None:
        run = BillingRun(delivery_id=cc.ctx.delivery.id, connection_id=cc.connection.id)
        cc.session.add(run)
    run.organization_id, run.currency, run.lines = org.id, currency, lines
    run.total_minor, run.status = total, BillingStatus.PLANNED
    run.reserved = [BillingLine(timesheet_id=entry.id) for entry in entries]
    try:
        cc.session.commit()
    except IntegrityError as exc:
        # Another delivery reserved some of these hours meanwhile: plan again next attempt.
        cc.session.rollback()
        raise Retryable("the hours were being billed by another delivery; planning again") \
            from exc
    return run


def prepare(cc: ConnectorContext, params: dict[str, Any]) -> dict[str, Any] | Done:
    org = _organization(cc, params["organization"])
    run = _run_of(cc)
    if run is not None and run.status == BillingStatus.INVOICED:
        return Done(_summary(run, replayed=True))
    if run is None or run.status == BillingStatus.RELEASED:
        cc.journal.forget_unanswered()
        run = _plan(cc, org, params)
        if run is None:
            return Done({"skipped": "no billable hours to invoice", "organization": org.name})
    elif run.organization_id != org.id:
        raise Permanent(f"this delivery is billing organization {run.organization_id}, "
                        f"not {org.id}")
    return {
        "organization_id": str(org.id), "name": org.name, "email": params.get("email"),
        "customer_id": cc.link("organization", org.id, "customer"),
        "currency": run.currency, "lines": run.lines,
        "collection_method": params["collection_method"],
        "days_until_due": params["days_until_due"], "description": params.get("description"),
        "finalize": params["finalize"],
        "metadata": {**(params.get("metadata") or {}), ORG_METADATA_KEY: str(org.id),
                     "relaydesk_billing_run": str(run.id)},
    }


def apply(cc: ConnectorContext, inputs: dict[str, Any], result: JSON) -> dict[str, Any]:
    customer, invoice = result["customer"], result["invoice"]
    run = _run_of(cc)
    if run is None:  # cannot happen: prepare planned it
        raise Permanent("the billing run of this delivery disappeared")
    cc.keep_link("organization", int(inputs["organization_id"]), "customer", customer["id"])
    now = utcnow()
    run.status = BillingStatus.INVOICED
    run.stripe_customer_id, run.stripe_invoice_id = customer["id"], invoice["id"]
    run.invoice_url = invoice.get("hosted_invoice_url")
    run.finished_at = now
    for line in run.reserved:
        entry = cc.session.get(Timesheet, line.timesheet_id)
        if entry is not None and entry.invoiced_at is None:
            entry.invoiced_at, entry.invoice_ref = now, str(invoice["id"])
    return _summary(run, invoice_status=invoice.get("status"))


def _summary(run: BillingRun, replayed: bool = False,
             invoice_status: str | None = None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "billing_run": run.id, "organization_id": run.organization_id,
        "customer": run.stripe_customer_id, "invoice": run.stripe_invoice_id,
        "invoice_url": run.invoice_url, "currency": run.currency, "total": run.total_minor,
        "hours": _hours(sum((Decimal(line["quantity"]) for line in run.lines), Decimal(0))),
        "timesheets": len(run.reserved),
    }
    if invoice_status is not None:
        summary["status"] = invoice_status
    if replayed:
        summary["note"] = "already invoiced by this delivery; nothing was sent again"
    return summary


def release(cc: ConnectorContext, error: Permanent) -> None:
    """Stripe refused the work before any invoice existed: free the hours (and the keys that
    went unanswered) so a later delivery, or a replay, plans afresh."""
    session = cc.session
    session.rollback()
    run = _run_of(cc)
    if run is None or run.status != BillingStatus.PLANNED:
        return
    if cc.journal.recorded("invoice") is not None:
        return  # an invoice exists in Stripe: keep the plan, a replay finishes it
    run.status = BillingStatus.RELEASED
    run.reserved = []
    run.finished_at = utcnow()
    cc.journal.forget_unanswered()
    session.commit()


BILL_HOURS = bind(Binding(
    name="stripe.bill_hours", label="Stripe: invoice an organization's billable hours",
    connector="stripe", action="bill", form=BillHoursForm, prepare=prepare, apply=apply,
    on_permanent=release))
