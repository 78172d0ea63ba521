"""The critical path of a task graph: the longest chain of dependent tasks by duration.

Each task has a duration in days and the tasks it waits for (its predecessors). A task is
critical when it lies on a longest chain (no slack); a dependency is critical when both ends
are consecutive on such a chain. A dependency cycle has no longest chain: it is reported
(``DependencyCycle`` names the tasks), never followed round and round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class DependencyCycle(ValueError):
    """The tasks ``cycle`` (first == last) wait for each other."""

    def __init__(self, cycle: list[int]) -> None:
        self.cycle = cycle
        super().__init__("tasks wait for each other in a cycle: "
                         + " → ".join(f"#{i}" for i in cycle))


@dataclass(frozen=True)
class CriticalPath:
    length: int  # days along the longest chain
    tasks: frozenset[int]  # every task on some longest chain
    links: frozenset[tuple[int, int]]  # (predecessor, successor) on some longest chain
    path: tuple[int, ...]  # one longest chain, first task first


def planned_days(start: dt.date | None, finish: dt.date | None) -> int:
    """Planned duration in days, both ends counted; 0 when a date is missing."""
    if start is None or finish is None or finish < start:
        return 0
    return (finish - start).days + 1


def _order(nodes: list[int], preds: Mapping[int, list[int]],
           succs: Mapping[int, list[int]]) -> list[int]:
    """Topological order (Kahn); raises ``DependencyCycle`` if some tasks never come free."""
    waiting = {n: len(preds[n]) for n in nodes}
    ready = sorted(n for n in nodes if waiting[n] == 0)
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in succs[node]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    if len(order) < len(nodes):
        raise DependencyCycle(_find_cycle({n for n in nodes if waiting[n] > 0}, preds))
    return order


def _find_cycle(stuck: set[int], preds: Mapping[int, list[int]]) -> list[int]:
    """Walk predecessors among the stuck tasks (each has one stuck predecessor at least)
    until a task repeats."""
    node = min(stuck)
    seen: dict[int, int] = {}
    trail: list[int] = []
    while node not in seen:
        seen[node] = len(trail)
        trail.append(node)
        node = min(p for p in preds[node] if p in stuck)
    cycle = trail[seen[node]:] + [node]
    cycle.reverse()  # predecessor first
    return cycle


def critical_path(durations: Mapping[int, int],
                  predecessors: Mapping[int, Iterable[int]]) -> CriticalPath:
    """The longest chain through the tasks ``durations`` (id → days). Predecessors that are
    not among the tasks (another project, filtered out) are ignored."""
    nodes = sorted(durations)
    preds = {n: sorted({p for p in predecessors.get(n, ()) if p in durations and p != n})
             for n in nodes}
    self_loops = [n for n in nodes if n in set(predecessors.get(n, ()))]
    if self_loops:
        raise DependencyCycle([self_loops[0], self_loops[0]])
    succs: dict[int, list[int]] = {n: [] for n in nodes}
    for node, before in preds.items():
        for p in before:
            succs[p].append(node)
    order = _order(nodes, preds, succs)
    finish: dict[int, int] = {}  # longest chain ending with the task, the task included
    for node in order:
        finish[node] = durations[node] + max((finish[p] for p in preds[node]), default=0)
    tail: dict[int, int] = {}  # longest chain starting with the task, the task included
    for node in reversed(order):
        tail[node] = durations[node] + max((tail[s] for s in succs[node]), default=0)
    length = max(finish.values(), default=0)
    if length == 0:  # nothing planned: no chain is longer than another
        return CriticalPath(0, frozenset(), frozenset(), ())
    tasks = frozenset(n for n in nodes if finish[n] + tail[n] - durations[n] == length)
    links = frozenset((p, s) for s in nodes for p in preds[s] if finish[p] + tail[s] == length)
    node = min(n for n in tasks if tail[n] == length)
    path = [node]
    while succs[node]:
        nxt = [s for s in sorted(succs[node]) if (node, s) in links]
        if not nxt:
            break
        node = nxt[0]
        path.append(node)
    return CriticalPath(length, tasks, links, tuple(path))
