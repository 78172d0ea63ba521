"""Staff screens of the customer apps, in one menu."""

from __future__ import annotations

from typing import Any

MENU = "Customer apps"


def register_customer_app_views(appbuilder: Any) -> None:
    # Each part adds its own screens (portal, forms, chat, knowledge base, satisfaction).
    pass
