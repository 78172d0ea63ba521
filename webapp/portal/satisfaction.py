"""One-click satisfaction ratings: the link in the survey e-mail records the score and
shows a thank-you page where the requester may add a comment. No sign-in: the signed
token names the ticket and its requester, and only that ticket is ever shown."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from webapp.commands.errors import CommandError, Invalid
from webapp.extensions import db
from webapp.models import Customer, Item
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating
from webapp.portal import portal_bp
from webapp.satisfaction import init_satisfaction
from webapp.satisfaction.ratings import is_rateable, record_rating
from webapp.satisfaction.tokens import (
    BadRatingLink,
    ExpiredRatingLink,
    RatingClaim,
    make_token,
    read_token,
)

#: What each score means, best first (the order the choices are offered in).
SCORE_LABELS = {
    5: lazy_gettext("Very satisfied"),
    4: lazy_gettext("Satisfied"),
    3: lazy_gettext("Neutral"),
    2: lazy_gettext("Unsatisfied"),
    1: lazy_gettext("Very unsatisfied"),
}


class _Refused(Exception):
    """A rating page that cannot be served; rendered as a page with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RatingPanel:
    """What the portal's request page shows: the rating, or the token of the five links."""

    rating: SatisfactionRating | None
    token: str
    labels = SCORE_LABELS


def rating_panel(item: Item) -> RatingPanel | None:
    """The panel for a done ticket of the signed-in requester in a portal with surveys."""
    customer = getattr(g, "portal_customer", None)
    portal = getattr(g, "portal", None)
    if (portal is None or not portal.survey_enabled or customer is None
            or item.requester_id != customer.id or not is_rateable(item)):
        return None
    return RatingPanel(rating=_rating_of(item), token=make_token(item.id, customer.id))


def _rating_of(item: Item) -> SatisfactionRating | None:
    return db.session.scalar(select(SatisfactionRating).where(
        SatisfactionRating.item_id == item.id))


def _claimed(token: str) -> tuple[Item, Customer]:
    """The ticket and requester the token names, still rateable by them."""
    try:
        claim: RatingClaim = read_token(token)
    except ExpiredRatingLink as exc:
        raise _Refused(exc.status, _("This rating link has expired. Thank you all the same!"))\
            from exc
    except BadRatingLink as exc:
        raise _Refused(exc.status, _("This rating link is not valid. Please use the link "
                                     "from your e-mail as it is.")) from exc
    item = db.session.get(Item, claim.item_id)
    customer = db.session.get(Customer, claim.customer_id)
    if item is None or customer is None or item.requester_id != customer.id:
        raise _Refused(410, _("This rating link is no longer valid."))
    if not is_rateable(item):
        raise _Refused(409, _("This ticket can be rated once it is solved."))
    return item, customer


def _refused(refusal: _Refused) -> ResponseReturnValue:
    return render_template("portal/rate_error.html", message=refusal.message), refusal.status


def _page(item: Item, token: str, *, score: int | None = None, comment: str | None = None,
          errors: dict[str, list[str]] | None = None, status: int = 200
          ) -> ResponseReturnValue:
    rating = _rating_of(item)
    chosen = score if score is not None else (rating.score if rating else None)
    typed = comment if comment is not None else (rating.comment if rating else "") or ""
    return render_template("portal/rate.html", item=item, token=token, rating=rating,
                           chosen=chosen, comment=typed, errors=errors or {},
                           labels=SCORE_LABELS), status


def _score(raw: str | None) -> int | None:
    """The score asked for: None when not given; Invalid when not one of 1–5."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) not in RATING_SCALE:
        raise Invalid({"score": [_("Choose a rating from 1 to 5.")]})
    return int(raw)


@portal_bp.get("/rate/<token>")
def rate(token: str) -> ResponseReturnValue:
    """The link of the survey e-mail: ``?score=N`` records (or changes) the rating."""
    try:
        item, customer = _claimed(token)
    except _Refused as refusal:
        return _refused(refusal)
    try:
        score = _score(request.args.get("score"))
        if score is not None:
            record_rating(db.session, item, customer, score)
    except Invalid as exc:
        return _page(item, token, errors=exc.messages, status=400)  # type: ignore[arg-type]
    except CommandError as exc:
        return _refused(_Refused(exc.status, str(exc.messages)))
    return _page(item, token)


@portal_bp.post("/rate/<token>/comment")
def rate_comment(token: str) -> ResponseReturnValue:
    """The thank-you page's form: the comment, and the score once more (may change it)."""
    try:
        item, customer = _claimed(token)
    except _Refused as refusal:
        return _refused(refusal)
    comment = request.form.get("comment", "")
    try:
        score = _score(request.form.get("score"))
        if score is None:
            raise Invalid({"score": [_("Choose a rating from 1 to 5.")]})
        record_rating(db.session, item, customer, score, comment, set_comment=True)
    except Invalid as exc:
        return _page(item, token, score=None, comment=comment,
                     errors=exc.messages, status=422)  # type: ignore[arg-type]
    except CommandError as exc:
        return _refused(_Refused(exc.status, str(exc.messages)))
    flash(_("Thank you for your feedback!"), "success")
    return redirect(url_for("portal.rate", token=token))


def _setup(state: BlueprintSetupState) -> None:
    # Once per app: the template helpers and the recipe templates' ``rating_url``.
    init_satisfaction(state.app)
    state.app.jinja_env.globals["rating_panel"] = rating_panel


portal_bp.record_once(_setup)
