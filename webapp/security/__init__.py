"""Relaydesk's security manager (Flask-AppBuilder) and roles."""

from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager


class RelaydeskSecurityManager(SecurityManager):
    """FAB's database auth; roles are the built-in ones from ``webapp.security.roles``."""

    def ensure_roles(self) -> None:
        """Create the role rows the built-in roles need (idempotent)."""
        for name in self.builtin_roles:
            if self.find_role(name) is None:
                self.add_role(name)


__all__ = ["RelaydeskSecurityManager"]
