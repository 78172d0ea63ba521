"""Saving a whole recipe (trigger, conditions, ordered actions) in one transaction, as the
recipe editor does, through the same write rules as the recipe and recipe action APIs; and
previewing its actions' inputs rendered with the last matching event (nothing is written).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.actions import get_action
from hub.conditions import conditions_hold, trigger_matches
from hub.context import build_context
from hub.executor import _with_template_defaults
from hub.templating import TemplateFailure, render_params
from hub.webhooks import iso
from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.rules.automation import validate_recipe_action
from webapp.commands.write_check import check_write
from webapp.models import Event, Recipe, RecipeAction, utcnow

_RECIPE_FIELDS = ("name", "enabled", "position", "trigger_event", "trigger_filter",
                  "conditions")


def _actions(data: dict[str, Any], errors: dict[str, Any]) -> list[dict[str, Any]]:
    actions = data.get("actions")
    if actions is None:
        return []
    if not isinstance(actions, list):
        errors["actions"] = ["must be a list of {action_type, params}"]
        return []
    found = []
    for index, action in enumerate(actions):
        if not isinstance(action, dict):
            errors.setdefault("actions", {})[str(index)] = {"_schema": ["must be an object"]}
            continue
        found.append({"action_type": str(action.get("action_type") or ""),
                      "params": action.get("params") if action.get("params") is not None
                      else {}})
    return found


def action_problems(session: Session, viewer: Viewer, data: dict[str, Any],
                    errors: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``actions`` of ``data`` as specs; every problem of them is added to ``errors``
    (``actions`` or ``actions.<n>.…``)."""
    specs = _actions(data, errors)
    if not specs and "actions" not in errors:
        errors["actions"] = ["add at least one action"]
    for index, spec in enumerate(specs):
        problems = validate_recipe_action(
            session, RecipeAction(action_type=spec["action_type"], params=spec["params"]),
            viewer, True)
        if problems:
            errors.setdefault("actions", {})[str(index)] = problems
    return specs


def save_recipe(session: Session, viewer: Viewer, data: Any,
                recipe: Recipe | None = None, *, new: Recipe | None = None) -> Recipe:
    """Create (``recipe`` None; ``new``: a row the caller already filled, e.g. from the API's
    schema) or replace a recipe and its actions; ``Invalid`` names every problem (the
    recipe's fields, and ``actions.<n>.…``). The one write path of a recipe with its
    actions: the recipe editor and ``POST``/``PUT /api/v1/recipe/`` with ``actions``.
    The caller commits."""
    if not isinstance(data, dict):
        raise Invalid({"_schema": ["expected a JSON object"]})
    errors: dict[str, Any] = {}
    row = recipe or new or Recipe()
    name = data.get("name", row.name)
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["is required"]
    specs = action_problems(session, viewer, data, errors)
    for key in _RECIPE_FIELDS:
        if key in data:
            setattr(row, key, data[key])
    if isinstance(row.name, str):
        row.name = row.name.strip()
    if row.enabled is None:
        row.enabled = True
    if row.position is None:
        row.position = 0
    if not errors.get("name"):
        try:
            check_write(session, row, viewer, is_new=recipe is None)
        except Invalid as exc:
            for key, value in (exc.messages if isinstance(exc.messages, dict)
                               else {"_schema": [exc.messages]}).items():
                errors.setdefault(key, value)
    if errors:
        session.rollback()
        raise Invalid(errors)
    kept = sorted(row.actions, key=lambda a: a.position)
    for index, spec in enumerate(specs):
        action = kept[index] if index < len(kept) else RecipeAction(recipe_id=row.id)
        action.position, action.action_type, action.params = index, spec["action_type"], \
            spec["params"]
        if action not in row.actions:
            row.actions.append(action)
        check_write(session, action, viewer, is_new=action.id is None)
    for extra in kept[len(specs):]:
        row.actions.remove(extra)
    session.flush()
    return row


def recipe_data(recipe: Recipe) -> dict[str, Any]:
    return {"id": recipe.id, "name": recipe.name, "enabled": recipe.enabled,
            "position": recipe.position, "trigger_event": recipe.trigger_event,
            "trigger_filter": recipe.trigger_filter, "conditions": recipe.conditions,
            "actions": [{"action_type": a.action_type, "params": a.params}
                        for a in sorted(recipe.actions, key=lambda a: a.position)]}


def _type_clause(trigger: str) -> Any:
    if trigger == "*":
        return None
    if trigger.endswith(".*"):
        return Event.type.like(trigger[:-1] + "%")
    return Event.type == trigger


def last_matching_event(session: Session, data: dict[str, Any],
                        scan: int = 200) -> tuple[Event | None, dict[str, Any] | None, bool]:
    """The newest event of the trigger that passes its filter and conditions (the newest of
    the trigger when none does), its context, and whether the conditions held."""
    trigger = str(data.get("trigger_event") or "")
    if not trigger:
        return None, None, False
    query = select(Event).order_by(Event.id.desc()).limit(scan)
    clause = _type_clause(trigger)
    if clause is not None:
        query = query.where(clause)
    fallback: tuple[Event, dict[str, Any]] | None = None
    now = utcnow()
    for event in session.scalars(query):
        if not trigger_matches(data.get("trigger_filter") or None, event.diff or {}):
            continue
        context = build_context(session, event)
        if conditions_hold(data.get("conditions") or None, context, now):
            return event, context, True
        if fallback is None:
            fallback = (event, context)
    if fallback is not None:
        return fallback[0], fallback[1], False
    return None, None, False


def preview(session: Session, data: Any) -> dict[str, Any]:
    """The inputs each action would get from the last matching event, rendered (no action
    runs, nothing is written)."""
    if not isinstance(data, dict):
        raise Invalid({"_schema": ["expected a JSON object"]})
    try:
        event, context, held = last_matching_event(session, data)
        if event is None or context is None:
            return {"event": None, "message": "no event of this trigger has happened yet"}
        errors: dict[str, Any] = {}
        results = []
        for index, spec in enumerate(_actions(data, errors)):
            action = get_action(spec["action_type"])
            entry: dict[str, Any] = {"position": index, "action_type": spec["action_type"]}
            if action is None:
                entry["errors"] = {"action_type": ["unknown action"]}
                results.append(entry)
                continue
            entry["label"] = action.label
            schema = action.schema()
            params = spec["params"] if isinstance(spec["params"], dict) else {}
            try:
                rendered = render_params(_with_template_defaults(schema, params), context)
            except TemplateFailure as exc:
                entry["errors"] = {exc.field: [str(exc)]}
                results.append(entry)
                continue
            entry["inputs"] = rendered
            problems = schema.validate(rendered)
            if problems:
                entry["errors"] = problems
            results.append(entry)
        return {"event": {"id": event.id, "type": event.type,
                          "created_at": iso(event.created_at),
                          "subject": f"{event.subject_type} {event.subject_id}"},
                "conditions_hold": held, "context": context, "actions": results}
    finally:
        session.rollback()
