"""How an action fails: worth retrying (maybe after a delay) or not."""

from __future__ import annotations


class ActionError(Exception):
    """Base of the typed failures a connector or action raises."""


class Retryable(ActionError):
    """A passing failure (timeout, 5xx, 429); ``after`` is the vendor's Retry-After in seconds."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Permanent(ActionError):
    """Retrying cannot help (bad input, 4xx, a template error)."""


class RateLimited(Retryable):
    """The vendor answered 429 (``from_vendor``), or the connection's shared rate budget says
    wait: every delivery to the connection waits ``after`` seconds, not only this one."""

    def __init__(self, reason: str, after: float, *, from_vendor: bool = True) -> None:
        super().__init__(reason, after)
        self.from_vendor = from_vendor
