"""Public web forms: the portal's new-request page and any active form by its slug, also
embedded in an iframe (``?embed=1``), with their thank-you pages. POSTs are rate limited
per client address; a refused POST shows the page again with every answer kept (422)."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.models import Item, WebForm
from webapp.portal import portal_bp
from webapp.portal.limits import over_limit
from webapp.portal.session import current_customer, open_or_signed_in
from webapp.portal.visibility import item_clause
from webapp.web_forms.fields import default_request_form, form_fields, portal_form
from webapp.web_forms.submission import read_entry, submit

Page = Response | tuple[str, int] | str
# What the thank-you page shows after the redirect (kept out of the URL: no ids to guess).
DONE_KEY = "portal_form_done"


def _embed_args() -> dict[str, str]:
    """``embed=1`` carried over to links and redirects of an embedded form."""
    return {"embed": "1"} if request.args.get("embed") == "1" else {}


def _serve(form: WebForm | None, done: str, **route: Any) -> Page:
    customer = current_customer()
    fields = form_fields(form, signed_in=customer is not None)
    embed = _embed_args()
    context: dict[str, Any] = {"form": form, "fields": fields, "values": {}, "errors": {},
                               "embedded": bool(embed),
                               "action": url_for(request.endpoint or "", **route, **embed),
                               "is_request": form is None or not form.is_survey}
    if request.method == "POST":
        if over_limit("PUBLIC_FORM_RATE_LIMIT", "public-form", request.remote_addr or ""):
            return render_template("portal/form_limited.html", **context), 429
        entry = read_entry(fields, request.form, request.files)
        context["values"] = entry.raw
        try:
            outcome = submit(db.session, g.portal, form, fields, customer, entry)
        except Invalid as exc:
            context["errors"] = exc.messages
            return render_template("portal/form.html", **context), 422
        session[DONE_KEY] = {"form": form.id if form else None,
                             "item": outcome.item.id if outcome.item else None}
        return redirect(url_for(done, **route, **embed))
    return render_template("portal/form.html", **context)


def _done(form: WebForm | None, again: str, **route: Any) -> str:
    shown = session.pop(DONE_KEY, None) or {}
    customer = current_customer()
    item = None
    if shown.get("form") == (form.id if form else None) and shown.get("item"):
        # Linked only when the customer may open it (a visitor who gave an e-mail may not).
        item = db.session.scalar(select(Item).where(
            Item.id == shown["item"], item_clause(g.portal, customer)))
    embed = _embed_args()
    return render_template("portal/form_done.html", form=form, item=item,
                           embedded=bool(embed), again=url_for(again, **route, **embed))


@portal_bp.route("/new", methods=["GET", "POST"])
@open_or_signed_in
def new_request() -> Page:
    """The portal's request form: its first active request form, else subject + text."""
    return _serve(default_request_form(g.portal), "portal.new_request_done")


@portal_bp.get("/new/done")
@open_or_signed_in
def new_request_done() -> str:
    return _done(default_request_form(g.portal), "portal.new_request")


def _form_or_404(slug: str) -> WebForm:
    form = portal_form(g.portal, slug)
    if form is None:
        abort(404)
    return form


@portal_bp.route("/forms/<slug>", methods=["GET", "POST"])
@open_or_signed_in
def web_form(slug: str) -> Page:
    """Any active form of this portal by its slug (others: 404)."""
    return _serve(_form_or_404(slug), "portal.web_form_done", slug=slug)


@portal_bp.get("/forms/<slug>/done")
@open_or_signed_in
def web_form_done(slug: str) -> str:
    return _done(_form_or_404(slug), "portal.web_form", slug=slug)
