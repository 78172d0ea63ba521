"""The widget's loader script (``widget.js``) and the snippet that includes it."""

from __future__ import annotations

import json
import os
import re

from flask import current_app, g, url_for
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.wrappers import Response

from webapp.models import Portal
from webapp.portal.links import external_url
from webapp.widget import widget_bp

LOADER = os.path.join("widget", "widget.js")
CACHE_SECONDS = 300  # a changed colour or label reaches websites within minutes
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
DEFAULT_COLOUR = "#1f6feb"


def _loader_body(static_folder: str) -> str:
    with open(os.path.join(static_folder, LOADER), encoding="utf-8") as handle:
        return handle.read()


def snippet(portal: Portal) -> str:
    """``<script src=".../widget/<slug>/widget.js" async></script>`` on ``PUBLIC_URL``."""
    src = external_url("widget.script", portal_slug=portal.slug)
    return f'<script src="{escape(src)}" async></script>'


@widget_bp.get("/widget.js")
def script() -> Response:
    """The loader: a launcher button and the panel's iframe. It carries only the portal's
    colour and its own labels (in the visitor's language), never anything of staff."""
    config = {
        "panel": url_for("widget.panel", _external=True),
        # Only a colour goes into the host page's style sheet.
        "colour": g.portal.primary_colour if _COLOUR.match(g.portal.primary_colour or "")
        else DEFAULT_COLOUR,
        "open": _("Chat with us"),
        "close": _("Close"),
        "title": g.portal.name,
    }
    body = _loader_body(current_app.static_folder or "")
    # The loader's code runs inside a function so that it adds no globals to the host page.
    source = f"(function (config) {{\n{body}\n}})({json.dumps(config)});\n"
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response.headers["Vary"] = "Accept-Language"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
