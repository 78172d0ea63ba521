"""CSRF protection for every state-changing request a browser could be tricked into sending.

Exempt are requests whose header authenticated them (a valid JWT access token or API key, see
``webapp.security.header_auth``: such a request never uses the cookie session either), inbound
webhooks (``/hooks/in/…``, authenticated by their signature, never by a cookie), the widget's
own API and the JWT login. Any other header proves nothing: ``Authorization: Basic …`` is added
by browsers themselves behind a proxy's sign-in prompt, and a bad token with a session cookie
is still a cookie request. Everything else (screens, forms, cookie-authenticated API calls
such as multipart uploads) must carry the token.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from webapp.security.header_auth import has_script_credentials, header_user

csrf = CSRFProtect()
_SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


def init_csrf(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, with the exemptions
    csrf.init_app(app)

    @app.before_request
    def _check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method in _SAFE:
            return
        if header_user() is not None:  # authenticated by a header no other site can set
            return
        if has_script_credentials() and not _has_session_cookie(app):
            # An API client's bad or expired token, and no cookie a forger could ride on:
            # let the API answer 401 rather than "CSRF token missing".
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


def _has_session_cookie(app: Flask) -> bool:
    names = (app.config.get("SESSION_COOKIE_NAME", "session"),
             app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return any(name in request.cookies for name in names)
