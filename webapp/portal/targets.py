"""Where a request made through a portal (or its widget) lands."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import ItemKind, ItemType, Portal, Project, SupportAddress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestTarget:
    project_id: int
    item_type: ItemType


def request_target(portal: Portal, project: Project | None = None,
                   item_type: ItemType | None = None) -> RequestTarget:
    """The given project/type, else the portal's, else the default support address's, else
    the default ticket type; a portal with no project anywhere cannot take requests."""
    support = db.session.scalar(select(SupportAddress).where(SupportAddress.enabled.is_(True))
                                .order_by(SupportAddress.is_default.desc(), SupportAddress.id)
                                .limit(1))
    project_id = (project.id if project else None) or portal.project_id or (
        support.project_id if support else None)
    chosen = item_type or portal.item_type or (support.item_type if support else None) or \
        db.session.scalar(select(ItemType).where(ItemType.kind == ItemKind.TICKET)
                          .order_by(ItemType.is_default.desc(), ItemType.id).limit(1))
    if project_id is None or chosen is None:
        log.warning("portal %r cannot take requests: no project (set one under Customer apps "
                    "→ Portals, or add a default support address)", portal.slug)
        raise Invalid({"_schema": [_(
            "This help center cannot take requests yet. Please contact us by e-mail.")]})
    return RequestTarget(project_id=project_id, item_type=chosen)
