"""Which ratings staff see: those of items they may see (the rule of access.rules)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import ColumnElement, select

from webapp.access.interface import request_viewer
from webapp.access.scope import Viewer, visibility_clause
from webapp.extensions import db
from webapp.models.satisfaction import SatisfactionRating


def rating_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Ratings of the items ``viewer`` sees (the rating's rule in webapp/access/rules.py)."""
    return visibility_clause(SatisfactionRating, viewer)


class VisibleRatings(BaseFilter):
    """``base_filters`` entry of the Ratings screen and API (the viewer of each request)."""

    name = "Visible to me"
    arg_name = "visible"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(rating_clause(request_viewer()))


def item_rating(item_id: int) -> SatisfactionRating | None:
    """The rating of an item the current staff user sees (the ticket page's block)."""
    return db.session.scalar(select(SatisfactionRating).where(
        SatisfactionRating.item_id == item_id, rating_clause(request_viewer())))
