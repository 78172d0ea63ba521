"""``POST``/``PUT /api/v1/recipe/`` with ``actions`` inline: the recipe and its ordered
actions in one transaction through the recipe editor's write path; reads show them."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import ApiClient
from webapp.models import Recipe, RecipeAction

RECIPE = {
    "name": "Urgent tickets → note and status",
    "trigger_event": "ticket.created",
    "conditions": {"match": "all", "rules": [
        {"field": "item.priority", "op": "gte", "value": 4}]},
    "actions": [
        {"action_type": "post_message", "params": {"body": "Seen: {{ item.title }}"}},
        {"action_type": "set_status", "params": {"status": "In progress"}},
    ],
}


def counts(make) -> tuple[int, int]:
    make.session.expire_all()
    return (make.session.scalar(select(func.count(Recipe.id))),
            make.session.scalar(select(func.count(RecipeAction.id))))


def test_create_with_nested_actions_and_read_them_back(app, client, make):
    admin = make.user("Admin")
    api = ApiClient(client, admin.username)
    created = api.post("/api/v1/recipe/", json=RECIPE)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert [a["action_type"] for a in body["result"]["actions"]] == ["post_message",
                                                                     "set_status"]
    shown = api.get(f"/api/v1/recipe/{body['id']}").get_json()["result"]
    assert shown["name"] == RECIPE["name"] and shown["trigger_event"] == "ticket.created"
    assert [(a["position"], a["action_type"], a["params"]) for a in shown["actions"]] == [
        (0, "post_message", {"body": "Seen: {{ item.title }}"}),
        (1, "set_status", {"status": "In progress"})]


def test_put_with_actions_replaces_them(app, client, make):
    admin = make.user("Admin")
    api = ApiClient(client, admin.username)
    pk = api.post("/api/v1/recipe/", json=RECIPE).get_json()["id"]
    before = counts(make)
    changed = api.put(f"/api/v1/recipe/{pk}", json={
        "name": "Only a note", "actions": [
            {"action_type": "post_message", "params": {"body": "hello", "public": False}}]})
    assert changed.status_code == 200, changed.get_json()
    shown = api.get(f"/api/v1/recipe/{pk}").get_json()["result"]
    assert shown["name"] == "Only a note"
    assert [a["action_type"] for a in shown["actions"]] == ["post_message"]
    assert counts(make) == (before[0], before[1] - 1)


def test_every_problem_is_named_and_nothing_is_written(app, client, make):
    admin = make.user("Admin")
    api = ApiClient(client, admin.username)
    before = counts(make)
    bad = api.post("/api/v1/recipe/", json={
        "name": "Broken", "trigger_event": "ticket.created", "position": "first",
        "actions": [{"action_type": "no_such_action"},
                    {"action_type": "set_status", "params": {}}]})
    assert bad.status_code == 422
    message = bad.get_json()["message"]
    assert "position" in message
    assert "action_type" in message["actions"]["0"]
    assert "status" in message["actions"]["1"]["params"]
    bad = api.post("/api/v1/recipe/", json={"name": "No actions",
                                            "trigger_event": "ticket.created",
                                            "actions": []})
    assert bad.status_code == 422
    assert bad.get_json()["message"] == {"actions": ["add at least one action"]}
    bad = api.post("/api/v1/recipe/", json={**RECIPE, "trigger_event": "Not an event!"})
    assert bad.status_code == 422 and "trigger_event" in bad.get_json()["message"]
    assert counts(make) == before


def test_without_actions_the_recipe_alone_is_created_as_before(app, client, make):
    admin = make.user("Admin")
    api = ApiClient(client, admin.username)
    created = api.post("/api/v1/recipe/", json={"name": "Empty",
                                                 "trigger_event": "ticket.created"})
    assert created.status_code == 201, created.get_json()


def test_agents_may_not_write_recipes_with_actions(app, client, make):
    agent = make.user("Agent", teams=[make.team()])
    before = counts(make)
    refused = ApiClient(client, agent.username).post("/api/v1/recipe/", json=RECIPE)
    assert refused.status_code in (401, 403)
    assert counts(make) == before
