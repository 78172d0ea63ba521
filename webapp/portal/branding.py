"""The portal's logo and colours."""

from __future__ import annotations

from flask import Response, abort, g

from webapp.portal import portal_bp


@portal_bp.get("/logo")
def logo() -> Response:
    portal = g.portal
    if not portal.logo:
        abort(404)
    response = Response(portal.logo, mimetype=portal.logo_content_type or "image/png")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
