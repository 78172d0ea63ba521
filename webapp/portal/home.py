"""SCAFFOLD (helper A replaces): the portal's front page."""

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.get("/")
def home() -> str:
    return render_template("portal/scaffold.html", what="home")
