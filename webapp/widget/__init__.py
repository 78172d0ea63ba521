"""The messenger widget: a script any website can include, its panel (chat, new request, my
requests, knowledge base) and the visitor's chat API.

Every route lives under ``/widget/<portal_slug>/``; the slug picks the portal (``g.portal``),
as for the portal's own pages, and the signed-in portal customer (if the browser sends the
portal's cookie) is ``g.portal_customer``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g

from webapp.models import Portal

# The name "widget" makes these customer pages (webapp.i18n.CUSTOMER_BLUEPRINTS).
widget_bp = Blueprint("widget", __name__, url_prefix="/widget/<portal_slug>")


@widget_bp.url_value_preprocessor
def _pick_portal(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    from webapp.portal import load_portal

    g.portal = load_portal((values or {}).pop("portal_slug", ""))


@widget_bp.before_request
def _pick_customer() -> None:
    from webapp.portal.session import load_customer

    load_customer()


@widget_bp.url_defaults
def _add_portal_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "portal_slug" not in values and getattr(g, "portal", None) is not None:
        values["portal_slug"] = g.portal.slug


def snippet(portal: Portal) -> str:
    """The one ``<script>`` tag an admin copies into a website to show ``portal``'s widget."""
    from webapp.widget.script import snippet as script_snippet

    return script_snippet(portal)


def init_widget(app: Flask) -> None:
    # The route modules add their routes to ``widget_bp`` when imported (once per process).
    from webapp.widget import api, panel, script  # noqa: F401

    app.register_blueprint(widget_bp)
