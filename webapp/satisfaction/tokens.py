"""Signed, expiring rating links: the token names the ticket and its requester, so that
one click in an e-mail is proof enough and no sign-in is needed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp.access.customers import serving_portal
from webapp.extensions import db
from webapp.models import Item, Portal
from webapp.models.satisfaction import RATING_SCALE
from webapp.portal.links import external_url

SALT = "relaydesk.satisfaction-rating"
#: How long a rating link works after it was mailed.
MAX_AGE = dt.timedelta(days=30)


class BadRatingLink(Exception):
    """The token was not made by this app (tampered, truncated or foreign): 400."""

    status = 400


class ExpiredRatingLink(Exception):
    """The token is genuine but too old: 410."""

    status = 410


@dataclass(frozen=True)
class RatingClaim:
    """What a valid token says: this customer may rate this ticket."""

    item_id: int
    customer_id: int


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(item_id: int, customer_id: int) -> str:
    return _serializer().dumps([item_id, customer_id])


def read_token(token: str, max_age: dt.timedelta = MAX_AGE) -> RatingClaim:
    """The claim of a token; BadRatingLink or ExpiredRatingLink otherwise."""
    try:
        payload = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise ExpiredRatingLink("the rating link has expired") from exc
    except BadSignature as exc:
        raise BadRatingLink("the rating link is not valid") from exc
    if (not isinstance(payload, list) or len(payload) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in payload)):
        raise BadRatingLink("the rating link is not valid")
    return RatingClaim(item_id=payload[0], customer_id=payload[1])


def rating_portal(item: Item) -> Portal:
    """The portal the requester follows the ticket in (``serving_portal``: its project's,
    else the one it came in through before a recipe moved it, else the requester's, else
    the default), so that the link opens the portal the customer knows."""
    portal = serving_portal(db.session, item)
    if portal is None:
        raise LookupError("no customer portal exists to rate tickets in: create one under "
                          "Customer apps → Portals")
    return portal


def rating_url(item: Item, score: int | None = None) -> str:
    """The absolute one-click link that rates ``item`` with ``score`` (None: choose)."""
    if item.requester_id is None:
        raise ValueError(f"ticket #{item.id} has no requester to rate it")
    if score is not None and score not in RATING_SCALE:
        raise ValueError(f"a rating is a score from {RATING_SCALE[0]} to {RATING_SCALE[-1]}")
    values: dict[str, object] = {"portal_slug": rating_portal(item).slug,
                                 "token": make_token(item.id, item.requester_id)}
    if score is not None:
        values["score"] = score
    return external_url("portal.rate", **values)


def rating_url_for(item_id: int, score: int | None = None) -> str:
    """``rating_url`` by ticket id: the recipe templates' global (they see plain data)."""
    item = db.session.get(Item, item_id)
    if item is None:
        raise LookupError(f"no ticket #{item_id}")
    return rating_url(item, score)
