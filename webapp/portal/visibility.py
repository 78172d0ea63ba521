"""What a customer may see in a portal. Every portal and widget route asks here; anything
else is a 404, so ids of other customers' rows cannot even be confirmed to exist."""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, and_, select

from webapp.access.customers import customer_item_clause
from webapp.extensions import db
from webapp.models import Attachment, Customer, Item, Message, Portal


def item_clause(portal: Portal, customer: Customer | None) -> ColumnElement[bool]:
    """Items the customer sees in this portal (nothing without a customer). The rule lives
    in the domain layer: the e-mail intake threads replies by it too."""
    return customer_item_clause(portal, customer)


def visible_item(portal: Portal, customer: Customer | None, item_id: int) -> Item:
    item = db.session.scalar(select(Item).where(Item.id == item_id,
                                                item_clause(portal, customer)))
    if item is None:
        abort(404)
    return item


def message_clause(portal: Portal, customer: Customer | None) -> ColumnElement[bool]:
    """Public messages of visible items; the private thread never reaches a customer."""
    return and_(Message.is_public.is_(True),
                Message.item_id.in_(select(Item.id).where(item_clause(portal, customer))))


def public_messages(item: Item) -> list[Message]:
    """The public thread of an item already known to be visible, oldest first."""
    return list(db.session.scalars(
        select(Message).where(Message.item_id == item.id, Message.is_public.is_(True))
        .order_by(Message.created_at, Message.id)))


def visible_attachment(portal: Portal, customer: Customer | None,
                       attachment_id: int) -> Attachment:
    """An attachment of a public message of a visible item (files on private notes or
    filed by staff without a message stay internal)."""
    attachment = db.session.scalar(
        select(Attachment).join(Message, Attachment.message_id == Message.id)
        .where(Attachment.id == attachment_id, message_clause(portal, customer)))
    if attachment is None:
        abort(404)
    return attachment
