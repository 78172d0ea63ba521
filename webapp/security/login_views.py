"""FAB's two staff sign-in routes, refusing attempts while ``login_limits`` says to wait.

The refusal comes before FAB's view runs: FAB's API wraps its login in ``@safe``, which would
turn any exception raised further in into a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, request
from flask_appbuilder.security import api as fab_api
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.views import expose
from flask_babel import ngettext

from webapp.security.login_limits import seconds_locked

_429_DOC = """            429:
              description: Too many failed sign-ins for this account or address; wait the
                seconds in the Retry-After header.
            500:"""


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


class AuthDBView(fab_views.AuthDBView):
    """The sign-in form: 429 and a translated notice while locked. (FAB's class name: FAB
    names the endpoints, and builds its redirects to sign-in, from it.)"""

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        if request.method == "POST":
            wait = seconds_locked(request.form.get("username"))
            if wait:
                flash(ngettext("There were too many attempts. Please wait %(num)s minute, "
                               "then try again.",
                               "There were too many attempts. Please wait %(num)s minutes, "
                               "then try again.", _minutes(wait)), "danger")
                page = self.render_template(self.login_template, title=self.title,
                                            form=LoginForm_db(), appbuilder=self.appbuilder)
                return make_response(page, 429, {"Retry-After": str(wait)})
        return super().login()


class SecurityApi(fab_api.SecurityApi):
    """``POST /api/v1/security/login``: 429 with Retry-After while locked. (FAB's class
    name, as its endpoints are named after it: ``SecurityApi.login``.)"""

    @expose("/login", methods=["POST"])
    def login(self) -> Response:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
        if isinstance(username, str) and username:
            wait = seconds_locked(username)
            if wait:
                response = self.response(429, message=(
                    f"too many failed sign-ins; try again in {wait} seconds"))
                response.headers["Retry-After"] = str(wait)
                return response
        return super().login()

    login.__doc__ = (fab_api.SecurityApi.login.__doc__ or "").replace(
        "            500:", _429_DOC, 1)
