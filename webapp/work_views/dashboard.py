"""The dashboard: charts of the work over a date range, with the shared filter set.

``GET /views/dashboard/data?from=&to=&bucket=&<filters>`` answers every figure
(``metrics.dashboard_data``); the page draws them with Chart.js (vendored) and exports each
chart as a PNG in the browser.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.views import expose
from flask_babel import lazy_gettext as _l

from webapp.access.scope import current_viewer
from webapp.commands.errors import Invalid
from webapp.extensions import db
from webapp.views.labels import add_screen
from webapp.work_views.filters import ViewFilter
from webapp.work_views.metrics import RANGE_ARGS, Range, dashboard_data
from webapp.work_views.page import flash_errors, json_errors, render_view


class DashboardView(BaseView):
    route_base = "/views/dashboard"
    default_view = "dashboard"
    class_permission_name = "WorkView"
    method_permission_name = {"dashboard": "read", "data": "read"}

    @expose("/")
    @has_access
    def dashboard(self) -> Any:
        try:
            ViewFilter.parse(request.args, current_viewer(), ignore=RANGE_ARGS)
            shown = Range.parse(request.args)
        except Invalid as exc:
            flash_errors(exc)
            return redirect(url_for("DashboardView.dashboard"))
        return render_view(self, "relaydesk/work_views/dashboard.html", "dashboard",
                           data_url=url_for("DashboardView.data"),
                           range_from=shown.start.isoformat(), range_to=shown.end.isoformat(),
                           bucket=shown.bucket, range_args=RANGE_ARGS,
                           keep_args={name: request.args[name] for name in RANGE_ARGS
                                      if request.args.get(name)})

    @expose("/data")
    @has_access_api
    def data(self) -> Response:
        """Every figure of the dashboard for the range and filters."""
        try:
            return jsonify(dashboard_data(db.session, request.args, current_viewer()))
        except Invalid as exc:
            return json_errors(exc)


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    add_screen(appbuilder, DashboardView, "Dashboard", _l("Dashboard"), "fa-bar-chart", menu)
    links.append(("dashboard", _l("Dashboard"), "DashboardView.dashboard"))
