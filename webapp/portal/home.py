"""The portal's front page: welcome text, the main destinations and a knowledge-base search."""

from __future__ import annotations

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.get("/")
def home() -> str:
    """Open to everyone: what lies behind each link decides whether a sign-in is needed."""
    return render_template("portal/home.html")
