"""Relaydesk's security manager (Flask-AppBuilder) and roles."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.security.sqla.manager import SecurityManager
from sqlalchemy.orm import joinedload


class RelaydeskSecurityManager(SecurityManager):
    """FAB's database auth; roles are the built-in ones from ``webapp.security.roles``."""

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


__all__ = ["RelaydeskSecurityManager"]
