"""SCAFFOLD (helper A replaces): sign-in (password or one-time link), sign-out, settings."""

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str:
    return render_template("portal/scaffold.html", what="sign in")


@portal_bp.post("/sign-out")
def sign_out() -> str:
    return render_template("portal/scaffold.html", what="sign out")


@portal_bp.route("/account", methods=["GET", "POST"])
def account() -> str:
    return render_template("portal/scaffold.html", what="account")
