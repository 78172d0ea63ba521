"""Everything a recipe can do; importing this package registers the actions."""

from hub.actions import billing, connector, crm, internal, mail, notify
from hub.actions.registry import REGISTRY, ActionContext, ActionSpec, describe, get_action

__all__ = ["REGISTRY", "ActionContext", "ActionSpec", "billing", "connector", "crm", "describe",
           "get_action", "internal", "mail", "notify"]
