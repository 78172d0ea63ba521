"""The one check every write goes through, from screens and APIs alike.

It closes Flask-AppBuilder's holes around row-level filters: base filters are not applied on
create, foreign-key ids in a body are loaded unfiltered, and an edit can move a row out of the
caller's scope. Model-specific rules (custom fields, status belongs to type, …) plug in through
``ModelRules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import ONETOMANY

from webapp.access.scope import (
    Viewer,
    is_scoped,
    is_visible,
    known_visible,
    visibility_clause,
    visibility_follows,
)
from webapp.commands.db_errors import explain
from webapp.commands.errors import Invalid, merge_messages

Prepare = Callable[[Session, Any, Viewer, bool], None]
Validate = Callable[[Session, Any, Viewer, bool], dict]


@dataclass
class ModelRules:
    """What a model adds to the shared write check."""

    prepare: list[Prepare] = field(default_factory=list)
    check: list[Validate] = field(default_factory=list)
    """Field checks that need no flush, run before it: they name the field where a database
    CHECK constraint would only answer with its own name."""
    validate: list[Validate] = field(default_factory=list)


RULES: dict[type, ModelRules] = {}


def rules_for(model: type) -> ModelRules:
    return RULES.setdefault(model, ModelRules())


def _changed_relationships(obj: Any, is_new: bool) -> list[Any]:
    state = inspect(obj)
    changed = []
    for rel in state.mapper.relationships:
        if rel.direction == ONETOMANY or not is_scoped(rel.mapper.class_):
            continue
        if is_new or state.attrs[rel.key].history.has_changes() or any(
            state.attrs[state.mapper.get_property_by_column(col).key].history.has_changes()
            for col in rel.local_columns
            if state.mapper.get_property_by_column(col) is not None
        ):
            changed.append(rel)
    return changed


def _referenced_ids(obj: Any, rel: Any) -> list[int]:
    if rel.secondary is not None:
        return [other.id for other in getattr(obj, rel.key) or []]
    state = inspect(obj)
    ids = [
        getattr(obj, state.mapper.get_property_by_column(col).key) for col in rel.local_columns
    ]
    related = getattr(obj, rel.key)
    if related is not None and related.id is not None:
        ids.append(related.id)
    return [i for i in ids if i is not None]


def reference_errors(session: Session, obj: Any, rels: list[Any], viewer: Viewer) -> dict:
    """Every referenced row of a scoped model must be one the viewer may see."""
    errors: dict[str, list[str]] = {}
    for rel in rels:
        ids = set(_referenced_ids(obj, rel))
        if not ids:
            continue
        target = rel.mapper.class_
        known = known_visible(target, viewer)
        unknown = ids - known
        if not unknown:
            continue
        seen = set(session.scalars(
            select(target.id).where(target.id.in_(unknown), visibility_clause(target, viewer))
        ))
        known.update(seen)
        missing = sorted(unknown - seen)
        if missing:
            name = target.__tablename__.replace("_", " ")
            errors[rel.key] = [
                f"no {name} with id {', '.join(map(str, missing))} that you may use"
            ]
    return errors


def integrity_message(exc: Exception) -> dict:
    """The field or rule a database refusal is about, in words; the database's own text
    only goes to the log (it names tables and may quote other rows)."""
    return explain(exc)


def _init_new_collections(obj: Any) -> None:
    """A new row has no related rows yet: start its unset collections empty while it is pending
    (no SQL), so that nothing lazy-loads them after the flush."""
    state = inspect(obj)
    for rel in state.mapper.relationships:
        if rel.uselist and rel.key not in state.dict:
            set_committed_value(obj, rel.key, [])


def check_write(session: Session, obj: Any, viewer: Viewer, *, is_new: bool) -> None:
    """Prepare, flush and verify ``obj``; raises ``Invalid``. The caller commits or rolls back."""
    rules = RULES.get(type(obj), ModelRules())
    if is_new and inspect(obj).key is None:
        _init_new_collections(obj)
    for prepare in rules.prepare:
        prepare(session, obj, viewer, is_new)
    early: dict = {}
    for check in rules.check:
        merge_messages(early, check(session, obj, viewer, is_new))
    if early:
        raise Invalid(early)
    rels = _changed_relationships(obj, is_new)
    session.add(obj)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Invalid(integrity_message(exc)) from exc
    errors = reference_errors(session, obj, rels, viewer)
    for validate in rules.validate:
        merge_messages(errors, validate(session, obj, viewer, is_new))
    if errors:
        raise Invalid(errors)
    session.flush()
    follows = visibility_follows(type(obj), viewer)
    proven = follows is not None and any(
        rel.key == follows and _referenced_ids(obj, rel) for rel in rels
    )
    if is_scoped(type(obj)) and not proven and not is_visible(session, obj, viewer):
        raise Invalid({"_schema": ["this change would put the record out of your own reach"]})
