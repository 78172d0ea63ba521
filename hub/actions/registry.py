"""The action registry: every kind of step a recipe can take, with its input schema.

Internal actions, connector actions and webhooks register the same way, so the recipe editor
and the executor treat them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from webapp.models import Delivery, Event, Item, Recipe


@dataclass
class ActionContext:
    """What an action runs with; ``data`` is the rendered-template context.

    The item and the context are loaded on first use: a no-op or a template-free action
    costs no queries for them.
    """

    session: Session
    event: Event
    delivery: Delivery
    load_item: Callable[[], Item | None]
    data: Mapping[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    _item: Any = field(default=None, init=False, repr=False)
    _item_loaded: bool = field(default=False, init=False, repr=False)

    @property
    def item(self) -> Item | None:
        if not self._item_loaded:
            self._item, self._item_loaded = self.load_item(), True
        return self._item

    @property
    def recipe(self) -> Recipe | None:
        return self.delivery.recipe


ActionFn = Callable[[ActionContext, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    schema: type[Schema]
    run: ActionFn
    kind: str = "internal"  # internal | connector | webhook
    needs_item: bool = True
    # An internal action that still waits on another system (an SMTP relay).
    calls_out: bool = False

    @property
    def outbound(self) -> bool:
        """Whether running it waits on another system: such deliveries are limited per
        destination and never take every lane (hub.lanes)."""
        return self.calls_out or self.kind != "internal"


REGISTRY: dict[str, ActionSpec] = {}


def register(name: str, label: str, schema: type[Schema], *, kind: str = "internal",
             needs_item: bool = True, calls_out: bool = False) -> Callable[[ActionFn], ActionFn]:
    def decorator(fn: ActionFn) -> ActionFn:
        if name in REGISTRY:
            raise ValueError(f"action {name!r} is registered twice")
        REGISTRY[name] = ActionSpec(name, label, schema, fn, kind, needs_item, calls_out)
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
