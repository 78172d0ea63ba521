"""Who the signed-in customer is: kept in the session apart from the staff login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from webapp.extensions import db
from webapp.models import Customer, utcnow

CUSTOMER_KEY = "portal_customer_id"
F = TypeVar("F", bound=Callable[..., Any])


def load_customer() -> None:
    """Before each portal/widget request: ``g.portal_customer`` (or None)."""
    customer_id = session.get(CUSTOMER_KEY)
    customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer_id is not None and customer is None:
        session.pop(CUSTOMER_KEY, None)  # the customer was deleted
    g.portal_customer = customer


def current_customer() -> Customer | None:
    return getattr(g, "portal_customer", None)


def sign_in(customer: Customer) -> None:
    """Start a customer session (a fresh one: nothing of the previous visitor carries over)."""
    locale = session.get("portal_locale")
    session.clear()
    if locale:
        session["portal_locale"] = locale
    session[CUSTOMER_KEY] = customer.id
    session.permanent = True
    customer.last_sign_in_at = utcnow()
    g.portal_customer = customer


def sign_out() -> None:
    session.pop(CUSTOMER_KEY, None)
    g.portal_customer = None


def customer_required(view: F) -> F:
    """Pages for signed-in customers: others go to the sign-in page and come back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_customer() is None:
            return redirect(url_for("portal.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def open_or_signed_in(view: F) -> F:
    """Pages open to anyone when the portal needs no login (knowledge base, web forms)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.portal.login_required and current_customer() is None:
            return redirect(url_for("portal.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
