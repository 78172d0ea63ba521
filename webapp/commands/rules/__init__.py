"""Per-model rules plugged into the shared write check; importing this registers them."""

from webapp.commands.rules import (
    automation,
    billing,
    item_types,
    items,
    mail,
    messages,
    people,
    projects,
    timesheets,
    workflow,
)

__all__ = ["automation", "billing", "item_types", "items", "mail", "messages", "people",
           "projects", "timesheets", "workflow"]
