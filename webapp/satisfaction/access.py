"""The rating block of the ticket page: the rating of an item, if the viewer may see it (the
rating's rule is in webapp/access/rules.py; screens and APIs apply it through their interface)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.access.interface import request_viewer
from webapp.access.scope import visibility_clause
from webapp.extensions import db
from webapp.models.satisfaction import SatisfactionRating


def item_rating(item_id: int) -> SatisfactionRating | None:
    """The rating of an item the current staff user sees (the ticket page's block)."""
    return db.session.scalar(select(SatisfactionRating).where(
        SatisfactionRating.item_id == item_id,
        visibility_clause(SatisfactionRating, request_viewer())))
