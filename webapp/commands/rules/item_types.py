"""Rules for item types: a new type starts with the default workflow of its kind."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import ItemType


def start_with_default_workflow(session: Session, item_type: ItemType, viewer: Viewer,
                                is_new: bool) -> None:
    """Without statuses no item of the type could be created; the copy is the type's own
    (edited under Statuses like any other)."""
    if not is_new or item_type.kind is None or item_type.statuses:
        return
    from webapp.seed import default_statuses  # seed builds on the commands, not the reverse

    item_type.statuses = default_statuses(item_type.kind, item_type.name)


rules_for(ItemType).prepare.append(start_with_default_workflow)
