"""One-click setups of a portal and the shipped automation for the two ways help desks work:
an internal help desk (employees, by portfolio) and external customers (by organization).

A preset only switches settings and shipped recipes on or off; it never deletes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.access.scope import Viewer
from webapp.commands.errors import Invalid
from webapp.commands.write_check import check_write
from webapp.models import Portal, PortalVisibility, Recipe, RecipeAction

SLA_RECIPE = "default.attach_sla"
SURVEY_RECIPE = "default.satisfaction_survey"
# The action that moves a request into its requester organization's own project.
ORGANIZATION_PROJECT_ACTION = "ensure_org_project"


@dataclass
class PresetResult:
    """What applying a preset changed, and what it could not find (one line each)."""

    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    description: str
    visibility: PortalVisibility
    survey: bool
    sla: bool
    organization_projects: bool


PRESETS: dict[str, Preset] = {preset.key: preset for preset in (
    Preset("internal", "Internal help desk",
           "Employees of one company: each sees their own requests; requests stay in the "
           "portal's project (organised by portfolio); no SLA, no satisfaction survey.",
           PortalVisibility.OWN, survey=False, sla=False, organization_projects=False),
    Preset("external", "External customers",
           "Customers of several organizations: colleagues see each other's requests; each "
           "organization's requests go to its own project; default SLA and satisfaction "
           "survey on.",
           PortalVisibility.ORGANIZATION, survey=True, sla=True, organization_projects=True),
)}


def _builtin(session: Session, key: str) -> Recipe | None:
    return session.scalar(select(Recipe).where(Recipe.builtin_key == key))


def organization_routing_recipes(session: Session) -> list[Recipe]:
    """Shipped recipes that put requests in their organization's project."""
    return list(session.scalars(
        select(Recipe).where(Recipe.builtin_key.is_not(None), Recipe.id.in_(
            select(RecipeAction.recipe_id).where(
                RecipeAction.action_type == ORGANIZATION_PROJECT_ACTION)))
        .order_by(Recipe.id)))


def _set(changes: list[str], what: str, old: object, new: object) -> bool:
    if old == new:
        return False
    changes.append(f"{what}: {_word(old)} → {_word(new)}")
    return True


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(getattr(value, "value", value))


def _toggle(session: Session, viewer: Viewer, result: PresetResult, recipe: Recipe | None,
            enabled: bool, missing: str) -> None:
    if recipe is None:
        result.notes.append(missing)
        return
    if _set(result.changes, f'Recipe "{recipe.name}"', recipe.enabled, enabled):
        recipe.enabled = enabled
        check_write(session, recipe, viewer, is_new=False)


def apply_preset(session: Session, viewer: Viewer, portal: Portal, key: str) -> PresetResult:
    """Switch ``portal`` and the shipped recipes to preset ``key``, through the write check;
    the caller commits."""
    preset = PRESETS.get(key)
    if preset is None:
        raise Invalid({"preset": [f"unknown preset {key!r}: choose one of "
                                  f"{', '.join(PRESETS)}"]})
    result = PresetResult()
    if _set(result.changes, "Portal visibility", portal.visibility, preset.visibility):
        portal.visibility = preset.visibility
    if _set(result.changes, "Portal satisfaction survey", portal.survey_enabled,
            preset.survey):
        portal.survey_enabled = preset.survey
    check_write(session, portal, viewer, is_new=False)
    _toggle(session, viewer, result, _builtin(session, SURVEY_RECIPE), preset.survey,
            "No shipped satisfaction-survey recipe: nothing to switch.")
    _toggle(session, viewer, result, _builtin(session, SLA_RECIPE), preset.sla,
            "No shipped default-SLA recipe: nothing to switch.")
    routing = organization_routing_recipes(session)
    if not routing:
        result.notes.append("No shipped organization-routing recipe: requests stay in the "
                            "portal's project.")
    for recipe in routing:
        _toggle(session, viewer, result, recipe, preset.organization_projects, "")
    return result
