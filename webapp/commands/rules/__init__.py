"""Per-model rules plugged into the shared write check; importing this registers them."""

from webapp.commands.rules import (
    automation,
    items,
    messages,
    people,
    projects,
    timesheets,
    workflow,
)

__all__ = ["automation", "items", "messages", "people", "projects", "timesheets", "workflow"]
