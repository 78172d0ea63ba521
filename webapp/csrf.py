"""CSRF protection for every state-changing request a browser could be tricked into sending.

Requests that carry an ``Authorization`` or ``X-API-Key`` header (JWT or API key) cannot be
forged by another site, so they are not checked, nor are inbound webhooks (``/hooks/in/…``,
authenticated by their signature, never by a cookie); everything else (screens, forms,
cookie-authenticated API calls such as multipart uploads) must carry the token.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
_SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


def init_csrf(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, with the header exemption
    csrf.init_app(app)

    @app.before_request
    def _check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method in _SAFE or request.headers.get("Authorization"):
            return
        if request.headers.get("X-API-Key"):
            return
        if request.path.startswith("/widget/") and request.headers.get("X-Widget-Key"):
            # The widget's own API, called from its iframe with the visitor's key in a
            # header (another site cannot add one without a CORS preflight we never allow).
            return
        if request.path == "/api/v1/security/login":  # credentials in the body, no session
            return
        if request.path.startswith("/hooks/in/"):  # signed by the sender; no cookie is used
            return
        csrf.protect()
