"""Staff screens of satisfaction surveys: the ratings list and the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from webapp.access.interface import ScopedInterface, request_viewer
from webapp.extensions import db
from webapp.models.satisfaction import RATING_SCALE, SatisfactionRating
from webapp.satisfaction.report import satisfaction_report
from webapp.security.resources import METHOD_PERMISSIONS
from webapp.views.base import ScopedModelView
from webapp.views.labels import add_screen

PERMISSION = "SatisfactionRating"


class RatingView(ScopedModelView):
    """Every rating of a ticket the user may see; read-only (customers give ratings)."""

    list_title = _l("Satisfaction ratings")
    show_title = _l("Satisfaction rating")
    add_title = _l("New satisfaction rating")
    edit_title = _l("Edit satisfaction rating")
    route_base = "/satisfaction/ratings"
    class_permission_name = PERMISSION
    datamodel = ScopedInterface(SatisfactionRating)
    include_route_methods = {"list", "show"}
    list_columns = ["item", "customer", "score", "comment", "created_at", "updated_at"]
    show_columns = list_columns
    # No "item" filter: its dropdown would list tickets the user may not see.
    search_columns = ["score", "customer", "comment", "created_at"]
    label_columns = {"item": _l("Ticket"), "customer": _l("Requester"),
                     "created_at": _l("Rated at"), "updated_at": _l("Last changed")}
    base_order = ("created_at", "desc")


def _day(field: str, errors: dict[str, str]) -> dt.date | None:
    raw = (request.args.get(field) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = f"{raw!r} is not a date (YYYY-MM-DD)"
        return None


class SatisfactionReportView(BaseView):
    """Counts per score, average and share satisfied: overall, per month, assignee and
    organization, for a date range."""

    route_base = "/satisfaction"
    default_view = "report"
    class_permission_name = PERMISSION
    method_permission_name = METHOD_PERMISSIONS

    @expose("/report")
    @has_access
    def report(self) -> Any:
        errors: dict[str, str] = {}
        start, end = _day("start", errors), _day("end", errors)
        if start and end and start > end:
            errors["end"] = "the end of the range is before its start"
        report = None if errors else satisfaction_report(db.session, request_viewer(),
                                                         start, end)
        page = self.render_template("relaydesk/satisfaction_report.html", report=report,
                                    errors=errors, scale=list(RATING_SCALE),
                                    start=request.args.get("start", ""),
                                    end=request.args.get("end", ""))
        return (page, 400) if errors else page


def register(appbuilder: Any, menu: str) -> None:
    add_screen(appbuilder, RatingView, "Satisfaction ratings", _l("Satisfaction ratings"),
               "fa-smile-o", menu)
    add_screen(appbuilder, SatisfactionReportView, "Satisfaction report", _l("Satisfaction report"),
               "fa-bar-chart", menu)
