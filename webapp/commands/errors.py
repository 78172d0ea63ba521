"""Typed errors raised by writes; the API maps each to its status code."""

from __future__ import annotations

FieldMessages = dict[str, list[str] | dict]


class CommandError(Exception):
    status = 500

    def __init__(self, messages: FieldMessages | str) -> None:
        self.messages = messages
        super().__init__(str(messages))


class Invalid(CommandError):
    """Bad input; ``messages`` names each bad field (marshmallow's shape)."""

    status = 422


class Forbidden(CommandError):
    status = 403


class NotFound(CommandError):
    status = 404


def merge_messages(into: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict):
            merge_messages(into.setdefault(key, {}), value)
        else:
            into.setdefault(key, []).extend(value)
    return into
