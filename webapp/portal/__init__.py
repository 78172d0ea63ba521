"""The customer portal: its own blueprint, sign-in and pages, apart from the staff screens.

Every route lives under ``/portal/<portal_slug>/``; the slug picks the portal (branding,
sign-in rule, visibility) and is available as ``g.portal``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.models import Portal

portal_bp = Blueprint("portal", __name__, url_prefix="/portal/<portal_slug>")
portal_root_bp = Blueprint("portal_root", __name__)


def load_portal(slug: str) -> Portal:
    """The portal named by ``slug`` or a 404."""
    portal = db.session.scalar(select(Portal).where(Portal.slug == slug))
    if portal is None:
        abort(404)
    return portal


def default_portal() -> Portal | None:
    return db.session.scalar(
        select(Portal).order_by(Portal.is_default.desc(), Portal.id).limit(1))


@portal_bp.url_value_preprocessor
def _pick_portal(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.portal = load_portal((values or {}).pop("portal_slug", ""))


@portal_bp.before_request
def _pick_customer() -> None:
    from webapp.portal.session import load_customer

    load_customer()


@portal_bp.url_defaults
def _add_portal_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "portal_slug" not in values and getattr(g, "portal", None) is not None:
        values["portal_slug"] = g.portal.slug


@portal_bp.errorhandler(404)
def _not_found(exc: NotFound) -> Any:
    """A portal page in the viewer's language (not the server's English one); files and
    unknown portals keep the plain 404."""
    if getattr(g, "portal", None) is None or request.endpoint in ("portal.attachment",
                                                                    "portal.logo"):
        return exc
    return render_template("portal/not_found.html",
                           embedded=request.args.get("embed") == "1"), 404


@portal_root_bp.get("/portal/")
def portal_root() -> Response:
    """The default portal."""
    portal = default_portal()
    if portal is None:
        abort(404)
    return redirect(url_for("portal.home", portal_slug=portal.slug))


def init_portal(app: Flask) -> None:
    # The page modules add their routes to ``portal_bp`` when imported.
    from webapp.portal import (  # noqa: F401
        account,
        branding,
        chats,
        forms,
        home,
        knowledge,
        requests,
        satisfaction,
    )
    app.register_blueprint(portal_bp)
    app.register_blueprint(portal_root_bp)
