"""Flask-AppBuilder's own security screens (users, roles, groups, permissions), with two holes
closed that every generated screen shares: an action name nobody defined was a 500 before the
permission check, and the upload-column download served any file of UPLOAD_FOLDER."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.manager import BaseSecurityManager


class KnownActionsMixin:
    """For ``ModelView`` subclasses: unknown actions are 404s; no upload-column download."""

    actions: dict[str, Any]

    def get_action_permission_name(self, name: str) -> str:
        """FAB looks the action up without checking it exists (a 500 for a made-up name)."""
        if name not in self.actions:
            abort(404)
        return str(super().get_action_permission_name(name))  # type: ignore[misc]

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename: str) -> NoReturn:
        """FAB serves upload columns from UPLOAD_FOLDER by file name alone; no screen of ours
        has one (attachments have their own checked download), so there is nothing here."""
        abort(404)


_SCREENS = ("userdbmodelview", "rolemodelview", "groupmodelview", "permissionmodelview",
            "viewmenumodelview", "permissionviewmodelview", "registerusermodelview")


def guard_security_screens(manager: type[BaseSecurityManager]) -> None:
    """Give ``manager``'s screen classes the mixin, keeping each class's name (FAB derives
    the permission's view name from it)."""
    for attribute in _SCREENS:
        screen = getattr(manager, attribute)
        if not issubclass(screen, KnownActionsMixin):
            setattr(manager, attribute,
                    type(screen.__name__, (KnownActionsMixin, screen), {}))
