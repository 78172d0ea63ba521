"""Rating links: signed for one ticket and requester, refused when tampered or too old."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from hub.templating import TemplateFailure, render
from tests.webapp.satisfaction import solved_ticket
from webapp.models import Portal
from webapp.satisfaction.tokens import (
    MAX_AGE,
    SALT,
    BadRatingLink,
    ExpiredRatingLink,
    RatingClaim,
    make_token,
    rating_url,
    read_token,
)


def _signed_at(app, payload, when: float, secret: str | None = None, salt: str = SALT) -> str:
    """A token as this app's serializer makes it, but stamped at ``when``."""
    serializer = URLSafeTimedSerializer(secret or app.config["SECRET_KEY"], salt=salt)
    signer = serializer.make_signer(salt)
    signer.get_timestamp = lambda: int(when)
    return signer.sign(serializer.dump_payload(payload)).decode()


def _respell_signature(token: str) -> str:
    signed, signature = token.rsplit(".", 1)
    return f"{signed}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_a_token_names_the_ticket_and_its_requester(app, make):
    token = make_token(41, 7)
    assert read_token(token) == RatingClaim(item_id=41, customer_id=7)


@pytest.mark.parametrize("spoil", [
    # The signature's first character changed: its last one may carry only padding bits,
    # which decode alike for several letters (a flaky test, 1 run in ~16, until this).
    lambda t: _respell_signature(t),
    lambda t: t.replace(t.split(".")[0], make_token(42, 7).split(".")[0]),  # payload swapped
    lambda t: t[: len(t) // 2],  # truncated
    lambda t: "not-a-token",
])
def test_tampered_tokens_are_refused(app, make, spoil):
    with pytest.raises(BadRatingLink):
        read_token(spoil(make_token(41, 7)))


def test_tokens_of_another_secret_or_purpose_are_refused(app, make):
    now = time.time()
    with pytest.raises(BadRatingLink):
        read_token(_signed_at(app, [41, 7], now, secret="another-secret-of-32-bytes-or-more!"))
    with pytest.raises(BadRatingLink):
        read_token(_signed_at(app, [41, 7], now, salt="relaydesk.sign-in"))
    with pytest.raises(BadRatingLink):  # genuine signature, wrong payload shape
        read_token(_signed_at(app, {"item": 41}, now))
    with pytest.raises(BadRatingLink):
        read_token(_signed_at(app, [True, 7], now))


def test_old_tokens_expire(app, make):
    fresh = _signed_at(app, [41, 7], time.time() - MAX_AGE.total_seconds() + 60)
    assert read_token(fresh).item_id == 41
    old = _signed_at(app, [41, 7], time.time() - MAX_AGE.total_seconds() - 60)
    with pytest.raises(ExpiredRatingLink):
        read_token(old)
    with pytest.raises(ExpiredRatingLink):
        read_token(_signed_at(app, [41, 7], time.time() - 120), max_age=dt.timedelta(minutes=1))


def test_rating_url_is_absolute_on_the_public_url_and_the_default_portal(app, make):
    maria = make.customer("maria@acme.example")
    ticket = solved_ticket(make, maria)
    url = rating_url(ticket, 5)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == app.config["PUBLIC_URL"].rstrip("/")
    assert parts.path.startswith("/portal/help/rate/")
    assert parse_qs(parts.query) == {"score": ["5"]}
    token = parts.path.rsplit("/", 1)[1]
    assert read_token(token) == RatingClaim(item_id=ticket.id, customer_id=maria.id)
    assert "score" not in rating_url(ticket)


def test_rating_url_prefers_the_portal_of_the_ticket_project(app, make):
    project = make.project()
    make.session.add(Portal(slug="acme", name="Acme help", project_id=project.id))
    make.session.commit()
    ticket = solved_ticket(make, make.customer(), project)
    assert "/portal/acme/rate/" in rating_url(ticket, 3)
    other = solved_ticket(make, make.customer())
    assert "/portal/help/rate/" in rating_url(other, 3)


def test_rating_url_refuses_what_cannot_be_rated(app, make):
    ticket = solved_ticket(make, make.customer())
    with pytest.raises(ValueError, match="from 1 to 5"):
        rating_url(ticket, 6)
    anonymous = make.item(make.project())
    with pytest.raises(ValueError, match="no requester"):
        rating_url(anonymous, 5)


def test_recipe_templates_can_call_rating_url(app, make):
    ticket = solved_ticket(make, make.customer())
    text = render("{{ rating_url(item.id, 4) }}", {"item": {"id": ticket.id}})
    assert text == rating_url(ticket, 4)
    with pytest.raises(TemplateFailure, match="no ticket #999999"):
        render("{{ rating_url(999999, 4) }}", {})
