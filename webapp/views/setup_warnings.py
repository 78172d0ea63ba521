"""Setup warnings for admins: a support address, portal or web form that files requests into
a project no agent can see (``webapp.access.reachability``) is named after it is saved, and
on the admin's home page (``webapp.workspace.home``)."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for

from webapp.access.reachability import UnseenDestination, unseen_destinations
from webapp.extensions import db

# The screen of each kind of entry point, to link a warning to the row to fix.
SCREENS = {"support address": "SupportAddressView", "portal": "PortalView",
           "web form": "WebFormView"}


def flash_unseen(row: Any) -> None:
    """After ``row`` (a support address, portal or web form) was saved: a flashed warning
    when it files requests into a project no agent can see."""
    for destination in unseen_destinations(db.session, [row]):
        flash(destination.message, "warning")


class UnseenProjectWarning:
    """Mix into a ``ModelView`` of support addresses or portals, before it in the bases."""

    def post_add(self, item: Any) -> None:
        super().post_add(item)  # type: ignore[misc]
        flash_unseen(item)

    def post_update(self, item: Any) -> None:
        super().post_update(item)  # type: ignore[misc]
        flash_unseen(item)


def destination_links(destination: UnseenDestination) -> dict[str, str]:
    """Where to fix a warning: the project's screen and the entry point's."""
    return {"project": url_for("ProjectView.edit", pk=destination.project_id),
            "row": url_for(f"{SCREENS[destination.kind]}.edit", pk=destination.row_id)}
