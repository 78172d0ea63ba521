"""Staff screens of the customer apps, in one menu."""

from __future__ import annotations

from typing import Any

from webapp.views import chat, knowledge, portals, satisfaction, web_forms

MENU = "Customer apps"


def register_customer_app_views(appbuilder: Any) -> None:
    for part in (portals, web_forms, chat, knowledge, satisfaction):
        part.register(appbuilder, MENU)
