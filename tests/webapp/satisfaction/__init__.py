"""Tests of satisfaction surveys; ``solved_ticket`` builds what they rate."""

from __future__ import annotations

from typing import Any

from tests.factories import Factory
from webapp.models import Customer, Item, Project, StatusCategory


def solved_ticket(make: Factory, requester: Customer, project: Project | None = None,
                  **kw: Any) -> Item:
    """A ticket of ``requester`` moved to a done status (committed)."""
    item = make.item(project or make.project(), requester_id=requester.id, **kw)
    item.status = next(s for s in item.item_type.statuses
                       if s.category == StatusCategory.DONE)
    make.session.commit()
    return item
