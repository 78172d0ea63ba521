"""Typed errors raised by writes; the API maps each to its status code."""

from __future__ import annotations

FieldMessages = dict[str, list[str] | dict]


class CommandError(Exception):
    status = 500

    def __init__(self, messages: FieldMessages | str) -> None:
        self.messages = messages
        # What a screen flashes (FAB shows str(exc)): words, not a dict's repr.
        super().__init__(describe(messages))


class Invalid(CommandError):
    """Bad input; ``messages`` names each bad field (marshmallow's shape)."""

    status = 422


class Forbidden(CommandError):
    status = 403


class NotFound(CommandError):
    status = 404


def describe(messages: FieldMessages | str | list[str]) -> str:
    """``{"status": ["is not …"], "_schema": ["…"]}`` as "Status: is not …; …"."""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        return "; ".join(describe(item) for item in messages)
    parts = []
    for field, value in messages.items():
        text = describe(value)
        parts.append(text if field in ("_schema", "message") else
                     f"{field.replace('_', ' ').capitalize()}: {text}")
    return "; ".join(parts)


def merge_messages(into: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict):
            merge_messages(into.setdefault(key, {}), value)
        else:
            into.setdefault(key, []).extend(value)
    return into
