"""KNOWN_EVENTS (what hooks, triggers and the editor accept and offer) is every event type the
code writes: the outbox's model events, read from its own functions, and every ``emit(…)``
call in the code, read from the source, so a new writer cannot be forgotten."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from triggers.outbox import _prefix, _types
from webapp.commands.webhooks import DYNAMIC_FAMILIES, KNOWN_EVENTS
from webapp.models import Item, ItemKind, Model

ROOT = Path(__file__).resolve().parents[2]
WRITERS = ("webapp", "hub", "triggers", "connectors")


def _model_events() -> set[str]:
    found: set[str] = set()
    instances = [Item(kind=kind) for kind in ItemKind]
    instances += [mapper.class_() for mapper in Model.registry.mappers
                  if mapper.class_ is not Item]
    every_change = {"status_id": {}, "assignee_users_ids": {}, "kind": {}}
    for obj in instances:
        prefix = _prefix(obj)
        if prefix is None:
            continue
        for verb in ("created", "deleted"):
            found.update(_types(prefix, obj, verb, {}))
        found.update(_types(prefix, obj, "updated", every_change))
    return found


def _constants(tree: ast.Module) -> dict[str, str]:
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)}


def _emitted() -> tuple[set[str], set[str], list[str]]:
    """Literal event types, f-string patterns (as regexes), and calls not understood."""
    literals: set[str] = set()
    patterns: set[str] = set()
    unknown: list[str] = []
    for top in WRITERS:
        for path in (ROOT / top).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            constants = _constants(tree)
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and len(node.args) >= 2 and (
                        getattr(node.func, "id", None) == "emit"
                        or getattr(node.func, "attr", None) == "emit")):
                    continue
                arg = node.args[1]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    literals.add(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    literals.add(constants[arg.id])
                elif isinstance(arg, ast.JoinedStr):
                    patterns.add("".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z_]+"
                        for part in arg.values))
                elif isinstance(arg, ast.Attribute) and arg.attr == "event_type":
                    literals.add("inbound.*")  # InboundEndpoint.event_type: inbound.<slug>
                else:
                    unknown.append(f"{where}: {ast.unparse(arg)}")
    return literals, patterns, unknown


def test_every_event_type_the_code_writes_is_known() -> None:
    known = set(KNOWN_EVENTS)
    model = _model_events()
    assert model >= {"ticket.converted", "message.deleted", "task.assigned"}
    assert model - known == set()

    literals, patterns, unknown = _emitted()
    assert unknown == [], "emit() calls whose event type this test cannot read"
    assert "security.login_failed" in literals and "ticket.rated" in literals
    assert {t for t in literals if t.split(".", 1)[0] not in DYNAMIC_FAMILIES} - known == set()
    assert "inbound.*" in literals  # inbound endpoints write inbound.<slug>
    for pattern in patterns:  # f"sla.{kind}", f"{item.kind.value}.idle"
        assert [k for k in known if re.fullmatch(pattern, k)], pattern
    assert {f"{kind.value}.idle" for kind in ItemKind} <= known
    assert {"sla.warning", "sla.breached"} <= known
