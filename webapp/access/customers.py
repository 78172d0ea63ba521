"""What a customer sees of items: the rule of the portal (own requests, the organization's,
or every ticket), here in the domain layer so that the portal, the widget and the e-mail
intake (which may not import the portal) all ask the same question."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from webapp.models import (
    Customer,
    Event,
    Item,
    ItemKind,
    Portal,
    PortalVisibility,
    SignInLink,
)
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


def _taking_requests(session: Session, project_id: int) -> Portal | None:
    return session.scalar(select(Portal).where(Portal.project_id == project_id)
                          .order_by(Portal.is_default.desc(), Portal.id).limit(1))


def _first_project_id(session: Session, item: Item) -> int | None:
    """The project ``item`` was made in (its ``….created`` event), before any move."""
    made = session.scalar(select(Event).where(
        Event.subject_type == Item.__tablename__, Event.subject_id == item.id,
        Event.type.like("%.created")).order_by(Event.id).limit(1))
    project_id = (made.data or {}).get("project_id") if made is not None else None
    return project_id if isinstance(project_id, int) else None


def serving_portal(session: Session, item: Item) -> Portal | None:
    """The portal customers follow ``item`` in: the one taking its project's requests (the
    default first among several); else, for an item a recipe moved (into its organization's
    project, say), the one taking the requests of the project it was made in; else the
    portal its requester last signed in to; else the default portal; None when there is no
    portal. Mail threading, rating links and survey mail all ask this one question."""
    portal = _taking_requests(session, item.project_id)
    first = _first_project_id(session, item) if portal is None else None
    if portal is None and first is not None and first != item.project_id:
        portal = _taking_requests(session, first)
    if portal is None and item.requester_id is not None:
        portal = session.scalar(
            select(Portal).join(SignInLink, SignInLink.portal_id == Portal.id)
            .where(SignInLink.customer_id == item.requester_id, SignInLink.used_at.is_not(None))
            .order_by(SignInLink.used_at.desc(), SignInLink.id.desc()).limit(1))
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
