"""``POST /hooks/in/<slug>``: inbound webhooks (see ``triggers.inbound``).

No session or CSRF token: a request is authenticated by its signature. The raw request is
committed before it is verified; the answer is 200 for an accepted or duplicate message, 401
for a bad or stale signature, 404 for an unknown or disabled endpoint, 413 when too large.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from triggers import inbound
from webapp.commands.connections import app_cipher
from webapp.commands.errors import CommandError
from webapp.extensions import db
from webapp.models import InboundEndpoint
from webapp.models.connections import CredentialsError

PREFIX = "/hooks/in/"
inbound_bp = Blueprint("inbound_webhooks", __name__)


def _answer(code: int, **body: object) -> Response:
    response = jsonify(body)
    response.status_code = code
    return response


@inbound_bp.route(f"{PREFIX}<slug>", methods=["POST"])
def receive(slug: str) -> Response:
    session = db.session
    endpoint = session.scalars(select(InboundEndpoint).where(
        InboundEndpoint.slug == slug.lower())).first()
    if endpoint is None or not endpoint.enabled:
        return _answer(404, message=f"no inbound webhook endpoint {slug!r}")
    limit = int(current_app.config["INBOUND_WEBHOOK_MAX_BYTES"])
    if (request.content_length or 0) > limit:
        return _answer(413, message=f"larger than {limit} bytes")
    body = request.get_data(cache=False)
    if len(body) > limit:
        return _answer(413, message=f"larger than {limit} bytes")
    row = inbound.store(session, endpoint, method=request.method,
                        headers=dict(request.headers), body=body,
                        remote_addr=request.remote_addr)
    try:
        secret = endpoint.secret(app_cipher(current_app))
    except (CredentialsError, CommandError) as exc:
        outcome = inbound._reject(session, row, f"the endpoint's secret is unreadable: {exc}")
        return _answer(500, id=outcome.row_id, status=outcome.state,
                       message="the endpoint's secret cannot be read; see the server log")
    outcome = inbound.process(session, row, endpoint, secret)
    if outcome.status == 401:
        return _answer(401, id=outcome.row_id, status=outcome.state, message=outcome.reason)
    return _answer(outcome.status, id=outcome.row_id, status=outcome.state,
                   event_id=outcome.event_id, message=outcome.reason)
