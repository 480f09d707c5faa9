"""Nested graphs: execution, renames, ``map_over``, nested results, runner choice and failures
(SPEC NEST-01 ... NEST-04, NEST-06, §4.8, §5.2; RELIABILITY F7, §1.3 "Nested failures")."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hypergraph_graph import Graph, GraphNode, node
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import (
    IncompatibleRunnerError,
    InfiniteLoopError,
    InvalidInputError,
    RunnerCapabilities,
    RunResult,
    RunStatus,
)
from support import Calls, hypergraph_notes

RUNNERS = ["sync", "async"]


def run(kind: str, graph: Graph, values=None, **kwargs) -> RunResult:
    """``run`` under either runner; the AsyncRunner call gets a fresh loop and a deadline."""
    if kind == "sync":
        return SyncRunner().run(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values, **kwargs), 30))


def arun(graph: Graph, values=None, **kwargs) -> RunResult:
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values, **kwargs), 30))


def flat(result: RunResult) -> dict:
    """The values without nested ``RunResult``s (or lists of them)."""

    def nested(v) -> bool:
        return isinstance(v, RunResult) or (
            isinstance(v, list) and v and all(isinstance(x, RunResult | None) for x in v)
        )

    return {k: v for k, v in result.values.items() if not nested(v)}


# --- building blocks -----------------------------------------------------------------------


@node(output_name="cleaned")
def clean(text):
    return text.strip().lower()


@node(output_name=("words", "count"))
def split(cleaned):
    words = cleaned.split()
    return words, len(words)


@node(output_name="summary")
def summarize(words):
    return "-".join(words)


def prep_graph() -> Graph:
    return Graph([clean, split], name="prep")


def double_graph(calls: Calls | None = None) -> Graph:
    @node(output_name="doubled")
    def double(x):
        if calls is not None:
            calls.add(x)
        return 2 * x

    return Graph([double], name="inner")


def pair_graph(calls: Calls | None = None) -> Graph:
    @node(output_name="out")
    def combine(x, y):
        if calls is not None:
            calls.add((x, y))
        return 100 * x + y

    return Graph([combine], name="inner")


# --- NEST-01: nested execution --------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_run_outputs_flow_into_the_parent(kind) -> None:
    outer = Graph([prep_graph().as_node(), summarize])
    r = run(kind, outer, {"text": "  Hello Big World "})
    assert r.status is RunStatus.COMPLETED
    assert flat(r) == {
        "cleaned": "hello big world",
        "words": ["hello", "big", "world"],
        "count": 3,
        "summary": "hello-big-world",
    }


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_graph_with_bound_and_default_inputs(kind) -> None:
    @node(output_name="y")
    def scale(x, factor=3, offset=0):
        return x * factor + offset

    inner = Graph([scale], name="inner").bind(offset=100)
    outer = Graph([inner.as_node()])
    assert run(kind, outer, {"x": 2})["y"] == 106
    assert run(kind, outer, {"x": 2, "factor": 10, "offset": 1})["y"] == 21


@pytest.mark.parametrize("kind", RUNNERS)
def test_three_levels_of_nesting(kind) -> None:
    @node(output_name="b")
    def inc(a):
        return a + 1

    level3 = Graph([inc], name="l3")
    level2 = Graph([level3.as_node()], name="l2")
    level1 = Graph([level2.as_node()], name="l1")
    r = run(kind, Graph([level1.as_node()]), {"a": 41})
    assert r["b"] == 42
    assert r["l1"]["l2"]["l3"]["b"] == 42
    assert r["l1"]["b"] == r["l1"]["l2"]["b"] == 42


# --- NEST-04: nested RunResult --------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_result_under_the_graph_node_name(kind) -> None:
    inner = prep_graph()
    outer = Graph([inner.as_node(), summarize])
    r = run(kind, outer, {"text": "a b"})
    nested = r.values["prep"]
    assert isinstance(nested, RunResult)
    assert nested.status is RunStatus.COMPLETED
    assert nested.error is None
    assert nested.failed_node is None
    assert nested.run_id != r.run_id
    assert nested.run_id.startswith("run-")
    alone = SyncRunner().run(inner, {"text": "a b"})
    assert nested.values == alone.values  # inner select=None values under inner names
    # flattened outputs stay
    assert r["prep"]["count"] == r["count"] == 2
    # the nested result follows the outputs, in node order
    assert list(r.values) == ["cleaned", "words", "count", "summary", "prep"]


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_result_is_selectable_by_name(kind) -> None:
    outer = Graph([prep_graph().as_node(), summarize])
    r = run(kind, outer, {"text": "a b"}, select=["prep", "summary"])
    assert list(r.values) == ["prep", "summary"]
    assert r["prep"]["words"] == ["a", "b"]
    r = run(kind, outer, {"text": "a b"}, select="summary")
    assert r.values == {"summary": "a-b"}


@pytest.mark.parametrize("kind", RUNNERS)
def test_each_nested_run_gets_a_fresh_run_id(kind) -> None:
    outer = Graph([double_graph().as_node().map_over("x")])
    r = run(kind, outer, {"x": [1, 2, 3, 4]})
    ids = [item.run_id for item in r["inner"]]
    assert len(set(ids)) == 4
    assert r.run_id not in ids


@pytest.mark.parametrize("kind", RUNNERS)
def test_graph_node_named_like_its_own_output_exposes_the_output(kind) -> None:
    inner = Graph([summarize], name="inner")
    outer = Graph([inner.as_node(name="summary")])
    r = run(kind, outer, {"words": ["x", "y"]})
    assert r.status is RunStatus.COMPLETED
    assert r["summary"] == "x-y"
    assert not isinstance(r.values["summary"], RunResult)
    assert r.values == {"summary": "x-y"}


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_result_holds_the_most_recent_execution(kind) -> None:
    # The GraphNode consumes its own output: it re-runs until the value stops changing.
    @node(output_name="count")
    def step(count, limit=3):
        return count if count >= limit else count + 1

    loop = Graph([step], name="loop")
    r = run(kind, Graph([loop.as_node()]), {"count": 0, "limit": 5})
    assert r["count"] == 5
    assert r["loop"]["count"] == 5


@pytest.mark.parametrize("kind", RUNNERS)
def test_failed_nested_result_is_kept_in_partial_values(kind) -> None:
    raised: list[Exception] = []

    @node(output_name="a")
    def ok(x):
        return x + 1

    @node(output_name="b")
    def boom(a):
        raised.append(ValueError("boom"))
        raise raised[-1]

    @node(output_name="after")
    def downstream(b):
        raise AssertionError("must not run")

    @node(output_name="side")
    def before(x):
        return -x

    inner = Graph([ok, boom], name="inner")
    outer = Graph([before, inner.as_node(), downstream])
    r = run(kind, outer, {"x": 1})
    assert r.status is RunStatus.FAILED
    assert r.error is raised[0]
    assert r.failed_node == "inner.boom"
    nested = r.values["inner"]
    assert isinstance(nested, RunResult)
    assert nested.status is RunStatus.FAILED
    assert nested.error is r.error
    assert nested.values == {"a": 2}
    # a failed GraphNode contributes no flattened outputs
    assert "a" not in r.values
    assert "b" not in r.values
    assert "after" not in r.values
    assert r.values["side"] == -1
    (note,) = hypergraph_notes(r.error)
    assert "'inner.boom'" in note


@pytest.mark.parametrize("kind", RUNNERS)
def test_failed_graph_node_raise_mode_raises_the_same_object(kind) -> None:
    raised: list[Exception] = []

    @node(output_name="b")
    def boom(x):
        raised.append(LookupError("deep"))
        raise raised[-1]

    outer = Graph([Graph([boom], name="inner").as_node()])
    with pytest.raises(LookupError) as info:
        run(kind, outer, {"x": 1}, error_handling="raise")
    assert info.value is raised[0]
    assert len(hypergraph_notes(info.value)) == 1


# --- renamed ports (NODE-06, §4.8) ------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_renamed_ports_are_translated_on_the_unmapped_path(kind) -> None:
    gn = prep_graph().as_node().with_inputs(text="raw").with_outputs(count="n", words="tokens")
    outer = Graph([gn])
    r = run(kind, outer, {"raw": " A b C "})
    assert r["n"] == 3
    assert r["tokens"] == ["a", "b", "c"]
    assert r["cleaned"] == "a b c"
    assert "count" not in r.values
    assert "words" not in r.values
    # the nested result keeps the inner names
    assert r["prep"]["count"] == 3
    assert r["prep"]["words"] == ["a", "b", "c"]


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("order", ["rename-then-map", "map-then-rename"])
def test_renamed_ports_are_translated_on_the_mapped_path(kind, order) -> None:
    gn = double_graph().as_node()
    if order == "rename-then-map":
        gn = gn.with_inputs(x="xs").map_over("xs")
    else:
        gn = gn.map_over("x").with_inputs(x="xs")
    gn = gn.with_outputs(doubled="ds")
    r = run(kind, Graph([gn]), {"xs": [1, 2, 3]})
    assert r["ds"] == [2, 4, 6]
    assert "doubled" not in r.values
    assert [item["doubled"] for item in r["inner"]] == [2, 4, 6]


@pytest.mark.parametrize("kind", RUNNERS)
def test_renamed_graph_node_feeds_downstream_nodes(kind) -> None:
    gn = prep_graph().as_node().with_outputs(words="tokens")

    @node(output_name="first")
    def head(tokens):
        return tokens[0]

    r = run(kind, Graph([gn, head]), {"text": "x y"})
    assert r["first"] == "x"


# --- map_over (§5.2) ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_one_port(kind) -> None:
    outer = Graph([double_graph().as_node().map_over("x")])
    r = run(kind, outer, {"x": [1, 2, 3]})
    assert r["doubled"] == [2, 4, 6]
    assert len(r["inner"]) == 3
    assert all(item.status is RunStatus.COMPLETED for item in r["inner"])
    assert [item["doubled"] for item in r["inner"]] == [2, 4, 6]


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_zip_of_two_ports(kind) -> None:
    outer = Graph([pair_graph().as_node().map_over("x", "y")])
    r = run(kind, outer, {"x": [1, 2, 3], "y": [4, 5, 6]})
    assert r["out"] == [104, 205, 306]


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_product_order_is_pinned(kind) -> None:
    outer = Graph([pair_graph().as_node().map_over("x", "y", mode="product")])
    r = run(kind, outer, {"x": [1, 2], "y": [10, 20, 30]})
    assert r["out"] == [110, 120, 130, 210, 220, 230]
    outer = Graph([pair_graph().as_node().map_over("y", "x", mode="product")])
    r = run(kind, outer, {"x": [1, 2], "y": [10, 20, 30]})
    assert r["out"] == [110, 210, 120, 220, 130, 230]


@pytest.mark.parametrize("kind", RUNNERS)
def test_unmapped_ports_are_broadcast_as_the_same_object(kind) -> None:
    seen = Calls()
    shared = {"big": list(range(10))}

    @node(output_name="out")
    def use(x, shared):
        seen.add(shared)
        return x + len(shared["big"])

    outer = Graph([Graph([use], name="inner").as_node().map_over("x")])
    r = run(kind, outer, {"x": [1, 2, 3], "shared": shared})
    assert r["out"] == [11, 12, 13]
    assert len(seen) == 3
    assert all(s is shared for s in seen.items)


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_input_produced_upstream(kind) -> None:
    @node(output_name="x")
    def make(n):
        return list(range(n))

    @node(output_name="total")
    def total(doubled):
        return sum(doubled)

    outer = Graph([make, double_graph().as_node().map_over("x"), total])
    r = run(kind, outer, {"n": 4})
    assert r["doubled"] == [0, 2, 4, 6]
    assert r["total"] == 12


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize(
    ("values", "mode"),
    [
        ({"x": [], "y": []}, "zip"),
        ({"x": [1, 2], "y": []}, "product"),
        ({"x": [], "y": [1]}, "product"),
    ],
)
def test_empty_lists_give_empty_outputs_and_never_run_the_inner_graph(kind, values, mode) -> None:
    calls = Calls()

    @node(output_name="n")
    def count(out):
        return len(out)

    outer = Graph([pair_graph(calls).as_node().map_over("x", "y", mode=mode), count])
    r = run(kind, outer, values)
    assert r.status is RunStatus.COMPLETED
    assert r["out"] == []
    assert r["inner"] == []
    assert r["n"] == 0
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_every_output_of_an_empty_mapped_node_is_an_empty_list(kind) -> None:
    outer = Graph([prep_graph().as_node().map_over("text")])
    r = run(kind, outer, {"text": []})
    assert r["cleaned"] == r["words"] == r["count"] == []


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_port_falls_back_to_the_inner_default(kind) -> None:
    @node(output_name="y")
    def f(x=(1, 2, 3)):
        return x * 10

    outer = Graph([Graph([f], name="inner").as_node().map_over("x")])
    r = run(kind, outer, {})
    assert r["y"] == [10, 20, 30]


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_value_that_is_not_a_sequence_fails_the_node_at_run_time(kind) -> None:
    @node(output_name="x")
    def make(n):
        return "abc" if n else 5

    outer = Graph([make, double_graph().as_node().map_over("x")])
    r = run(kind, outer, {"n": 1})
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, TypeError)
    assert "str" in str(r.error)
    assert r.values == {"x": "abc"}
    with pytest.raises(TypeError):
        run(kind, outer, {"n": 0}, error_handling="raise")


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_unequal_zip_lengths_fail_the_node_at_run_time(kind) -> None:
    outer = Graph([pair_graph().as_node().map_over("x", "y")])
    r = run(kind, outer, {"x": [1, 2], "y": [1, 2, 3]})
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, InvalidInputError)
    assert "equal lengths" in str(r.error)


# --- mapped failures (§5.2 step 6) -------------------------------------------------------------


def failing_items_graph(fail: set[int], raised: dict[int, Exception], started: Calls) -> Graph:
    @node(output_name="doubled")
    def double(x):
        return 2 * x

    @node(output_name="y")
    def boom(doubled, x):
        started.add(x)
        if x in fail:
            raised[x] = ValueError(f"bad {x}")
            raise raised[x]
        return doubled

    return Graph([double, boom], name="inner")


@pytest.mark.parametrize("kind", RUNNERS)
def test_first_failing_item_fails_the_graph_node(kind) -> None:
    raised: dict[int, Exception] = {}
    started = Calls()

    @node(output_name="after")
    def downstream(y):
        raise AssertionError("must not run")

    inner = failing_items_graph({1}, raised, started)
    outer = Graph([inner.as_node().map_over("x"), downstream])
    r = run(kind, outer, {"x": [0, 1, 2, 3]})
    assert r.status is RunStatus.FAILED
    assert r.error is raised[1]
    assert r.failed_node == "inner[1].boom"
    (note,) = hypergraph_notes(r.error)
    assert "inner[1].boom" in note
    assert "map item" not in note  # not a runner.map item
    assert "y" not in r.values
    assert "doubled" not in r.values
    items = r.values["inner"]
    assert isinstance(items, list)
    assert len(items) == 4
    assert items[0].status is RunStatus.COMPLETED
    assert items[0].values == {"doubled": 0, "y": 0}
    assert items[1].status is RunStatus.FAILED
    assert items[1].error is r.error
    assert items[1].values == {"doubled": 2}
    for item in items[2:]:
        assert item is None or item.status is RunStatus.COMPLETED
    if kind == "sync":
        assert items[2:] == [None, None]  # items run one after another and stop at the failure
        assert started.items == [0, 1]


def test_sequential_async_items_stop_at_the_first_failure() -> None:
    raised: dict[int, Exception] = {}
    started = Calls()
    outer = Graph([failing_items_graph({1}, raised, started).as_node().map_over("x")])
    r = arun(outer, {"x": [0, 1, 2, 3]}, max_concurrency=1)
    assert r.error is raised[1]
    assert r.values["inner"][2:] == [None, None]
    assert started.items == [0, 1]


def test_async_mapped_graph_node_reports_the_lowest_index_failure() -> None:
    raised: dict[int, Exception] = {}

    @node(output_name="y")
    async def boom(x):
        if x == 1:
            raised[1] = ValueError("first")  # fails before any await: item 1 fails first
            raise raised[1]
        await asyncio.sleep(0)
        if x == 3:
            raised[3] = ValueError("second")
            raise raised[3]
        for _ in range(5):
            await asyncio.sleep(0)
        return x

    outer = Graph([Graph([boom], name="inner").as_node().map_over("x")])
    r = arun(outer, {"x": list(range(6))})
    assert r.error is raised[1]
    assert r.failed_node == "inner[1].boom"
    assert "inner[1].boom" in hypergraph_notes(r.error)[0]


def test_async_mapped_graph_node_lowest_index_wins_when_several_fail() -> None:
    raised: dict[int, Exception] = {}

    @node(output_name="y")
    async def boom(x):
        # Item 4 fails at once, item 2 only after a yield: item 2 may fail before the stop
        # lands, or be cancelled by it. Either way the lowest failed index is reported.
        if x in (2, 4):
            if x == 2:
                await asyncio.sleep(0)
            raised[x] = ValueError(f"bad {x}")
            raise raised[x]
        return x

    outer = Graph([Graph([boom], name="inner").as_node().map_over("x")])
    r = arun(outer, {"x": list(range(6))})
    assert r.status is RunStatus.FAILED
    # Whichever failed, the reported one is the lowest index among the items that failed.
    failed = [i for i, item in enumerate(r.values["inner"]) if item and item.error is not None]
    assert r.error is raised[failed[0]]
    assert r.failed_node == f"inner[{failed[0]}].boom"


@pytest.mark.parametrize("kind", RUNNERS)
def test_failing_item_inside_runner_map_keeps_both_paths(kind) -> None:
    raised: dict[int, Exception] = {}
    started = Calls()
    outer = Graph([failing_items_graph({2}, raised, started).as_node().map_over("x")])
    values = {"x": [[0, 1], [0, 2], [3]]}
    if kind == "sync":
        results = SyncRunner().map(outer, values, map_over="x")
    else:
        results = asyncio.run(AsyncRunner().map(outer, values, map_over="x"))
    assert [r.status for r in results] == [
        RunStatus.COMPLETED,
        RunStatus.FAILED,
        RunStatus.COMPLETED,
    ]
    assert results[1].error is raised[2]
    assert results[1].failed_node == "inner[1].boom"
    (note,) = hypergraph_notes(raised[2])
    assert "inner[1].boom" in note
    assert "map item 1" in note


# --- nested cycles -------------------------------------------------------------------------


def loop_graph() -> Graph:
    @node(output_name="count")
    def step(count, limit=3):
        return count if count >= limit else count + 1

    return Graph([step], name="loop")


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_cycle_runs_to_its_fixed_point(kind) -> None:
    gn = loop_graph().as_node().with_inputs(count="start")
    r = run(kind, Graph([gn]), {"start": 0})
    assert r["count"] == 3
    assert r["loop"]["count"] == 3
    r = run(kind, Graph([gn]), {"start": 1, "limit": 7})
    assert r["count"] == 7


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_nested_cycle(kind) -> None:
    gn = loop_graph().as_node().with_inputs(count="start").map_over("start", "limit")
    r = run(kind, Graph([gn]), {"start": [0, 5, 2], "limit": [3, 5, 9]})
    assert r["count"] == [3, 5, 9]


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_run_uses_the_same_max_iterations(kind) -> None:
    # From 0 to 3 with limit 3: 4 executions of the loop body, so 4 cycle supersteps.
    gn = loop_graph().as_node().with_inputs(count="start")
    assert run(kind, Graph([gn]), {"start": 0}, max_iterations=4)["count"] == 3
    r = run(kind, Graph([gn]), {"start": 0}, max_iterations=3)
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, InfiniteLoopError)
    assert r.error.max_iterations == 3


@pytest.mark.parametrize("kind", RUNNERS)
def test_infinite_loop_in_nested_graph_names_the_graph_node_path(kind) -> None:
    gn = loop_graph().as_node().with_inputs(count="start")
    r = run(kind, Graph([gn]), {"start": 0, "limit": 10**6}, max_iterations=5)
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, InfiniteLoopError)
    assert r.failed_node == "loop"
    assert r.values["loop"].status is RunStatus.FAILED
    assert r.values["loop"].error is r.error
    (note,) = hypergraph_notes(r.error)
    assert "'loop'" in note


@pytest.mark.parametrize("kind", RUNNERS)
def test_infinite_loop_two_levels_down(kind) -> None:
    gn = loop_graph().as_node().with_inputs(count="start")
    mid = Graph([gn], name="mid")
    r = run(kind, Graph([mid.as_node()]), {"start": 0, "limit": 10**6}, max_iterations=5)
    assert isinstance(r.error, InfiniteLoopError)
    assert r.failed_node == "mid.loop"
    (note,) = hypergraph_notes(r.error)
    assert "mid.loop" in note
    with pytest.raises(InfiniteLoopError) as info:
        run(
            kind,
            Graph([mid.as_node()]),
            {"start": 0, "limit": 10**6},
            max_iterations=5,
            error_handling="raise",
        )
    assert info.value.max_iterations == 5


@pytest.mark.parametrize("kind", RUNNERS)
def test_infinite_loop_in_a_mapped_item(kind) -> None:
    gn = loop_graph().as_node().with_inputs(count="start").map_over("limit")
    r = run(kind, Graph([gn]), {"start": 0, "limit": [1, 10**6]}, max_iterations=5)
    assert isinstance(r.error, InfiniteLoopError)
    assert r.failed_node == "loop[1]"


# --- failures at depth ------------------------------------------------------------------------


def deep_failure_graph(raised: list[Exception], mapped_middle: bool = False) -> Graph:
    @node(output_name="z")
    def c(x):
        if x == 1:
            raised.append(ValueError("deep failure"))
            raise raised[-1]
        return x

    b = Graph([c], name="b").as_node()
    if mapped_middle:
        b = b.map_over("x")
    a = Graph([b], name="a").as_node()
    return Graph([a])


@pytest.mark.parametrize("kind", RUNNERS)
def test_failure_three_levels_down_keeps_identity_and_path(kind) -> None:
    raised: list[Exception] = []
    r = run(kind, deep_failure_graph(raised), {"x": 1})
    assert r.status is RunStatus.FAILED
    assert r.error is raised[0]
    assert type(r.error) is ValueError
    assert str(r.error) == "deep failure"
    assert r.failed_node == "a.b.c"
    (note,) = hypergraph_notes(r.error)  # exactly one note, added by the innermost run
    assert "'a.b.c'" in note
    # the failed nested results are nested too, all with the same error object
    assert r.values["a"].status is RunStatus.FAILED
    assert r.values["a"].error is r.error
    assert r.values["a"].values["b"].error is r.error
    with pytest.raises(ValueError) as info:
        run(kind, deep_failure_graph(raised), {"x": 1}, error_handling="raise")
    assert info.value is raised[-1]
    assert len(hypergraph_notes(info.value)) == 1
    assert info.value.__context__ is None


@pytest.mark.parametrize("kind", RUNNERS)
def test_failure_in_a_mapped_middle_level_carries_the_item_index(kind) -> None:
    raised: list[Exception] = []
    r = run(kind, deep_failure_graph(raised, mapped_middle=True), {"x": [0, 1, 2]})
    assert r.error is raised[0]
    assert r.failed_node == "a.b[1].c"
    (note,) = hypergraph_notes(r.error)
    assert "a.b[1].c" in note


# --- NEST-02 / NEST-03: which runner runs a nested graph ------------------------------------------


class RecordingRunner(BaseRunner):
    """A user runner: the library may only use its public ``run`` (and ``map``)."""

    def __init__(self, asynchronous: bool = False) -> None:
        self.calls: list[dict] = []
        self.asynchronous = asynchronous

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities(
            supports_async_nodes=self.asynchronous, returns_coroutine=self.asynchronous
        )

    def run(self, graph, values=None, **kwargs):
        self.calls.append(dict(values or {}))
        if self.asynchronous:
            return AsyncRunner().run(graph, values, **kwargs)
        return SyncRunner().run(graph, values, **kwargs)

    def map(self, graph, values=None, **kwargs):
        raise AssertionError("a mapped GraphNode calls run() per item")


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("asynchronous", [False, True])
def test_runner_override_is_used(kind, asynchronous) -> None:
    recorder = RecordingRunner(asynchronous)
    outer = Graph([double_graph().as_node(runner=recorder)])
    r = run(kind, outer, {"x": 4})
    assert r["doubled"] == 8
    assert r["inner"]["doubled"] == 8
    assert recorder.calls == [{"x": 4}]


@pytest.mark.parametrize("kind", RUNNERS)
def test_runner_override_via_with_runner_and_mapped(kind) -> None:
    recorder = RecordingRunner()
    gn = double_graph().as_node().with_runner(recorder).map_over("x")
    r = run(kind, Graph([gn]), {"x": [1, 2, 3]})
    assert r["doubled"] == [2, 4, 6]
    assert recorder.calls == [{"x": 1}, {"x": 2}, {"x": 3}]


class OddItemsLoseTheirOutput(RecordingRunner):
    """A user runner whose completed results lack ``doubled`` for odd ``x``."""

    def run(self, graph, values=None, **kwargs):
        result = SyncRunner().run(graph, values, **kwargs)
        if values["x"] % 2:
            result.values.pop("doubled")
        return result


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_output_lists_hold_none_for_items_without_that_output(kind) -> None:
    gn = double_graph().as_node(runner=OddItemsLoseTheirOutput()).map_over("x")
    r = run(kind, Graph([gn]), {"x": [2, 3, 4, 5]})
    assert r.status is RunStatus.COMPLETED
    assert r["doubled"] == [4, None, 8, None]  # one entry per item, always
    assert [item.status for item in r["inner"]] == [RunStatus.COMPLETED] * 4


@pytest.mark.parametrize("kind", RUNNERS)
def test_with_runner_none_clears_the_override(kind) -> None:
    recorder = RecordingRunner()
    gn = double_graph().as_node(runner=recorder)
    cleared = gn.with_runner(None)
    assert cleared.runner is None
    assert gn.runner is recorder
    r = run(kind, Graph([cleared]), {"x": 4})
    assert r["doubled"] == 8
    assert recorder.calls == []


@pytest.mark.parametrize("kind", RUNNERS)
def test_sync_override_of_an_async_nested_graph_is_rejected_up_front(kind) -> None:
    calls = Calls()

    @node(output_name="a")
    def first(x):
        calls.add(x)
        return x

    @node(output_name="y")
    async def inner_async(a):
        calls.add(a)
        return a

    gn = Graph([inner_async], name="inner").as_node(runner=SyncRunner())
    with pytest.raises(IncompatibleRunnerError) as info:
        run(kind, Graph([first, gn]), {"x": 1})
    assert info.value.capability == "supports_async_nodes"
    assert "inner" in str(info.value)
    assert len(calls) == 0


def test_sync_parent_runs_sync_nested_graph_in_the_callers_thread() -> None:
    threads = Calls()

    @node(output_name="y")
    def where(x):
        threads.add(threading.current_thread())
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return "no loop"
        return "loop"

    deep = Graph([Graph([Graph([where], name="c").as_node()], name="b").as_node()])
    r = SyncRunner().run(deep, {"x": 1})
    assert r["y"] == "no loop"
    assert threads.items == [threading.current_thread()]


def test_async_parent_shares_its_loop_and_pool_with_nested_runs() -> None:
    seen: dict[str, object] = {}

    @node(output_name="a")
    async def outer_async(x):
        seen["outer_loop"] = asyncio.get_running_loop()
        return x

    @node(output_name="b")
    def outer_sync(a):
        seen["outer_thread"] = threading.current_thread().name
        return a

    @node(output_name="c")
    async def inner_async(b):
        seen["inner_loop"] = asyncio.get_running_loop()
        return b

    @node(output_name="d")
    def inner_sync(c):
        seen["inner_thread"] = threading.current_thread().name
        return c

    inner = Graph([inner_async, inner_sync], name="inner")
    r = arun(Graph([outer_async, outer_sync, inner.as_node()]), {"x": 5})
    assert r["d"] == 5
    assert seen["inner_loop"] is seen["outer_loop"]
    # one thread pool per top-level call, shared by nested runs (RUN-07)
    prefix = f"hypergraph-{r.run_id}"
    assert str(seen["outer_thread"]).startswith(prefix)
    assert str(seen["inner_thread"]).startswith(prefix)


def test_sync_parent_delegates_an_async_nested_graph_to_a_private_loop() -> None:
    seen: dict[str, object] = {}

    @node(output_name="a")
    def outer_sync(x):
        try:
            asyncio.get_running_loop()
            seen["outer_has_loop"] = True
        except RuntimeError:
            seen["outer_has_loop"] = False
        return x + 1

    @node(output_name="b")
    async def inner_async(a):
        seen["inner_loop"] = asyncio.get_running_loop()
        await asyncio.sleep(0)
        return a * 2

    gn = Graph([inner_async], name="inner").as_node()
    r = SyncRunner().run(Graph([outer_sync, gn]), {"x": 1})
    assert r["b"] == 4
    assert r["inner"].status is RunStatus.COMPLETED
    assert seen["outer_has_loop"] is False
    assert isinstance(seen["inner_loop"], asyncio.AbstractEventLoop)
    # mapped: all items run on one private loop
    loops = Calls()

    @node(output_name="b")
    async def item(a):
        loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return a * 2

    mapped = Graph([item], name="inner").as_node().map_over("a")
    r = SyncRunner().run(Graph([mapped]), {"a": [1, 2, 3]})
    assert r["b"] == [2, 4, 6]
    assert len(loops) == 3
    assert len({id(loop) for loop in loops.items}) == 1


async def test_sync_runner_inside_a_running_loop_uses_a_helper_thread() -> None:
    seen: dict[str, object] = {}

    @node(output_name="b")
    async def inner_async(a):
        seen["thread"] = threading.current_thread()
        seen["loop"] = asyncio.get_running_loop()
        return a * 2

    outer = Graph([Graph([inner_async], name="inner").as_node()])
    r = SyncRunner().run(outer, {"a": 21})
    assert r["b"] == 42
    assert seen["thread"] is not threading.current_thread()
    assert seen["loop"] is not asyncio.get_running_loop()


def values_graph(inner: GraphNode) -> Graph:
    @node(output_name="a")
    def pre(x):
        return x + 3

    @node(output_name="out")
    def post(b, a):
        return b * 1000 + a

    return Graph([pre, inner, post])


def sync_inner() -> Graph:
    @node(output_name="b")
    def twice(a):
        return 2 * a

    @node(output_name="c")
    def gen_items(b):
        yield from range(b)

    return Graph([twice, gen_items], name="inner")


def async_inner() -> Graph:
    @node(output_name="b")
    async def twice(a):
        await asyncio.sleep(0)
        return 2 * a

    @node(output_name="c")
    async def gen_items(b):
        for i in range(b):
            await asyncio.sleep(0)
            yield i

    return Graph([twice, gen_items], name="inner")


@pytest.mark.parametrize("mapped", [False, True])
def test_cross_runner_delegation_gives_the_same_values(mapped) -> None:
    def gn_of(inner: Graph, runner=None) -> GraphNode:
        gn = inner.as_node(runner=runner)
        return gn.map_over("a") if mapped else gn

    if mapped:

        @node(output_name="a")
        def pre(x):
            return [x, x + 1, x + 2]

        @node(output_name="out")
        def post(b, c):
            return (tuple(b), tuple(map(tuple, c)))

        def build(gn):
            return Graph([pre, gn, post])
    else:
        build = values_graph

    values = {"x": 1}
    sync_parent_async_inner = SyncRunner().run(build(gn_of(async_inner())), values)
    async_parent_sync_override = arun(build(gn_of(sync_inner(), SyncRunner())), values)
    async_parent_async_inner = arun(build(gn_of(async_inner())), values)
    sync_parent_sync_inner = SyncRunner().run(build(gn_of(sync_inner())), values)
    sync_parent_async_override = SyncRunner().run(build(gn_of(sync_inner(), AsyncRunner())), values)
    results = [
        sync_parent_async_inner,
        async_parent_sync_override,
        async_parent_async_inner,
        sync_parent_sync_inner,
        sync_parent_async_override,
    ]
    assert all(r.status is RunStatus.COMPLETED for r in results)
    expected = flat(sync_parent_sync_inner)
    for r in results:
        assert flat(r) == expected
    if mapped:
        assert expected["b"] == [2, 4, 6]
    else:
        assert expected == {"a": 4, "b": 8, "c": list(range(8)), "out": 8004}


def test_async_parent_with_sync_override_under_max_concurrency_one() -> None:
    gn = sync_inner().as_node(runner=SyncRunner()).map_over("a")

    @node(output_name="a")
    async def pre(x):
        return list(range(x))

    r = asyncio.run(
        asyncio.wait_for(AsyncRunner().run(Graph([pre, gn]), {"x": 4}, max_concurrency=1), 10)
    )
    assert r["b"] == [0, 2, 4, 6]


def test_mapped_nested_graph_does_not_deadlock_at_max_concurrency_one() -> None:
    @node(output_name="y")
    async def leaf(x):
        await asyncio.sleep(0)
        return x + 1

    inner = Graph([leaf], name="inner").as_node().map_over("x")
    mid = Graph([inner], name="mid").as_node().map_over("x")
    r = asyncio.run(
        asyncio.wait_for(
            AsyncRunner().run(Graph([mid]), {"x": [[1, 2], [3], []]}, max_concurrency=1), 10
        )
    )
    assert r["y"] == [[2, 3], [4], []]


@pytest.mark.parametrize("kind", RUNNERS)
def test_nested_failure_under_delegation_keeps_identity(kind) -> None:
    raised: list[Exception] = []

    @node(output_name="y")
    async def boom(x):
        raised.append(ZeroDivisionError("nope"))
        raise raised[-1]

    outer = Graph([Graph([boom], name="inner").as_node()])
    r = run(kind, outer, {"x": 1})
    assert r.error is raised[0]
    assert r.failed_node == "inner.boom"
    assert len(hypergraph_notes(r.error)) == 1
