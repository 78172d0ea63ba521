"""The agent workspace: home with queues, the inbox list, the ticket page, new ticket.

Server-rendered in the Flask-AppBuilder frame with small scripts of our own; every write goes
through the same write check and outbox as the REST API (``ScopedInterface``), so each change
is one event that recipes and webhooks see.
"""

from __future__ import annotations

from typing import Any


def register(appbuilder: Any) -> None:
    from webapp.workspace import inbox, profile, ticket

    inbox.register(appbuilder)
    ticket.register(appbuilder)
    profile.register(appbuilder)
