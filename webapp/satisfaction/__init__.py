"""Satisfaction surveys: signed one-click rating links, the rating command, the report."""

from __future__ import annotations

from flask.sansio.app import App


def init_satisfaction(app: App) -> None:
    """Make ``rating_url`` available to recipe templates and the staff ticket page."""
    from hub.templating import register_global
    from webapp.satisfaction.access import item_rating
    from webapp.satisfaction.tokens import rating_url_for

    register_global("rating_url", rating_url_for)
    app.jinja_env.globals["item_rating"] = item_rating
