"""SCAFFOLD: this view's page and data endpoints (its helper fills it in)."""

from __future__ import annotations

from typing import Any


def register(appbuilder: Any, menu: str, links: list[tuple[str, str, str]]) -> None:
    pass
