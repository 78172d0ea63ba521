"""Recording a requester's rating: one per ticket (a second click updates it), and a
``ticket.rated`` event in the same transaction so that recipes and webhooks see it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from triggers.outbox import Actor, acting_as, emit
from webapp.commands.errors import CommandError, FieldMessages, Forbidden, Invalid
from webapp.models import Customer, Item, ItemKind, StatusCategory
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating

RATED_EVENT = "ticket.rated"
MAX_COMMENT = 5000


class NotRateable(CommandError):
    """The ticket is not solved (yet, or any more): nothing to rate."""

    status = 409


def is_rateable(item: Item) -> bool:
    return item.kind == ItemKind.TICKET and item.status.category == StatusCategory.DONE


def _checked(item: Item, customer: Customer, score: object,
             comment: str | None) -> tuple[int, str | None]:
    if item.requester_id != customer.id:
        raise Forbidden(_("Only the requester of a ticket can rate it."))
    if not is_rateable(item):
        raise NotRateable(_("This ticket can be rated once it is solved."))
    problems: FieldMessages = {}
    if isinstance(score, bool) or score not in RATING_SCALE:
        problems["score"] = [_("Choose a rating from 1 to 5.")]
    if comment is not None:
        comment = comment.strip() or None
        if comment is not None and len(comment) > MAX_COMMENT:
            problems["comment"] = [_("The comment is too long (at most %(count)d characters).",
                                     count=MAX_COMMENT)]
    if problems:
        raise Invalid(problems)
    return int(score), comment  # type: ignore[call-overload]


def _write(session: Session, item: Item, customer: Customer, score: int,
           comment: str | None, set_comment: bool) -> SatisfactionRating:
    rating = session.scalar(select(SatisfactionRating).where(
        SatisfactionRating.item_id == item.id))
    previous = rating.score if rating is not None else None
    if rating is None:
        rating = SatisfactionRating(item_id=item.id, customer_id=customer.id, score=score,
                                    comment=comment if set_comment else None)
        session.add(rating)
    else:
        unchanged = rating.score == score and (not set_comment or rating.comment == comment)
        if unchanged:
            return rating
        rating.score, rating.customer_id = score, customer.id
        if set_comment:
            rating.comment = comment
    session.flush()
    emit(session, RATED_EVENT, "item", item.id, data={
        "item_id": item.id, "rating_id": rating.id, "score": score,
        "previous_score": previous, "comment": rating.comment, "customer_id": customer.id})
    return rating


def record_rating(session: Session, item: Item, customer: Customer, score: object,
                  comment: str | None = None, *, set_comment: bool = False
                  ) -> SatisfactionRating:
    """Rate ``item`` as its requester ``customer``; the comment changes only when
    ``set_comment`` (a one-click link keeps the comment given before). Committed."""
    checked_score, checked_comment = _checked(item, customer, score, comment)
    with acting_as(Actor(customer_id=customer.id)):
        for attempt in (1, 2):
            try:
                rating = _write(session, item, customer, checked_score, checked_comment,
                                set_comment)
                session.commit()
                return rating
            except IntegrityError:
                # Two first clicks at once: the other one inserted; update it instead.
                session.rollback()
                if attempt == 2:
                    raise
            except BaseException:
                session.rollback()
                raise
    raise AssertionError("unreachable")
