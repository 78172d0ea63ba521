"""Screens for recipes, deliveries, events and SLA settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.clients import Browser
from webapp.models import (
    Delivery,
    DeliveryStatus,
    Event,
    ItemKind,
    Recipe,
    RecipeAction,
    utcnow,
)


def _dead_delivery(make, recipe: Recipe, created_at: dt.datetime) -> Delivery:
    project = make.project(teams=[make.team()])
    item = make.item(project, ItemKind.TICKET)
    event = make.session.scalars(select(Event).where(Event.subject_id == item.id)).first()
    delivery = Delivery(event_id=event.id, recipe_id=recipe.id,
                        recipe_action_id=recipe.actions[0].id,
                        action_type=recipe.actions[0].action_type, status=DeliveryStatus.DEAD,
                        attempts=8, last_error="SMTP relay unreachable", created_at=created_at)
    make.session.add(delivery)
    make.session.commit()
    return delivery


def test_recipe_screens_add_with_json_and_refuse_bad_json(app, client, make):
    admin = make.user("Admin")
    browser = Browser(app, client, admin.username)
    assert "Attach the default SLA" in browser.page("/recipes/list/")

    bad = browser.post("/recipes/add", data={
        "name": "Broken", "trigger_event": "ticket.created", "position": "1",
        "conditions": '{"match": "all", "rules": [', "enabled": "y"})
    assert "is not valid JSON" in bad.get_data(as_text=True)
    make.session.expire_all()
    assert make.session.scalar(select(Recipe).where(Recipe.name == "Broken")) is None

    browser.post("/recipes/add", data={
        "name": "VIP", "trigger_event": "ticket.created", "position": "1", "enabled": "y",
        "conditions": '{"match": "all", "rules": [{"field": "item.priority", "op": "gte", '
                      '"value": 4}]}'})
    make.session.expire_all()
    recipe = make.session.scalar(select(Recipe).where(Recipe.name == "VIP"))
    assert recipe.conditions["rules"][0] == {"field": "item.priority", "op": "gte", "value": 4}

    wrong_op = browser.post("/recipes/add", data={
        "name": "Wrong", "trigger_event": "ticket.created", "position": "1",
        "conditions": '{"match": "all", "rules": [{"field": "item.priority", "op": "bigger", '
                      '"value": 4}]}'})
    assert "unknown operator" in wrong_op.get_data(as_text=True) or make.session.scalar(
        select(Recipe).where(Recipe.name == "Wrong")) is None
    make.session.expire_all()
    assert make.session.scalar(select(Recipe).where(Recipe.name == "Wrong")) is None


def test_rerun_failed_since_from_the_recipe_page(app, client, make):
    admin = make.user("Admin")
    recipe = make.session.scalar(select(Recipe).where(
        Recipe.builtin_key == "default.satisfaction_survey"))
    old = _dead_delivery(make, recipe, utcnow() - dt.timedelta(days=3))
    recent = _dead_delivery(make, recipe, utcnow() - dt.timedelta(hours=1))
    browser = Browser(app, client, admin.username)
    page = browser.page(f"/recipes/show/{recipe.id}")
    assert "Re-run failed deliveries" in page

    since = (utcnow() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    browser.post(f"/recipes/rerun/{recipe.id}", data={"since": since})
    make.session.expire_all()
    assert make.session.get(Delivery, recent.id).status == DeliveryStatus.PENDING
    assert make.session.get(Delivery, old.id).status == DeliveryStatus.DEAD

    browser.post(f"/recipes/rerun/{recipe.id}", data={"since": "yesterday"})
    make.session.expire_all()
    assert make.session.get(Delivery, old.id).status == DeliveryStatus.DEAD


def test_delivery_list_and_replay_action(app, client, make):
    admin = make.user("Admin")
    recipe = make.session.scalar(select(Recipe).where(
        Recipe.builtin_key == "default.satisfaction_survey"))
    dead = _dead_delivery(make, recipe, utcnow())
    browser = Browser(app, client, admin.username)
    listing = browser.page("/deliveries/list/")
    assert "SMTP relay unreachable" in listing
    browser.post("/deliveries/action_post", data={"action": "replay", "rowid": [str(dead.id)]})
    make.session.expire_all()
    replayed = make.session.get(Delivery, dead.id)
    # Pending again; the attempt count keeps its history (the next one is attempt 9).
    assert replayed.status == DeliveryStatus.PENDING and replayed.attempts == 8


def test_events_screen_is_read_only_and_scoped(app, client, make):
    team = make.team()
    agent = make.user("Agent", teams=[team])
    seen = make.item(make.project(teams=[team]), ItemKind.TICKET, title="Visible printer")
    hidden = make.item(make.project(teams=[make.team()]), ItemKind.TICKET, title="Hidden")
    browser = Browser(app, client, agent.username)
    ids = {e.subject_id for e in make.session.scalars(select(Event).where(
        Event.type == "ticket.created"))}
    assert {seen.id, hidden.id} <= ids
    listing = browser.page("/events/list/?_flt_0_type=ticket.created")
    hidden_event = make.session.scalar(select(Event).where(Event.subject_id == hidden.id,
                                                           Event.type == "ticket.created"))
    seen_event = make.session.scalar(select(Event).where(Event.subject_id == seen.id,
                                                         Event.type == "ticket.created"))
    assert f"/events/show/{seen_event.id}" in listing
    assert f"/events/show/{hidden_event.id}" not in listing
    assert browser.get(f"/events/show/{hidden_event.id}").status_code in (302, 404)
    assert browser.get("/events/add").status_code == 404


def test_recipe_action_params_are_validated(app, client, make):
    admin = make.user("Admin")
    recipe = make.session.scalar(select(Recipe).where(Recipe.builtin_key ==
                                                      "default.attach_sla"))
    browser = Browser(app, client, admin.username)
    browser.post("/recipe-actions/add", data={
        "recipe": str(recipe.id), "position": "5", "action_type": "set_status",
        "params": '{"wrong": 1}'})
    make.session.expire_all()
    actions = make.session.scalars(select(RecipeAction).where(
        RecipeAction.recipe_id == recipe.id)).all()
    assert [a.action_type for a in actions] == ["attach_sla"]
    browser.post("/recipe-actions/add", data={
        "recipe": str(recipe.id), "position": "5", "action_type": "set_status",
        "params": '{"status": "{{ item.status }}"}'})
    make.session.expire_all()
    assert len(make.session.scalars(select(RecipeAction).where(
        RecipeAction.recipe_id == recipe.id)).all()) == 2
