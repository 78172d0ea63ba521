"""SCAFFOLD (helper D replaces): the knowledge base."""

from flask import render_template

from webapp.portal import portal_bp


@portal_bp.get("/kb/")
def kb_index() -> str:
    return render_template("portal/scaffold.html", what="knowledge base")
