"""Customer sign-in (password, or a one-time link by e-mail), sign-out and account settings."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from connectors.errors import ActionError
from webapp.extensions import db
from webapp.i18n import CUSTOMER_LOCALES
from webapp.models import Customer, OrganizationDomain, SignInLink, utcnow
from webapp.portal import portal_bp
from webapp.portal import session as customer_session
from webapp.portal.limits import over_limit, seconds_to_wait
from webapp.portal.links import external_url
from webapp.portal.mailer import send_customer_mail
from webapp.portal.session import current_customer, customer_required

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
Page = Response | tuple[str, int] | str


# --- rate limits ---------------------------------------------------------------------------

def _rate_limited(setting: str, scope: str, *key: str) -> tuple[str, int, dict[str, str]]:
    """The 429 page, with the seconds to wait in Retry-After."""
    wait = seconds_to_wait(setting, scope, *key)
    return (render_template("portal/rate_limited.html", minutes=max(1, -(-wait // 60))), 429,
            {"Retry-After": str(wait)})


# --- sign-in --------------------------------------------------------------------------------

def _email(raw: str | None) -> str:
    return (raw or "").strip().lower()


def _valid_email(email: str) -> bool:
    local, _at, domain = email.partition("@")
    return bool(local and "." in domain and len(email) <= 254 and
                not any(c.isspace() for c in email) and "@" not in domain)


def _safe_next(raw: str | None) -> str:
    """``next`` when it is a relative path inside this portal, else the requests list."""
    prefix = f"/portal/{g.portal.slug}/"
    if raw and "\\" not in raw:
        parts = urlsplit(raw)
        if not parts.scheme and not parts.netloc and parts.path.startswith(prefix):
            return raw
    return url_for("portal.requests")


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def _sign_in_page(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("email", "")
    context.setdefault("errors", {})
    context.setdefault("next", request.values.get("next", ""))
    return render_template("portal/sign_in.html", **context), status


@portal_bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Page:
    """The sign-in page; its POST checks an e-mail and password."""
    if request.method == "GET":
        return _sign_in_page()
    email = _email(request.form.get("email"))
    password = request.form.get("password") or ""
    if over_limit("PORTAL_SIGN_IN_RATE_LIMIT", "portal-sign-in", request.remote_addr or "",
                   email):
        return _rate_limited("PORTAL_SIGN_IN_RATE_LIMIT", "portal-sign-in",
                             request.remote_addr or "", email)
    customer = db.session.scalar(select(Customer).where(Customer.email == email)) \
        if email else None
    # The same work and the same answer for an unknown address and a wrong password.
    stored = customer.password_hash if customer and customer.password_hash else _dummy_hash()
    if not (check_password_hash(stored, password) and customer and customer.password_hash):
        return _sign_in_page(401, email=email, errors={
            "password": _("Wrong e-mail address or password.")})
    customer_session.sign_in(customer)
    db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_customer(email: str) -> Customer:
    """A self-signed-up customer, in the organization that owns the e-mail's domain."""
    domain = email.rsplit("@", 1)[-1]
    organization_id = db.session.scalar(
        select(OrganizationDomain.organization_id).where(OrganizationDomain.domain == domain))
    customer = Customer(email=email, organization_id=organization_id)
    db.session.add(customer)
    return customer


def _send_link(customer: Customer, next_url: str) -> None:
    """A new one-time link for ``customer`` (flushed, not committed), sent by e-mail."""
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["PORTAL_LINK_MINUTES"]
    db.session.add(SignInLink(customer=customer, portal_id=g.portal.id,
                              token_hash=_token_hash(token),
                              expires_at=utcnow() + dt.timedelta(minutes=minutes)))
    db.session.flush()
    values = {"token": token, "next": next_url} if next_url else {"token": token}
    link = external_url("portal.link_sign_in", **values)
    text = _("Hello,\n\nopen this link to sign in to %(portal)s:\n\n%(link)s\n\n"
             "The link works once and expires in %(minutes)s minutes. If you did not ask "
             "for it, you can ignore this e-mail.\n",
             portal=g.portal.name, link=link, minutes=minutes)
    send_customer_mail(customer.email, _("Your sign-in link for %(portal)s",
                                         portal=g.portal.name), text,
                       sender_name=g.portal.name)


