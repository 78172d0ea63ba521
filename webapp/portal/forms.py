"""SCAFFOLD (helper B replaces): new request and public web forms."""

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.route("/new", methods=["GET", "POST"])
def new_request() -> str:
    return render_template("portal/scaffold.html", what="new request")
