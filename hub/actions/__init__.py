"""Everything a recipe can do; importing this package registers the actions."""

from hub.actions import billing, connector, create, crm, internal, mail, notify, webhook
from hub.actions.registry import REGISTRY, ActionContext, ActionSpec, describe, get_action

__all__ = ["REGISTRY", "ActionContext", "ActionSpec", "billing", "connector", "create", "crm",
           "describe", "get_action", "internal", "mail", "notify", "webhook"]
