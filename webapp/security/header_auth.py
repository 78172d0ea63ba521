"""Requests authenticated by a header: a JWT access token or an API key.

Such a request is that header's user and nobody else's: a session cookie it also carries is
ignored (FAB would prefer the cookie's user), and it needs no CSRF token, since no other site
can make a browser send our credentials in a header. A header that authenticates nobody
(garbage, an expired token, ``Basic`` added by a proxy in front of us) changes nothing: the
request is a cookie request like any other, CSRF check included.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError

_USER = "relaydesk.header_user"
_REFRESH_PATH = "/api/v1/security/refresh"  # FAB's refresh endpoint wants a refresh token


_PENDING = object()


def header_user() -> Any | None:
    """The user the request's ``Authorization`` or ``X-API-Key`` header authenticates, if any
    (worked out once per request)."""
    if _USER not in request.environ:
        request.environ[_USER] = _PENDING
        user = None
        try:
            user = _authenticate()
        finally:
            request.environ[_USER] = user
    value = request.environ[_USER]
    return None if value is _PENDING else value


def session_allowed() -> bool:
    """Whether the cookie session may say who the user is: not when a header authenticated
    the request, nor while that is being worked out (an API key's check commits, and the
    outbox asks who is acting)."""
    header_user()
    return request.environ[_USER] is None


def has_script_credentials() -> bool:
    """A header only a script can set (a browser never adds it by itself, unlike ``Basic``
    from a proxy's sign-in prompt, and another site needs a CORS preflight we never allow)."""
    return bool(request.headers.get("X-API-Key")
                or request.headers.get("Authorization", "").lower().startswith("bearer "))


def _authenticate() -> Any | None:
    sm = current_app.appbuilder.sm
    if current_app.config.get("FAB_API_KEY_ENABLED", False):
        api_key = sm.extract_api_key_from_request()
        if api_key is not None:  # as FAB's @protect: an API-key-looking header is one
            return sm.validate_api_key(api_key)
    if not request.headers.get("Authorization", "").lower().startswith("bearer "):
        return None
    try:
        verified = verify_jwt_in_request(optional=True, locations=["headers"],
                                         refresh=request.path == _REFRESH_PATH)
    except (JWTExtendedException, PyJWTError):
        return None  # the view's own check answers 401/422
    return get_current_user() if verified is not None else None
