"""Building recipes and items for the hub tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.factories import ApiClient
from webapp.models import ItemKind, ItemType, Recipe, RecipeAction, Status


def recipe(session: Session, name: str, trigger: str, actions: list[tuple[str, dict]],
           **kw: Any) -> Recipe:
    """A recipe with its actions in the given order (committed)."""
    row = Recipe(name=name, trigger_event=trigger, **kw, actions=[
        RecipeAction(position=i, action_type=kind, params=params)
        for i, (kind, params) in enumerate(actions)])
    session.add(row)
    session.commit()
    return row


def only_builtin_recipes(session: Session, *keys: str) -> None:
    """Of the shipped recipes, only those with these ``builtin_key``s stay enabled."""
    session.execute(update(Recipe).where(Recipe.builtin_key.is_not(None))
                    .values(enabled=Recipe.builtin_key.in_(keys)))
    session.commit()


def title_has(tag: str) -> dict[str, Any]:
    return {"match": "all", "rules": [{"field": "item.title", "op": "contains", "value": tag}]}


def item_type(session: Session, kind: ItemKind = ItemKind.TICKET,
              name: str | None = None) -> ItemType:
    query = select(ItemType).where(ItemType.kind == kind)
    if name is not None:
        query = query.where(ItemType.name == name)
    return session.scalars(query.order_by(ItemType.id)).first()


def status_id(session: Session, type_name: str, status_name: str) -> int:
    return session.scalar(select(Status.id).join(ItemType).where(
        ItemType.name == type_name, Status.name == status_name))


def create_item(api: ApiClient, resource: str = "ticket", **fields: Any) -> int:
    response = api.post(f"/api/v1/{resource}/", json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def update_item(api: ApiClient, item_id: int, resource: str = "ticket",
                **fields: Any) -> None:
    response = api.put(f"/api/v1/{resource}/{item_id}", json=fields)
    assert response.status_code == 200, response.get_json()
