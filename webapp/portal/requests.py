"""SCAFFOLD (helper A replaces): the customer's requests."""

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.get("/requests/")
def requests() -> str:
    return render_template("portal/scaffold.html", what="requests")
