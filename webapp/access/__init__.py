"""Who may see which rows: one visibility rule per scoped model, used everywhere."""

from webapp.access.scope import (
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLE_COLLABORATOR,
    ROLE_READ_ONLY,
    Viewer,
    current_viewer,
    is_visible,
    visibility_clause,
    visible_query,
)

__all__ = [
    "ROLE_ADMIN", "ROLE_AGENT", "ROLE_COLLABORATOR", "ROLE_READ_ONLY", "Viewer",
    "current_viewer", "is_visible", "visibility_clause", "visible_query",
]
