"""HubSpot with Relaydesk's people and tickets: the ids HubSpot gives are kept as external
links, so the next sync updates the same objects instead of searching (or duplicating)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from connectors.base import JSON
from connectors.errors import Permanent
from connectors.hubspot import PRIORITIES
from connectors.names import split_name
from hub.actions.connector import Binding, ConnectorContext, bind
from webapp.models import Customer, Organization


def _customer(cc: ConnectorContext, ref: str | None) -> Customer:
    session = cc.session
    if ref:
        text = ref.strip()
        found = session.get(Customer, int(text)) if text.isdigit() else session.scalars(
            select(Customer).where(func.lower(Customer.email) == text.lower())).first()
        if found is None:
            raise Permanent(f"no customer {text!r}")
        return found
    data = cc.ctx.data
    person = data.get("customer") or data.get("requester")
    if not person:
        raise Permanent("this event has no customer or requester; name one")
    found = session.get(Customer, person["id"])
    if found is None:
        raise Permanent(f"customer {person['id']} no longer exists")
    return found


def _names(customer: Customer) -> tuple[str | None, str | None]:
    """First and last name as CRMs want them ("Müller, Bernd", "Dr. Anna Schmidt")."""
    return split_name(customer.name)


def _company(cc: ConnectorContext, org: Organization | None) -> dict[str, Any]:
    if org is None or not org.domains:
        return {}
    return {"company_domain": sorted(d.domain for d in org.domains)[0],
            "company_name": org.name, "company_id": cc.link("organization", org.id, "company")}


class SyncCustomerForm(Schema):
    customer = fields.String(load_default=None, allow_none=True, metadata={
        "label": "Customer (e-mail or id)",
        "help": "empty: the event's customer, or the item's requester"})


def prepare_sync(cc: ConnectorContext, params: dict[str, Any]) -> dict[str, Any]:
    customer = _customer(cc, params.get("customer"))
    first, last = _names(customer)
    return {"email": customer.email, "firstname": first, "lastname": last,
            "phone": customer.phone, "contact_id": cc.link("customer", customer.id, "contact"),
            **_company(cc, customer.organization)}


def apply_sync(cc: ConnectorContext, inputs: dict[str, Any], result: JSON) -> dict[str, Any]:
    contact, company = result["contact"], result.get("company")
    customer = cc.session.scalars(select(Customer).where(
        Customer.email == inputs["email"])).first()
    if customer is not None:
        cc.keep_link("customer", customer.id, "contact", contact["id"])
        if company is not None and customer.organization_id is not None:
            cc.keep_link("organization", customer.organization_id, "company", company["id"])
    return {"contact_id": contact["id"], "company_id": company["id"] if company else None,
            "email": inputs["email"]}


class MirrorTicketForm(Schema):
    pipeline = fields.String(load_default="0", metadata={"label": "Pipeline id"})
    stage = fields.String(load_default="4", metadata={
        "label": "Pipeline stage id", "help": "4 is Closed in HubSpot's default pipeline"})
    subject = fields.String(load_default="[Relaydesk #{{ item.id }}] {{ item.title }}",
                            validate=validate.Length(min=1, max=1000),
                            metadata={"label": "Subject (template)"})


def _priority(value: int) -> str:
    return PRIORITIES[0] if value <= 1 else PRIORITIES[1] if value <= 3 else PRIORITIES[2]


def prepare_mirror(cc: ConnectorContext, params: dict[str, Any]) -> dict[str, Any]:
    item = cc.ctx.item
    if item is None:
        raise Permanent("this event is not about an item")
    inputs: dict[str, Any] = {
        "subject": params["subject"],
        "content": (cc.ctx.data.get("item") or {}).get("description") or None,
        "pipeline": params["pipeline"], "stage": params["stage"],
        "priority": _priority(item.priority),
        "ticket_id": cc.link("item", item.id, "ticket"),
    }
    if item.requester is not None:
        first, last = _names(item.requester)
        inputs.update(contact_email=item.requester.email, contact_firstname=first,
                      contact_lastname=last,
                      contact_id=cc.link("customer", item.requester.id, "contact"))
    return inputs


def apply_mirror(cc: ConnectorContext, inputs: dict[str, Any], result: JSON) -> dict[str, Any]:
    item = cc.ctx.item
    ticket, contact = result["ticket"], result.get("contact")
    if item is not None:
        cc.keep_link("item", item.id, "ticket", ticket["id"])
        if contact is not None and item.requester is not None:
            cc.keep_link("customer", item.requester.id, "contact", contact["id"])
    return {"ticket_id": ticket["id"], "contact_id": contact["id"] if contact else None}


SYNC_CUSTOMER = bind(Binding(
    name="hubspot.sync_customer", label="HubSpot: sync customer and organization",
    connector="hubspot", action="sync_contact_company", form=SyncCustomerForm,
    prepare=prepare_sync, apply=apply_sync))

MIRROR_TICKET = bind(Binding(
    name="hubspot.mirror_ticket", label="HubSpot: mirror ticket with its contact",
    connector="hubspot", action="mirror_ticket", form=MirrorTicketForm,
    prepare=prepare_mirror, apply=apply_mirror, needs_item=True))
