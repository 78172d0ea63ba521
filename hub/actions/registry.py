"""The action registry: every kind of step a recipe can take, with its input schema.

Internal actions, connector actions and webhooks register the same way, so the recipe editor
and the executor treat them alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from webapp.models import Delivery, Event, Item, Recipe


@dataclass
class ActionContext:
    """What an action runs with; ``data`` is the rendered-template context."""

    session: Session
    event: Event
    delivery: Delivery
    recipe: Recipe | None
    item: Item | None
    data: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)


ActionFn = Callable[[ActionContext, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    schema: type[Schema]
    run: ActionFn
    kind: str = "internal"  # internal | connector | webhook
    needs_item: bool = True


REGISTRY: dict[str, ActionSpec] = {}


def register(name: str, label: str, schema: type[Schema], *, kind: str = "internal",
             needs_item: bool = True) -> Callable[[ActionFn], ActionFn]:
    def decorator(fn: ActionFn) -> ActionFn:
        if name in REGISTRY:
            raise ValueError(f"action {name!r} is registered twice")
        REGISTRY[name] = ActionSpec(name, label, schema, fn, kind, needs_item)
        return fn
    return decorator


def get_action(name: str) -> ActionSpec | None:
    return REGISTRY.get(name)


def describe(spec: ActionSpec) -> dict[str, Any]:
    """The action's form: fields with label, type, required flag and choices."""
    fields = []
    for key, f in spec.schema().fields.items():
        choices = getattr(f.validate, "choices", None) if f.validate else None
        fields.append({
            "name": key, "label": f.metadata.get("label", key.replace("_", " ").capitalize()),
            "type": type(f).__name__, "required": f.required,
            "choices": list(choices) if choices else None,
            "help": f.metadata.get("help"),
        })
    return {"name": spec.name, "label": spec.label, "kind": spec.kind, "fields": fields}
