"""The one-click portal presets: internal help desk and external customers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.access.scope import SYSTEM
from webapp.commands.errors import Invalid
from webapp.models import Portal, PortalVisibility, Recipe, RecipeAction
from webapp.portal.presets import SLA_RECIPE, SURVEY_RECIPE, apply_preset


def _portal(make) -> Portal:
    return make.session.scalar(select(Portal).where(Portal.slug == "help"))


def _enabled(make, key: str) -> bool:
    return make.session.scalar(select(Recipe.enabled).where(Recipe.builtin_key == key))


def _routing_recipe(make, enabled: bool = False) -> Recipe:
    """The shipped routing recipe (installed switched off), switched as the test needs."""
    recipe = make.session.scalar(select(Recipe).where(
        Recipe.builtin_key == "default.organization_project"))
    assert [a.action_type for a in recipe.actions] == ["ensure_org_project"]
    recipe.enabled = enabled
    make.session.commit()
    return recipe


def test_internal_preset_turns_off_survey_and_sla(make):
    portal = _portal(make)
    portal.visibility = PortalVisibility.ORGANIZATION
    routing = _routing_recipe(make, enabled=True)
    recipes_before = make.session.scalar(select(func.count()).select_from(Recipe))

    result = apply_preset(make.session, SYSTEM, portal, "internal")
    make.session.commit()

    make.session.expire_all()
    portal = _portal(make)
    assert portal.visibility == PortalVisibility.OWN
    assert portal.survey_enabled is False
    assert _enabled(make, SURVEY_RECIPE) is False
    assert _enabled(make, SLA_RECIPE) is False
    assert make.session.get(Recipe, routing.id).enabled is False
    assert make.session.scalar(select(func.count()).select_from(Recipe)) == recipes_before
    assert "Portal visibility: organization → own" in result.changes
    assert "Portal satisfaction survey: on → off" in result.changes
    assert any("Attach the default SLA" in line and "on → off" in line
               for line in result.changes)
    assert len(result.changes) == 5 and result.notes == []

    again = apply_preset(make.session, SYSTEM, portal, "internal")
    assert again.changes == []


def test_external_preset_turns_on_survey_sla_and_organization_projects(make):
    portal = _portal(make)
    apply_preset(make.session, SYSTEM, portal, "internal")
    make.session.commit()
    routing = _routing_recipe(make, enabled=False)

    result = apply_preset(make.session, SYSTEM, portal, "external")
    make.session.commit()
    make.session.expire_all()
    portal = _portal(make)
    assert portal.visibility == PortalVisibility.ORGANIZATION
    assert portal.survey_enabled is True
    assert _enabled(make, SURVEY_RECIPE) is True
    assert _enabled(make, SLA_RECIPE) is True
    assert make.session.get(Recipe, routing.id).enabled is True
    assert any("organization's requests" in line and "off → on" in line
               for line in result.changes)


def test_without_a_routing_recipe_the_preset_says_so(make):
    make.session.delete(_routing_recipe(make))  # an admin deleted the shipped recipe
    make.session.commit()
    result = apply_preset(make.session, SYSTEM, _portal(make), "external")
    assert any("No shipped organization-routing recipe" in note for note in result.notes)


def test_user_recipes_with_the_same_action_are_left_alone(make):
    own = Recipe(name="Mine", enabled=True, trigger_event="ticket.created", position=99,
                 actions=[RecipeAction(position=0, action_type="ensure_org_project",
                                       params={})])
    make.session.add(own)
    make.session.commit()
    apply_preset(make.session, SYSTEM, _portal(make), "internal")
    make.session.commit()
    make.session.expire_all()
    assert make.session.get(Recipe, own.id).enabled is True


def test_unknown_preset_is_refused(make):
    with pytest.raises(Invalid) as refused:
        apply_preset(make.session, SYSTEM, _portal(make), "galactic")
    assert "unknown preset 'galactic'" in str(refused.value.messages["preset"])
