"""What a customer sees of items: the rule of the portal (own requests, the organization's,
or every ticket), here in the domain layer so that the portal, the widget and the e-mail
intake (which may not import the portal) all ask the same question."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from webapp.models import Customer, Item, ItemKind, Portal, PortalVisibility
from webapp.models.items import item_follower_customer


def _follows(customer: Customer) -> ColumnElement[bool]:
    return exists().where(item_follower_customer.c.item_id == Item.id,
                          item_follower_customer.c.customer_id == customer.id)


def customer_item_clause(portal: Portal, customer: Customer | None) -> ColumnElement[bool]:
    """Items the customer sees in this portal (nothing without a customer)."""
    if customer is None or customer.id is None:
        return false()
    own = or_(Item.requester_id == customer.id, _follows(customer))
    if portal.visibility == PortalVisibility.ALL:
        return or_(own, Item.kind == ItemKind.TICKET)
    if portal.visibility == PortalVisibility.ORGANIZATION and customer.organization_id:
        colleagues = select(Customer.id).where(
            Customer.organization_id == customer.organization_id)
        return or_(own, Item.requester_id.in_(colleagues))
    return own


def serving_portal(session: Session, item: Item) -> Portal | None:
    """The portal customers follow ``item`` in: the one taking its project's requests (the
    default first among several), else the default portal; None when there is no portal."""
    portal = session.scalar(select(Portal).where(Portal.project_id == item.project_id)
                            .order_by(Portal.is_default.desc(), Portal.id).limit(1))
    if portal is not None:
        return portal
    return session.scalar(select(Portal).order_by(Portal.is_default.desc(), Portal.id)
                          .limit(1))


def customer_sees(session: Session, customer: Customer, item: Item) -> bool:
    """Whether ``customer`` sees ``item`` in the portal serving it; without a portal, only
    their own requests and the ones they follow."""
    if item.requester_id == customer.id or customer in item.follower_customers:
        return True
    portal = serving_portal(session, item)
    if portal is None:
        return False
    return session.scalar(select(Item.id).where(
        Item.id == item.id, customer_item_clause(portal, customer))) is not None
