"""SCAFFOLD: staff screens of this customer app (its helper fills it in)."""

from __future__ import annotations

from typing import Any


def register(appbuilder: Any, menu: str) -> None:
    pass
