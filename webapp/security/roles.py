"""The four built-in roles, as Flask-AppBuilder builtin roles (``FAB_ROLES``)."""

from __future__ import annotations

from webapp.access.scope import ROLE_ADMIN, ROLE_AGENT, ROLE_COLLABORATOR, ROLE_READ_ONLY
from webapp.security.resources import (
    COLLABORATOR_RESOURCES,
    CONFIG_RESOURCES,
    WORK_RESOURCES,
    resource_pattern,
)

_SECURITY_MENUS = (
    "Security", "List Users", "List Roles", "List Groups", "User's Statistics",
    "Base Permissions", "Views/Menus", "Permission on Views/Menus", "API Keys", "Action Log",
)
_STAFF_MENUS = ["^(?!(" + "|".join(_SECURITY_MENUS) + ")$).*$", "^menu_access$"]
_OWN_PROFILE = ["^(UserInfoEditView|ResetMyPasswordView|UserDBModelView)$",
                "^(can_this_form_get|can_this_form_post|can_userinfo|userinfoedit)$"]


def builtin_roles() -> dict[str, list[list[str]]]:
    all_resources = resource_pattern(WORK_RESOURCES + CONFIG_RESOURCES)
    return {
        ROLE_ADMIN: [[".*", ".*"]],
        ROLE_AGENT: [
            [resource_pattern(WORK_RESOURCES), "^can_(read|write)$"],
            [resource_pattern(CONFIG_RESOURCES), "^can_read$"],
            _STAFF_MENUS,
            _OWN_PROFILE,
        ],
        ROLE_COLLABORATOR: [
            [resource_pattern(COLLABORATOR_RESOURCES), "^can_(read|write)$"],
            [all_resources, "^can_read$"],
            _STAFF_MENUS,
            _OWN_PROFILE,
        ],
        ROLE_READ_ONLY: [
            [all_resources, "^can_read$"],
            _STAFF_MENUS,
            _OWN_PROFILE,
        ],
    }
