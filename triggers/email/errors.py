"""Why a mail is not turned into a ticket or reply; ``str()`` is the reason shown to admins."""

from __future__ import annotations


class MailRefused(Exception):
    """Base: the mail is kept (raw) with this reason, and nothing else is written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class Unparseable(MailRefused):
    """The bytes are not an e-mail message we can read."""


class Rejected(MailRefused):
    """A readable mail that cannot be placed (no support address, no sender, …)."""


class Ignored(MailRefused):
    """A mail deliberately not acted on (auto-reply, bulk, duplicate, our own mail)."""

    def __init__(self, reason: str, item_id: int | None = None) -> None:
        super().__init__(reason)
        self.item_id = item_id
