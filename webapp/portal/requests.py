"""The signed-in customer's requests: list and search, one request's public thread, replies
with files, following, and downloads of the thread's attachments."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ColumnElement, func, or_, select
from werkzeug.wrappers import Response

from webapp.commands.attach_file import attachment_store
from webapp.commands.customer_requests import Upload, add_reply, set_following
from webapp.commands.errors import Invalid
from webapp.content.html import sanitize_html
from webapp.extensions import db
from webapp.models import Customer, Item, PortalVisibility, Status, StatusCategory
from webapp.models.items import item_follower_customer
from webapp.portal import portal_bp
from webapp.portal.chats import chat_history
from webapp.portal.form_answers import form_answers
from webapp.portal.session import current_customer, customer_required
from webapp.portal.visibility import (
    item_clause,
    public_messages,
    visible_attachment,
    visible_item,
)
from webapp.widget.conversations import public_staff_name

PAGE_SIZE = 20
STATES = ("open", "closed", "all")


def _customer() -> Customer:
    customer = current_customer()
    assert customer is not None  # guaranteed by customer_required
    return customer


def _own(customer: Customer) -> ColumnElement[bool]:
    """Requested or followed by the customer: the "my requests" tab."""
    followed = select(item_follower_customer.c.item_id).where(
        item_follower_customer.c.customer_id == customer.id)
    return or_(Item.requester_id == customer.id, Item.id.in_(followed))


def wider_scope(customer: Customer) -> str | None:
    """The second tab's name when the portal shows more than the customer's own requests."""
    visibility = g.portal.visibility
    if visibility == PortalVisibility.ALL:
        return "all"
    if visibility == PortalVisibility.ORGANIZATION and customer.organization_id:
        return "organization"
    return None


def _first_error(messages: Any) -> str:
    if isinstance(messages, dict):
        for value in messages.values():
            return _first_error(value)
    if isinstance(messages, list) and messages:
        return _first_error(messages[0])
    return str(messages)


@portal_bp.get("/requests/")
@customer_required
def requests() -> str:
    """Visible requests, newest activity first, by title text and open/closed."""
    customer = _customer()
    wider = wider_scope(customer)
    scope = request.args.get("scope") if request.args.get("scope") == wider else "mine"
    state = request.args.get("state") if request.args.get("state") in STATES else "open"
    text = " ".join((request.args.get("q") or "").split())[:200]
    page = max(1, request.args.get("page", 1, type=int) or 1)

    query = select(Item).join(Status, Item.status_id == Status.id).where(
        item_clause(g.portal, customer))
    if scope == "mine":
        query = query.where(_own(customer))
    if state == "open":
        query = query.where(Status.category != StatusCategory.DONE)
    elif state == "closed":
        query = query.where(Status.category == StatusCategory.DONE)
    if text:
        query = query.where(Item.title.icontains(text, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    items = list(db.session.scalars(query.order_by(Item.updated_at.desc(), Item.id.desc())
                                    .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return render_template("portal/requests.html", items=items, total=total, page=page,
                           pages=pages, scope=scope, wider=wider, state=state, q=text,
                           chats=chat_history(customer))


def _show(item: Item, status: int = 200, **context: Any) -> tuple[str, int]:
    customer = _customer()
    messages = public_messages(item)
    bodies = {m.id: Markup(sanitize_html(m.body_html)) for m in messages}
    context.setdefault("reply_text", "")
    context.setdefault("errors", {})
    return render_template(
        "portal/request_show.html", item=item, messages=messages, bodies=bodies,
        following=customer in item.follower_customers, customer=customer,
        staff_name=public_staff_name, answers=form_answers(item), **context), status


@portal_bp.get("/requests/<int:item_id>")
@customer_required
def request_show(item_id: int) -> tuple[str, int]:
    """A visible request and its public thread (the private one never reaches customers)."""
    return _show(visible_item(g.portal, _customer(), item_id))


@portal_bp.post("/requests/<int:item_id>/reply")
@customer_required
def request_reply(item_id: int) -> Response | tuple[str, int]:
    """A public reply with optional files; a done ticket reopens."""
    customer = _customer()
    item = visible_item(g.portal, customer, item_id)
    text = request.form.get("body") or ""
    uploads = [Upload(stream=f.stream, filename=f.filename)
               for f in request.files.getlist("files") if f and f.filename]
    try:
        add_reply(db.session, customer, item, text, uploads)
    except Invalid as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"body": exc.messages}
        errors = {key: _first_error(value) for key, value in messages.items()}
        db.session.refresh(item)
        return _show(item, 422, reply_text=text, errors=errors)
    flash(_("Your reply was sent."), "success")
    return redirect(url_for("portal.request_show", item_id=item.id))


@portal_bp.post("/requests/<int:item_id>/follow")
@customer_required
def request_follow(item_id: int) -> Response:
    """Follow (``follow=1``) or stop following (``follow=0``) a visible request."""
    customer = _customer()
    item = visible_item(g.portal, customer, item_id)
    follow = request.form.get("follow") == "1"
    set_following(db.session, customer, item, follow)
    if follow:
        flash(_("You follow this request: we will e-mail you its updates."), "success")
    else:
        flash(_("You no longer follow this request."), "success")
    still_visible = db.session.scalar(select(Item.id).where(
        Item.id == item.id, item_clause(g.portal, customer)))
    if still_visible is None:  # it was visible only because the customer followed it
        return redirect(url_for("portal.requests"))
    return redirect(url_for("portal.request_show", item_id=item.id))


@portal_bp.get("/attachments/<int:attachment_id>")
@customer_required
def attachment(attachment_id: int) -> Response:
    """A file of a visible public message: always downloaded, never rendered or sniffed."""
    found = visible_attachment(g.portal, _customer(), attachment_id)
    path = attachment_store().path(found.storage_key)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response

