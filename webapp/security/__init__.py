"""Relaydesk's security manager (Flask-AppBuilder) and roles."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import LoginManager, current_user
from sqlalchemy.orm import joinedload

from webapp.security import header_auth, login_limits, login_views
from webapp.security.admin_views import guard_security_screens

_API_KEY = "relaydesk.api_key_user"


class RelaydeskSecurityManager(SecurityManager):
    """FAB's database auth; roles are the built-in ones from ``webapp.security.roles``.

    A request authenticated by its header (``header_auth``) is that header's user only, and
    failed sign-ins are counted (``login_limits``).
    """

    authdbview = login_views.AuthDBView
    security_api = login_views.SecurityApi

    def create_login_manager(self, app: Flask) -> LoginManager:
        manager = super().create_login_manager(app)
        manager.user_loader(self.load_session_user)
        return manager

    def load_session_user(self, pk: Any) -> Any | None:
        """The cookie session's user, unless a header authenticated the request."""
        if has_request_context() and not header_auth.session_allowed():
            return None
        return self.load_user(pk)

    def before_request(self) -> None:  # type: ignore[override]  # FAB's is a staticmethod
        """FAB's (``g.user``), then the header's user, worked out now: an API key's check
        commits its ``last_used_on``, which must not happen inside a view's transaction."""
        g.user = current_user
        header_auth.header_user()

    def validate_api_key(self, api_key_string: str) -> Any | None:
        """FAB's check, once per request (its slow hash is worth sparing, and FAB's
        ``@protect`` repeats what ``header_auth`` did)."""
        cached = request.environ.get(_API_KEY) if has_request_context() else None
        if cached is not None and cached[0] == api_key_string:
            user = cached[1]
            if user is not None:
                g.user, g._api_key_user = user, True
            return user
        user = super().validate_api_key(api_key_string)
        if has_request_context():
            request.environ[_API_KEY] = (api_key_string, user)
        return user

    def auth_user_db(self, username: str, password: str) -> Any | None:
        """FAB's password check; a failure counts towards the sign-in limits."""
        user = super().auth_user_db(username, password)
        if user is None and has_request_context():
            login_limits.record_failure(username)
        return user

    def ensure_roles(self) -> None:
        """Create the role rows the built-in roles need (idempotent)."""
        for name in self.builtin_roles:
            if self.find_role(name) is None:
                self.add_role(name)

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """Nothing is public in Relaydesk (no Public role): skip FAB's two role queries."""
        return False

    @staticmethod
    def extract_api_key_from_request() -> str | None:
        """An API key from ``Authorization: Bearer rdk_…`` or ``X-API-Key: rdk_…`` (the
        header an integration platform such as Zapier can send)."""
        from flask import current_app, request

        key = SecurityManager.extract_api_key_from_request()
        if key is not None:
            return key
        given = request.headers.get("X-API-Key", "").strip()
        prefixes = current_app.config.get("FAB_API_KEY_PREFIXES", ["sst_"])
        if given and any(given.startswith(prefix) for prefix in prefixes):
            return given
        return None

    def get_user_by_id(self, pk: Any) -> Any:
        """The user with roles and groups in one round trip (FAB lazy-loads them: 3 queries)."""
        user_model = self.user_model
        return self.session.get(user_model, pk, options=[
            joinedload(user_model.roles),
            joinedload(user_model.groups).selectinload(self.group_model.roles),
        ])


guard_security_screens(RelaydeskSecurityManager)

__all__ = ["RelaydeskSecurityManager"]
