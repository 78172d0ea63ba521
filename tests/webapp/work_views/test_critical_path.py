"""The critical path on hand-made graphs, checked against every chain enumerated by brute
force (the longest chains, the tasks and links on them), and cycles reported."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from webapp.work_views.critical_path import DependencyCycle, critical_path, planned_days


def all_chains(durations: dict[int, int], preds: dict[int, list[int]]) -> list[list[int]]:
    """Every chain that starts at a task without predecessors and ends at one without
    successors (the graph is acyclic)."""
    succs = {n: [s for s in durations if n in preds.get(s, [])] for n in durations}

    def walk(chain: list[int]) -> list[list[int]]:
        nxt = succs[chain[-1]]
        return [chain] if not nxt else [c for s in nxt for c in walk(chain + [s])]

    return [c for n in durations if not preds.get(n) for c in walk([n])]


def expected(durations: dict[int, int], preds: dict[int, list[int]]) -> tuple[int, set, set]:
    chains = all_chains(durations, preds)
    length = max(sum(durations[n] for n in c) for c in chains)
    longest = [c for c in chains if sum(durations[n] for n in c) == length]
    return (length, {n for c in longest for n in c},
            {(a, b) for c in longest for a, b in zip(c, c[1:], strict=False)})


GRAPHS = {
    # 1 → 2 → 4 and 1 → 3 → 4: the long branch wins.
    "diamond": ({1: 2, 2: 5, 3: 1, 4: 3}, {2: [1], 3: [1], 4: [2, 3]}),
    # two independent chains, the second longer
    "two chains": ({1: 3, 2: 3, 3: 4, 4: 4}, {2: [1], 4: [3]}),
    # a tie: both branches of the diamond are critical
    "tie": ({1: 1, 2: 4, 3: 4, 4: 1}, {2: [1], 3: [1], 4: [2, 3]}),
    # a single task
    "single": ({7: 5}, {}),
    # a task that waits for a long chain and a long single task
    "join": ({1: 2, 2: 2, 3: 2, 4: 7, 5: 1}, {2: [1], 3: [2], 5: [3, 4]}),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_longest_chain_matches_brute_force(name):
    durations, preds = GRAPHS[name]
    length, tasks, links = expected(durations, preds)
    found = critical_path(durations, preds)
    assert found.length == length
    assert found.tasks == tasks
    assert found.links == links
    assert sum(durations[n] for n in found.path) == length
    assert all((a, b) in links for a, b in zip(found.path, found.path[1:], strict=False))


@pytest.mark.parametrize("seed", range(25))
def test_random_acyclic_graphs_match_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 9)
    durations = {i: rng.randint(0, 6) for i in range(1, n + 1)}
    durations[rng.randint(1, n)] += 1  # at least one planned day
    # predecessors only among smaller ids: acyclic by construction
    preds = {i: [p for p in range(1, i) if rng.random() < 0.35] for i in range(1, n + 1)}
    length, tasks, links = expected(durations, preds)
    found = critical_path(durations, preds)
    assert (found.length, found.tasks, found.links) == (length, tasks, links)


def test_unknown_predecessors_are_ignored():
    found = critical_path({1: 2, 2: 3}, {2: [1, 99]})
    assert (found.length, found.path) == (5, (1, 2))


@pytest.mark.parametrize("durations,preds,members", [
    ({1: 1, 2: 1, 3: 1}, {1: [3], 2: [1], 3: [2]}, {1, 2, 3}),
    ({1: 1, 2: 1, 3: 1, 4: 2}, {2: [1, 3], 3: [2], 4: [1]}, {2, 3}),
    ({1: 1}, {1: [1]}, {1}),
])
def test_a_cycle_is_reported_with_its_tasks(durations, preds, members):
    with pytest.raises(DependencyCycle) as caught:
        critical_path(durations, preds)
    cycle = caught.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == members
    for before, after in zip(cycle, cycle[1:], strict=False):  # each waits for the one before
        assert before in preds[after]
    assert "#" in str(caught.value)


def test_nothing_planned_has_no_critical_path():
    assert critical_path({1: 0, 2: 0}, {2: [1]}).tasks == frozenset()


def test_planned_days_counts_both_ends():
    start = dt.date(2024, 3, 1)
    assert planned_days(start, start) == 1
    assert planned_days(start, dt.date(2024, 3, 10)) == 10
    assert planned_days(start, None) == 0
