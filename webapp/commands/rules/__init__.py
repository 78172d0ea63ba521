"""Per-model rules plugged into the shared write check; importing this registers them."""

from webapp.commands.rules import items, messages, projects, timesheets, workflow

__all__ = ["items", "messages", "projects", "timesheets", "workflow"]
