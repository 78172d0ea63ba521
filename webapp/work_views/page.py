"""What every work view's screen shares: rendering inside the common frame (switcher, filter
bar, saved views), errors as JSON for data endpoints and as flashes for pages, and the
workspace-wide settings some views keep."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, request, url_for
from flask_appbuilder import BaseView
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from webapp.access.scope import current_viewer
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import WorkspaceSetting
from webapp.work_views.options import custom_field_keys, filter_options


def _messages(exc: CommandError) -> dict[str, Any]:
    return exc.messages if isinstance(exc.messages, dict) else {"_": [exc.messages]}


def json_errors(exc: CommandError, status: int | None = None) -> Response:
    """``{"errors": {argument: [message]}}`` with ``status`` (else the error's own, 422)."""
    response = jsonify(errors=_messages(exc))
    response.status_code = status or exc.status
    return response


def flash_errors(exc: CommandError) -> None:
    """Each bad argument as a flashed message (for pages)."""
    for name, problems in _messages(exc).items():
        flash(f"{name}: {'; '.join(map(str, problems))}", "danger")


def render_view(view: BaseView, template: str, view_kind: str, **context: Any) -> str:
    """A view's page in the shared frame; the filter bar offers what the viewer may see."""
    session = db.session
    return view.render_template(
        template, view_kind=view_kind,
        filter_options=filter_options(session, current_viewer()),
        custom_fields=custom_field_keys(session), args=request.args,
        view_url=url_for(request.endpoint or ""), **context)


def save_setting(session: Session, key: str, value: Any) -> None:
    """Store one workspace-wide setting (committed)."""
    session.merge(WorkspaceSetting(key=key, value=value))
    session.commit()
