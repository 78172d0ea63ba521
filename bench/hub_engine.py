"""Shared set-up of the hub benchmarks: a bench recipe whose only action is a no-op."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from webapp.extensions import db
from webapp.models import Item, ItemKind, ItemType, Project, Recipe, RecipeAction, Team


def prepare(app: Any) -> int:
    """Disable the shipped recipes, add ``ticket.created → noop``; returns a project id."""
    with app.app_context():
        db.session.execute(update(Recipe).values(enabled=False))
        db.session.add(Recipe(name="bench no-op", trigger_event="ticket.created",
                              actions=[RecipeAction(position=0, action_type="noop",
                                                    params={})]))
        project = Project(name="Bench", teams=[Team(name="Bench team")])
        db.session.add(project)
        db.session.commit()
        return project.id


def create_ticket(project_id: int, ticket_type: ItemType, n: int) -> None:
    """One ticket in its own transaction: one event, one enqueue after the commit."""
    db.session.add(Item(kind=ItemKind.TICKET, title=f"bench {n}", item_type_id=ticket_type.id,
                        status_id=ticket_type.statuses[0].id, project_id=project_id,
                        custom_values={}, priority=0))
    db.session.commit()


def ticket_type() -> ItemType:
    return db.session.query(ItemType).filter(ItemType.kind == ItemKind.TICKET,
                                             ItemType.is_default.is_(True)).one()
