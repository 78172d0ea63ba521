"""Visibility of inbound mail: staff see the mail of items they may see, and mail without an
item (rejected or ignored) that came to a support address of a project they may see. Only
admins see mail that reached no support address. Importing this registers the rule."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from webapp.access.scope import RULES, Viewer
from webapp.models import InboundMail, Item, Project, SupportAddress


def inbound_mail_rule(viewer: Viewer) -> ColumnElement[bool]:
    if not viewer.is_staff:
        return false()
    items = select(Item.id).where(RULES[Item](viewer))
    projects = select(Project.id).where(RULES[Project](viewer))
    addresses = select(SupportAddress.id).where(SupportAddress.project_id.in_(projects))
    return or_(InboundMail.item_id.in_(items),
               and_(InboundMail.item_id.is_(None),
                    InboundMail.support_address_id.in_(addresses)))


RULES[InboundMail] = inbound_mail_rule
