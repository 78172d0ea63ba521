"""Who may see which rows: one visibility rule per scoped model, used everywhere."""

# The rules of inbound mail and of every other model register themselves on import, so every
# mapped model has one wherever visibility is asked (a test checks it).
from webapp.access import mail as _mail_rule  # noqa: F401
from webapp.access import rules as _other_rules  # noqa: F401
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
