"""Rules for recipes, their actions, SLA settings: what the hub would refuse, refused early."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from hub.actions import get_action
from hub.actions.registry import REGISTRY
from hub.conditions import validate_conditions, validate_trigger_filter
from hub.templating import validate_params
from webapp.access.scope import Viewer
from webapp.commands.write_check import rules_for
from webapp.models import BusinessCalendar, Recipe, RecipeAction, SlaTarget

# Inbound endpoints' slugs may hold digits and hyphens (inbound.stripe-eu, inbound.crm2).
_EVENT_NAME = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z0-9_.-]+))$")


def validate_recipe(session: Session, recipe: Recipe, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, Any] = {}
    if not _EVENT_NAME.match(recipe.trigger_event or ""):
        errors["trigger_event"] = ["must be an event type like ticket.created, ticket.* or *"]
    errors.update(validate_trigger_filter(recipe.trigger_filter))
    errors.update(validate_conditions(recipe.conditions))
    return errors


def validate_recipe_action(
    session: Session, action: RecipeAction, viewer: Viewer, is_new: bool
) -> dict:
    spec = get_action(action.action_type or "")
    if spec is None:
        return {"action_type": [f"unknown action; one of: {', '.join(sorted(REGISTRY))}"]}
    params = action.params if action.params is not None else {}
    if not isinstance(params, dict):
        return {"params": ["must be an object of input name → value"]}
    problems = spec.schema().validate(params)
    # A template's value is only known when it is rendered: its type (an e-mail, a number)
    # is checked at delivery time; its syntax is checked below.
    problems = {key: messages for key, messages in problems.items()
                if not _is_template(params.get(key))}
    errors: dict[str, Any] = {}
    if problems:
        errors["params"] = problems
    # Templates that cannot even compile are refused now, not at delivery time.
    for path, messages in validate_params(params).items():
        errors.setdefault("params", {}).setdefault(path, []).extend(messages)
    return errors


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def validate_target(session: Session, target: SlaTarget, viewer: Viewer, is_new: bool) -> dict:
    errors: dict[str, list[str]] = {}
    for name in ("first_response_minutes", "resolution_minutes"):
        value = getattr(target, name)
        if value is not None and value <= 0:
            errors[name] = ["must be a positive number of business minutes"]
    if target.priority is not None and not 0 <= target.priority <= 5:
        errors["priority"] = ["must be between 0 and 5"]
    return errors


def validate_calendar(
    session: Session, calendar: BusinessCalendar, viewer: Viewer, is_new: bool
) -> dict:
    from triggers.sla_clock import WorkingCalendar

    try:
        WorkingCalendar.from_spec(calendar.timezone, calendar.hours or {})
    except ValueError as exc:
        return {"hours": [str(exc)]}
    return {}


rules_for(Recipe).validate.append(validate_recipe)
rules_for(RecipeAction).validate.append(validate_recipe_action)
rules_for(SlaTarget).validate.append(validate_target)
rules_for(BusinessCalendar).validate.append(validate_calendar)
