"""Complexity guards for the hot paths (issue 7): counts of core operations, never time.

A change that makes readiness quadratic, or per-item map work grow with the item count,
fails here long before a benchmark would notice.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners._core import Execution
from hypergraph_runners._schedule import Supersteps
from hypergraph_types import UnknownInputError
from hypergraph_types._format import _SHORTLIST


def chain(n: int, *, looped_head: bool = False) -> Graph:
    nodes = []
    if looped_head:
        # A self-loop at the head: everything downstream may re-run, so the general
        # readiness path (versions, pending set) is used instead of a fixed schedule.
        def head(x0: int, limit: int) -> int:
            return min(x0 + 1, limit)

        nodes.append(FunctionNode(head, name="head", output_name="x0"))
    for i in range(n):
        ns: dict[str, object] = {}
        exec(f"def f{i}(x{i}):\n    return x{i}", ns)
        nodes.append(FunctionNode(ns[f"f{i}"], output_name=f"x{i + 1}"))  # type: ignore[arg-type]
    return Graph(nodes)


class Counter:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def wrap(
        self, monkeypatch: pytest.MonkeyPatch, name: str, owner: type = Execution, key: str = ""
    ) -> None:
        original = getattr(owner, name)
        key = key or name

        def counted(self_: object, *args: object, **kwargs: object) -> object:
            self.calls[key] = self.calls.get(key, 0) + 1
            return original(self_, *args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    c = Counter()
    c.wrap(monkeypatch, "is_ready", Supersteps)  # the general readiness rules (_schedule)
    for name in ("inputs_of", "next_superstep", "commit"):
        c.wrap(monkeypatch, name)
    yield c


@pytest.mark.parametrize("n", [500, 1000, 2000])
def test_readiness_checks_grow_linearly_on_the_general_path(counter: Counter, n: int) -> None:
    result = SyncRunner().run(chain(n, looped_head=True), {"x0": 0, "limit": 1})
    assert result[f"x{n}"] == 1
    # Each value is written a bounded number of times (the head converges in 2 steps), and
    # only consumers of changed values are re-examined: O(n), never O(n^2).
    assert counter.calls["is_ready"] <= 4 * (n + 1)


def test_a_fixed_schedule_needs_no_readiness_checks(counter: Counter) -> None:
    n = 1000
    result = SyncRunner().run(chain(n), {"x0": 7})
    assert result[f"x{n}"] == 7
    assert counter.calls.get("is_ready", 0) == 0
    assert counter.calls["inputs_of"] == n
    assert counter.calls["next_superstep"] == n + 1


def test_dataflow_under_async_runner_resolves_each_node_once(counter: Counter) -> None:
    n = 1000
    result = asyncio.run(AsyncRunner().run(chain(n), {"x0": 7}))
    assert result[f"x{n}"] == 7
    assert counter.calls.get("is_ready", 0) == 0
    assert counter.calls["inputs_of"] == n


@node(output_name="a")
def first(x: int) -> int:
    return x + 1


@node(output_name="b")
def second(a: int) -> int:
    return a * 2


@node(output_name="c")
def third(b: int) -> int:
    return b - 1


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_per_item_map_work_does_not_grow_with_the_item_count(
    monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    graph = Graph([first, second, third])
    per_item = []
    for items in (100, 1000):
        counter = Counter()
        counter.wrap(monkeypatch, "commit_node", key="commit")  # the dataflow's one-node commit
        for name in ("inputs_of", "next_superstep", "commit"):
            counter.wrap(monkeypatch, name)
        if runner == "sync":
            results = SyncRunner().map(graph, {"x": list(range(items))}, map_over="x")
        else:
            results = asyncio.run(AsyncRunner().map(graph, {"x": list(range(items))}, map_over="x"))
        assert [r["c"] for r in results] == [(x + 1) * 2 - 1 for x in range(items)]
        per_item.append({k: v / items for k, v in counter.calls.items()})
        monkeypatch.undo()
    assert per_item[0] == per_item[1]


def test_the_plan_is_compiled_once_per_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    from hypergraph_runners import _plan

    built = []
    original = _plan.Plan.__init__

    def counting(self: _plan.Plan, graph: Graph) -> None:
        built.append(graph)
        original(self, graph)

    monkeypatch.setattr(_plan.Plan, "__init__", counting)
    graph = chain(10)
    for _ in range(5):
        SyncRunner().run(graph, {"x0": 1})
    SyncRunner().run(graph.bind(x0=2))  # bind shares the compiled structure
    assert len(built) == 1


def nest(depth: int) -> Graph:
    graph = Graph([first], name="level0")
    for level in range(1, depth + 1):
        graph = Graph([graph.as_node()], name=f"level{level}")
    return graph


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_each_nested_level_costs_one_fixed_schedule_run(
    monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    """A level is one nested run with one superstep: no readiness checks, no validation."""
    from hypergraph_runners import _inputs

    counts = []
    for depth in (5, 10):
        counter = Counter()
        counter.wrap(monkeypatch, "is_ready", Supersteps)
        counter.wrap(monkeypatch, "commit_node", key="commit")  # the dataflow's one-node commit
        for name in ("inputs_of", "next_superstep", "commit", "__init__"):
            counter.wrap(monkeypatch, name)
        validated: list[Graph] = []
        original = _inputs._check_missing

        def counting(graph: Graph, *args: object) -> None:
            validated.append(graph)
            original(graph, *args)

        monkeypatch.setattr(_inputs, "_check_missing", counting)
        graph = nest(depth)
        if runner == "sync":
            result = SyncRunner().run(graph, {"x": 1})
        else:
            result = asyncio.run(AsyncRunner().run(graph, {"x": 1}))
        assert result["a"] == 2
        assert len(validated) == 1, "nested runs must not validate their values again"
        assert counter.calls.get("is_ready", 0) == 0
        counts.append(counter.calls)
        monkeypatch.undo()
    per_level = {k: (counts[1][k] - counts[0][k]) / 5 for k in counts[1]}
    # One Execution, one node's inputs, one commit per level; the sync driver also asks for
    # the next superstep twice (the one superstep, then the end). Dataflow asks for none.
    expected = {"__init__": 1, "inputs_of": 1, "commit": 1}
    if runner == "sync":
        expected["next_superstep"] = 2
    assert per_level == expected


def wide(n: int) -> Graph:
    """``n`` independent leaves fed by one input: a fan-out of width ``n``."""
    nodes = []
    for i in range(n):
        ns: dict[str, object] = {}
        exec(f"def leaf{i}(x):\n    return x + {i}", ns)
        nodes.append(FunctionNode(ns[f"leaf{i}"], output_name=f"y{i}"))  # type: ignore[arg-type]
    return Graph(nodes)


@pytest.mark.parametrize("sync_nodes", ["thread", "inline"])
def test_dataflow_scheduling_work_is_linear_in_the_fan_out_width(
    monkeypatch: pytest.MonkeyPatch, sync_nodes: str
) -> None:
    """Under a limit most tasks wait; waking the scheduler must not revisit all of them.

    Counts the tasks handed to ``asyncio.wait`` plus the done callbacks registered by the
    dataflow loop: with a wait over every running task at each wake-up this grows with the
    square of the width (10,000 leaves at max_concurrency=8 took ~9 s).
    """
    import hypergraph_runners._async as async_module
    import hypergraph_runners._tasks as tasks_module

    work = {"watched": 0}
    real_wait = asyncio.wait

    async def counting_wait(fs, *args, **kwargs):  # type: ignore[no-untyped-def]
        fs = list(fs)
        work["watched"] += len(fs)
        return await real_wait(fs, *args, **kwargs)

    monkeypatch.setattr(async_module.asyncio, "wait", counting_wait)
    monkeypatch.setattr(tasks_module.asyncio, "wait", counting_wait)
    per_node = []
    for n in (200, 800):
        work["watched"] = 0
        runner = AsyncRunner(sync_nodes=sync_nodes)  # type: ignore[arg-type]
        result = asyncio.run(runner.run(wide(n), {"x": 1}, max_concurrency=8))
        assert result[f"y{n - 1}"] == n
        per_node.append(work["watched"] / n)
    assert per_node[1] <= per_node[0] + 1
    assert per_node[1] <= 4


def test_did_you_mean_for_many_typos_does_bounded_work(
    run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """400 typos against 4,000 inputs: comparisons per typo are bounded, not per input
    (issue 13 case 14; was 4,000 comparisons per typo, twice, ~40 s)."""
    params = [f"param_{i:04d}" for i in range(4_000)]
    ns: dict[str, object] = {}
    exec(f"def wide({', '.join(params)}):\n    return 0", ns)
    graph = Graph([FunctionNode(ns["wide"], output_name="out")])  # type: ignore[arg-type]
    typos = [p[:-1] for p in params[::10]]  # 'param_012' from 'param_0120'
    compared = 0
    original = difflib.SequenceMatcher.set_seq1

    def counted(matcher: difflib.SequenceMatcher[str], a: str) -> None:
        nonlocal compared
        compared += 1
        original(matcher, a)

    monkeypatch.setattr(difflib.SequenceMatcher, "set_seq1", counted)
    with pytest.raises(UnknownInputError) as excinfo:
        run(graph, dict.fromkeys(typos, 1))
    # Two searches per typo (the message's hints and the error's suggestions), each bounded.
    assert compared <= 2 * len(typos) * (_SHORTLIST + 1)
    assert set(excinfo.value.suggestions) == set(typos)
    for typo, match in excinfo.value.suggestions.items():
        # As close as the input the typo came from (one dropped character: ratio 18/19).
        assert difflib.SequenceMatcher(None, match, typo).ratio() >= 18 / 19