@portal_bp.post("/sign-in/link")
def request_link() -> Page:
    """E-mail a one-time sign-in link; the answer never tells whether the address is known."""
    email = _email(request.form.get("email"))
    if not _valid_email(email):
        return _sign_in_page(422, email=email, errors={
            "link_email": _("Enter a valid e-mail address.")})
    if over_limit("PORTAL_LINK_RATE_LIMIT", "portal-link", email):
        return _rate_limited("PORTAL_LINK_RATE_LIMIT", "portal-link", email)
    next_url = request.form.get("next") or ""
    next_url = _safe_next(next_url) if next_url else ""
    customer = db.session.scalar(select(Customer).where(Customer.email == email))
    if customer is None and g.portal.self_signup:
        customer = _new_customer(email)
    if customer is not None:
        try:
            _send_link(customer, next_url)
        except ActionError as exc:
            db.session.rollback()  # no customer, no link: the visitor simply tries again
            log.warning("sign-in link to %s not sent: %s", email, exc)
            return render_template("portal/portal_mail_failed.html"), 503
        db.session.commit()
    return render_template("portal/link_sent.html", email=email)


@portal_bp.get("/sign-in/<token>")
def link_sign_in(token: str) -> Page:
    """Follow a one-time link: valid once, until it expires."""
    link = db.session.scalar(select(SignInLink).where(
        SignInLink.token_hash == _token_hash(token), SignInLink.portal_id == g.portal.id))
    if link is None:
        return render_template("portal/link_invalid.html", reason="unknown"), 404
    now = utcnow()
    if link.used_at is not None or link.expires_at <= now:
        reason = "used" if link.used_at is not None else "expired"
        return render_template("portal/link_invalid.html", reason=reason), 410
    # Mark it used only if nobody else did meanwhile (two clicks racing).
    claimed = db.session.execute(update(SignInLink).where(
        SignInLink.id == link.id, SignInLink.used_at.is_(None)).values(used_at=now))
    if claimed.rowcount != 1:
        db.session.rollback()
        return render_template("portal/link_invalid.html", reason="used"), 410
    customer_session.sign_in(link.customer)
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")))


@portal_bp.post("/sign-out")
def sign_out() -> Response:
    customer_session.sign_out()
    flash(_("You are signed out."), "success")
    return redirect(url_for("portal.home"))


# --- account settings -------------------------------------------------------------------------

@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones a customer may choose."""
    return tuple(sorted(available_timezones()))


def _profile_errors(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if len(form["name"]) > 200:
        errors["name"] = _("Use at most %(count)s characters.", count=200)
    if form["locale"] and form["locale"] not in CUSTOMER_LOCALES:
        errors["locale"] = _("Choose one of the languages offered.")
    if form["time_zone"] and form["time_zone"] not in time_zones():
        errors["time_zone"] = _("Unknown time zone: choose one from the list.")
    return errors


def _password_errors(customer: Customer, current: str, new: str,
                     confirm: str) -> dict[str, str]:
    errors = {}
    if customer.password_hash and not check_password_hash(customer.password_hash, current):
        errors["current_password"] = _("Your current password is not correct.")
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = _("Use at least %(count)s characters.",
                                   count=MIN_PASSWORD_LENGTH)
    elif new != confirm:
        errors["confirm_password"] = _("The two passwords do not match.")
    return errors


def _account_page(customer: Customer, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("form", {"name": customer.name or "", "locale": customer.locale or "",
                                "time_zone": customer.time_zone or ""})
    context.setdefault("errors", {})
    return render_template("portal/account.html", customer=customer, time_zones=time_zones(),
                           min_password=MIN_PASSWORD_LENGTH, **context), status


@portal_bp.route("/account", methods=["GET", "POST"])
@customer_required
def account() -> Page:
    """Name, language, time zone and password of the signed-in customer."""
    customer = current_customer()
    assert customer is not None
    if request.method == "GET":
        return _account_page(customer)
    if request.form.get("action") == "password":
        errors = _password_errors(customer, request.form.get("current_password") or "",
                                  request.form.get("new_password") or "",
                                  request.form.get("confirm_password") or "")
        if errors:
            return _account_page(customer, 422, errors=errors)
        customer.password_hash = generate_password_hash(request.form["new_password"])
        db.session.commit()
        flash(_("Your password is saved."), "success")
        return redirect(url_for("portal.account"))
    form = {key: (request.form.get(key) or "").strip() for key in ("name", "locale", "time_zone")}
    errors = _profile_errors(form)
    if errors:
        return _account_page(customer, 422, form=form, errors=errors)
    customer.name = form["name"] or None
    customer.locale = form["locale"] or None
    customer.time_zone = form["time_zone"] or None
    db.session.commit()
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("portal.account"))
