"""Portal sign-in (password and one-time links by e-mail), sign-out, rate limits, settings."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import Customer, OrganizationDomain, Portal, SignInLink, utcnow

PORTAL = "/portal/help"
PASSWORD = "correct horse battery"


def _get(app, client, url, **kw):
    with app.app_context():
        return client.get(url, **kw)


def _post(app, client, url, **kw):
    with app.app_context():
        return client.post(url, **kw)


def _customer(make, email="ana@client.example", password=PASSWORD, **kw) -> Customer:
    # pbkdf2 with few rounds: scrypt would cost ~0.1 s per check.
    hashed = generate_password_hash(password, method="pbkdf2:sha256:1000") if password else None
    return make.customer(email, password_hash=hashed, **kw)


def _signed_in_id(client) -> int | None:
    with client.session_transaction() as session:
        return session.get("portal_customer_id")


def _link_from(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/sign-in/\S+", text).group(0)


@contextmanager
def _limit(app, key, value):
    before = app.config[key]
    app.config[key] = value
    try:
        yield
    finally:
        app.config[key] = before


def test_password_sign_in_and_generic_refusal(app, client, make):
    ana = _customer(make)
    _customer(make, "nopass@client.example", password=None)

    page = _get(app, client, f"{PORTAL}/sign-in")
    assert page.status_code == 200
    assert 'name="password"' in page.get_data(as_text=True)

    wrong = _post(app, client, f"{PORTAL}/sign-in",
                  data={"email": "ana@client.example", "password": "wrong password!"})
    unknown = _post(app, client, f"{PORTAL}/sign-in",
                    data={"email": "nobody@client.example", "password": PASSWORD})
    no_password = _post(app, client, f"{PORTAL}/sign-in",
                        data={"email": "nopass@client.example", "password": ""})
    for refused in (wrong, unknown, no_password):
        assert refused.status_code == 401
        assert "Wrong e-mail address or password." in refused.get_data(as_text=True)
    assert _signed_in_id(client) is None

    ok = _post(app, client, f"{PORTAL}/sign-in",
               data={"email": " ANA@client.example ", "password": PASSWORD,
                     "next": f"{PORTAL}/account"})
    assert ok.status_code == 302
    assert ok.headers["Location"] == f"{PORTAL}/account"
    assert _signed_in_id(client) == ana.id
    make.session.expire_all()
    assert make.session.get(Customer, ana.id).last_sign_in_at is not None

    signed_out = _post(app, client, f"{PORTAL}/sign-out")
    assert signed_out.status_code == 302
    assert _signed_in_id(client) is None


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x",
                                    "/portal/other/requests/", "/admin/", "/\\evil.example"])
def test_next_outside_this_portal_goes_to_the_requests_list(app, client, make, target):
    _customer(make)
    ok = _post(app, client, f"{PORTAL}/sign-in",
               data={"email": "ana@client.example", "password": PASSWORD, "next": target})
    assert ok.headers["Location"] == f"{PORTAL}/requests/"


def test_sign_in_link_by_mail_works_once(app, client, make, mail_sink):
    mail_sink.clear()
    ana = _customer(make, password=None)
    sent = _post(app, client, f"{PORTAL}/sign-in/link",
                 data={"email": "ana@client.example", "next": f"{PORTAL}/requests/7"})
    assert sent.status_code == 200
    assert "a sign-in link is on its way" in sent.get_data(as_text=True)
    assert len(mail_sink.messages) == 1
    mail = mail_sink.messages[0]
    assert mail["To"] == "ana@client.example"
    assert "Help center" in str(mail["Subject"])
    link = _link_from(mail)

    token = re.search(r"/sign-in/([^?\s]+)", link).group(1)
    row = make.session.scalar(select(SignInLink).where(SignInLink.customer_id == ana.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # never the token
    assert token not in row.token_hash

    path = link.split("://", 1)[1].split("/", 1)[1]
    opened = _get(app, client, "/" + path)
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"{PORTAL}/requests/7"
    assert _signed_in_id(client) == ana.id

    again = app.test_client()
    reused = _get(app, again, "/" + path)
    assert reused.status_code == 410
    assert "already used" in reused.get_data(as_text=True)
    assert _signed_in_id(again) is None

    unknown = _get(app, again, f"{PORTAL}/sign-in/not-a-token")
    assert unknown.status_code == 404
    assert "Send me a new link" in unknown.get_data(as_text=True)


def test_expired_link_is_refused(app, client, make):
    ana = _customer(make, password=None)
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    make.session.add(SignInLink(customer_id=ana.id, portal_id=portal.id,
                                token_hash=hashlib.sha256(b"old-token").hexdigest(),
                                expires_at=utcnow() - dt.timedelta(minutes=1)))
    make.session.commit()
    expired = _get(app, client, f"{PORTAL}/sign-in/old-token")
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)
    assert _signed_in_id(client) is None


def test_link_of_another_portal_is_unknown_here(app, client, make):
    ana = _customer(make, password=None)
    other = Portal(slug="other", name="Other")
    make.session.add(other)
    make.session.commit()
    make.session.add(SignInLink(customer_id=ana.id, portal_id=other.id,
                                token_hash=hashlib.sha256(b"tok").hexdigest(),
                                expires_at=utcnow() + dt.timedelta(minutes=5)))
    make.session.commit()
    assert _get(app, client, f"{PORTAL}/sign-in/tok").status_code == 404


def test_self_signup_creates_the_customer_in_the_domain_organization(app, client, make,
                                                                     mail_sink):
    mail_sink.clear()
    org = make.organization("Acme")
    make.session.add(OrganizationDomain(organization_id=org.id, domain="acme.example"))
    make.session.commit()
    sent = _post(app, client, f"{PORTAL}/sign-in/link", data={"email": "New@Acme.example"})
    assert sent.status_code == 200
    created = make.session.scalar(select(Customer).where(Customer.email == "new@acme.example"))
    assert created is not None and created.organization_id == org.id
    assert [m["To"] for m in mail_sink.messages] == ["new@acme.example"]


def test_without_self_signup_unknown_addresses_get_the_same_page_and_no_mail(
        app, client, make, mail_sink):
    mail_sink.clear()
    portal = make.session.scalar(select(Portal).where(Portal.slug == "help"))
    portal.self_signup = False
    make.session.commit()
    _customer(make, "known@client.example", password=None)

    unknown = _post(app, client, f"{PORTAL}/sign-in/link", data={"email": "who@else.example"})
    known = _post(app, client, f"{PORTAL}/sign-in/link", data={"email": "known@client.example"})
    assert unknown.status_code == known.status_code == 200
    strip = re.compile(r"\S+@\S+\.example|csrf[^>]*>")
    assert strip.sub("", unknown.get_data(as_text=True)) == \
        strip.sub("", known.get_data(as_text=True))
    assert make.session.scalar(select(Customer).where(Customer.email == "who@else.example")) \
        is None
    assert [m["To"] for m in mail_sink.messages] == ["known@client.example"]


def test_bad_address_is_named(app, client, make):
    bad = _post(app, client, f"{PORTAL}/sign-in/link", data={"email": "not an address"})
    assert bad.status_code == 422
    assert "Enter a valid e-mail address." in bad.get_data(as_text=True)


def test_smtp_failure_keeps_nothing(app, client, make):
    from tests.hub.conftest import free_port

    with _limit(app, "SMTP_HOST", "127.0.0.1"), _limit(app, "SMTP_PORT", free_port()):
        failed = _post(app, client, f"{PORTAL}/sign-in/link",
                       data={"email": "fresh@client.example"})
    assert failed.status_code == 503
    assert "could not send you the sign-in link" in failed.get_data(as_text=True)
    make.session.expire_all()
    assert make.session.scalar(select(Customer).where(Customer.email == "fresh@client.example")) \
        is None
    assert make.session.scalar(select(SignInLink)) is None


def test_password_attempts_are_rate_limited_per_address_and_email(app, client, make):
    _customer(make)
    with _limit(app, "PORTAL_SIGN_IN_RATE_LIMIT", "3 per minute"):
        answers = [_post(app, client, f"{PORTAL}/sign-in",
                         data={"email": "ana@client.example", "password": "nope"}).status_code
                   for _ in range(4)]
        assert answers == [401, 401, 401, 429]
        blocked = _post(app, client, f"{PORTAL}/sign-in",
                        data={"email": "ana@client.example", "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Please wait" in blocked.get_data(as_text=True)
        assert int(blocked.headers["Retry-After"]) >= 1
        # Another e-mail from the same address has its own counter.
        other = _post(app, client, f"{PORTAL}/sign-in",
                      data={"email": "bob@client.example", "password": "nope"})
        assert other.status_code == 401
    assert _signed_in_id(client) is None


def test_link_requests_are_rate_limited_per_email(app, client, make, mail_sink):
    mail_sink.clear()
    _customer(make, password=None)
    with _limit(app, "PORTAL_LINK_RATE_LIMIT", "2 per hour"):
        answers = [_post(app, client, f"{PORTAL}/sign-in/link",
                         data={"email": "ana@client.example"}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert len(mail_sink.messages) == 2


def _signed_in(app, client, make, **kw) -> Customer:
    customer = _customer(make, **kw)
    response = _post(app, client, f"{PORTAL}/sign-in",
                     data={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 302
    return customer


def test_account_needs_a_customer(app, client):
    response = _get(app, client, f"{PORTAL}/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{PORTAL}/sign-in?next=")


def test_account_settings_are_validated_and_saved(app, client, make):
    ana = _signed_in(app, client, make)
    page = _get(app, client, f"{PORTAL}/account")
    assert page.status_code == 200 and "ana@client.example" in page.get_data(as_text=True)

    bad = _post(app, client, f"{PORTAL}/account", data={
        "action": "profile", "name": "Ana Lima", "locale": "pt", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Unknown time zone" in body and 'value="Ana Lima"' in body
    bad_locale = _post(app, client, f"{PORTAL}/account", data={
        "action": "profile", "name": "", "locale": "xx", "time_zone": ""})
    assert bad_locale.status_code == 422
    make.session.expire_all()
    assert make.session.get(Customer, ana.id).time_zone is None

    ok = _post(app, client, f"{PORTAL}/account", data={
        "action": "profile", "name": "Ana Lima", "locale": "pt",
        "time_zone": "America/Sao_Paulo"})
    assert ok.status_code == 302
    make.session.expire_all()
    saved = make.session.get(Customer, ana.id)
    assert (saved.name, saved.locale, saved.time_zone) == ("Ana Lima", "pt",
                                                           "America/Sao_Paulo")
    # The chosen language applies to the next page.
    assert '<html lang="pt">' in _get(app, client, f"{PORTAL}/account").get_data(as_text=True)


def test_password_change_rules(app, client, make):
    ana = _signed_in(app, client, make)
    for form, field_error in [
        ({"current_password": "wrong", "new_password": "a-new-long-pass",
          "confirm_password": "a-new-long-pass"}, "current password is not correct"),
        ({"current_password": PASSWORD, "new_password": "short",
          "confirm_password": "short"}, "at least 10 characters"),
        ({"current_password": PASSWORD, "new_password": "a-new-long-pass",
          "confirm_password": "another-pass!"}, "do not match"),
    ]:
        refused = _post(app, client, f"{PORTAL}/account", data={"action": "password", **form})
        assert refused.status_code == 422
        assert field_error in refused.get_data(as_text=True).lower() or \
            field_error in refused.get_data(as_text=True)
    ok = _post(app, client, f"{PORTAL}/account", data={
        "action": "password", "current_password": PASSWORD, "new_password": "a-new-long-pass",
        "confirm_password": "a-new-long-pass"})
    assert ok.status_code == 302
    make.session.expire_all()
    assert check_password_hash(make.session.get(Customer, ana.id).password_hash,
                               "a-new-long-pass")


def test_first_password_needs_no_current_one(app, client, make, mail_sink):
    mail_sink.clear()
    ana = _customer(make, password=None)
    _post(app, client, f"{PORTAL}/sign-in/link", data={"email": ana.email})
    link = _link_from(mail_sink.messages[-1])
    _get(app, client, "/" + link.split("://", 1)[1].split("/", 1)[1])
    page = _get(app, client, f"{PORTAL}/account").get_data(as_text=True)
    assert "Set a password" in page and "current_password" not in page
    ok = _post(app, client, f"{PORTAL}/account", data={
        "action": "password", "new_password": "first-password", "confirm_password":
        "first-password"})
    assert ok.status_code == 302
    make.session.expire_all()
    assert check_password_hash(make.session.get(Customer, ana.id).password_hash,
                               "first-password")
