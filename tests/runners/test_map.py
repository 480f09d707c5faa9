"""``runner.map``: items, zip and product, broadcast, order, select, failures, validation and the
bounded worker pool (SPEC §3.5 MAP-01 ... MAP-06, §5.1, §6.5; RELIABILITY F7, C4, §4.6, §4.7)."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import threading
import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import DEFAULT_MAP_WORKERS, AsyncRunner, SyncRunner
from hypergraph_types import (
    IncompatibleRunnerError,
    InvalidInputError,
    MapResult,
    RunResult,
    RunStatus,
    UnknownInputError,
)
from support import Calls, hypergraph_notes

RUNNERS = ["sync", "async"]
MODES = ["continue", "raise"]


def run_map(kind: str, graph: Graph, values=None, **kwargs) -> MapResult:
    """``map`` under either runner; the AsyncRunner call gets a fresh loop and a deadline."""
    if kind == "sync":
        return SyncRunner().map(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().map(graph, values, **kwargs), 30))


def amap(graph: Graph, values=None, **kwargs) -> MapResult:
    return asyncio.run(asyncio.wait_for(AsyncRunner().map(graph, values, **kwargs), 30))


def run_once(kind: str, graph: Graph, values=None, **kwargs) -> RunResult:
    if kind == "sync":
        return SyncRunner().run(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values, **kwargs), 30))


def pair_graph(calls: Calls | None = None) -> Graph:
    """``combine(x, y) -> out = 100 * x + y``: the item's pairing is visible in the value."""

    @node(output_name="out")
    def combine(x, y):
        if calls is not None:
            calls.add((x, y))
        return 100 * x + y

    return Graph([combine])


def chain_graph(calls: Calls | None = None) -> Graph:
    """``inc(x) -> a = x + 1``, ``double(a) -> b = 2 * a``."""

    @node(output_name="a")
    def inc(x):
        if calls is not None:
            calls.add(x)
        return x + 1

    @node(output_name="b")
    def double(a):
        return 2 * a

    return Graph([inc, double])


# --- items: one name, several names, zip, product (MAP-01 ... MAP-04) ------------------------


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("map_over", ["x", ["x"], ("x",)])
def test_map_over_one_name(kind, map_over) -> None:
    results = run_map(kind, chain_graph(), {"x": [1, 2, 3]}, map_over=map_over)
    assert isinstance(results, MapResult)
    assert all(isinstance(r, RunResult) for r in results)
    assert [r.status for r in results] == [RunStatus.COMPLETED] * 3
    assert [r.values for r in results] == [{"a": 2, "b": 4}, {"a": 3, "b": 6}, {"a": 4, "b": 8}]


@pytest.mark.parametrize("kind", RUNNERS)
def test_each_item_has_its_own_run_id(kind) -> None:
    results = run_map(kind, chain_graph(), {"x": list(range(20))}, map_over="x")
    ids = [r.run_id for r in results]
    assert len(set(ids)) == 20
    assert all(re.fullmatch(r"run-[0-9a-f]{12}", i) for i in ids)


@pytest.mark.parametrize("kind", RUNNERS)
def test_zip_pairs_the_ith_elements(kind) -> None:
    results = run_map(kind, pair_graph(), {"x": [1, 2, 3], "y": [10, 20, 30]}, map_over=["x", "y"])
    assert [r["out"] for r in results] == [110, 220, 330]


@pytest.mark.parametrize("kind", RUNNERS)
def test_zip_is_the_default_mode(kind) -> None:
    explicit = run_map(
        kind, pair_graph(), {"x": [1, 2], "y": [3, 4]}, map_over=["x", "y"], map_mode="zip"
    )
    default = run_map(kind, pair_graph(), {"x": [1, 2], "y": [3, 4]}, map_over=["x", "y"])
    assert (
        [r.values for r in explicit]
        == [r.values for r in default]
        == [
            {"out": 103},
            {"out": 204},
        ]
    )


@pytest.mark.parametrize("kind", RUNNERS)
def test_product_order_is_itertools_product_first_name_slowest(kind) -> None:
    calls = Calls()
    xs, ys = [1, 2], [10, 20, 30]
    results = run_map(
        kind, pair_graph(calls), {"x": xs, "y": ys}, map_over=["x", "y"], map_mode="product"
    )
    expected = list(itertools.product(xs, ys))
    assert expected[:2] == [(1, 10), (1, 20)]  # the first name varies slowest
    assert [r["out"] for r in results] == [100 * x + y for x, y in expected]
    assert sorted(calls.items) == sorted(expected)
    if kind == "sync":
        assert calls.items == expected  # items run one after another, in item order


@pytest.mark.parametrize("kind", RUNNERS)
def test_product_order_follows_map_over_order_not_values_order(kind) -> None:
    results = run_map(
        kind,
        pair_graph(),
        {"x": [1, 2], "y": [10, 20]},
        map_over=["y", "x"],
        map_mode="product",
    )
    # y varies slowest now.
    assert [r["out"] for r in results] == [110, 210, 120, 220]


@pytest.mark.parametrize("kind", RUNNERS)
def test_product_of_three_names(kind) -> None:
    @node(output_name="out")
    def triple(a, b, c):
        return (a, b, c)

    lists = {"a": [1, 2], "b": ["p", "q", "r"], "c": [True, False]}
    results = run_map(kind, Graph([triple]), lists, map_over=["a", "b", "c"], map_mode="product")
    assert [r["out"] for r in results] == list(itertools.product(*lists.values()))


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_values_may_be_any_sized_iterable(kind) -> None:
    results = run_map(kind, chain_graph(), {"x": range(3)}, map_over="x")
    assert [r["a"] for r in results] == [1, 2, 3]
    results = run_map(kind, chain_graph(), {"x": (5, 6)}, map_over="x")
    assert [r["a"] for r in results] == [6, 7]


@pytest.mark.parametrize("kind", RUNNERS)
def test_keyword_inputs_can_be_mapped(kind) -> None:
    if kind == "sync":
        results = SyncRunner().map(chain_graph(), map_over="x", x=[1, 2])
    else:
        results = amap(chain_graph(), map_over="x", x=[1, 2])
    assert [r["b"] for r in results] == [4, 6]


# --- broadcast (MAP-05) --------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("mode", ["zip", "product"])
def test_broadcast_value_is_the_same_object_in_every_item(kind, mode) -> None:
    seen = Calls()
    shared = {"config": [1, 2, 3]}  # mutable and unhashable: any copy would be detectable

    @node(output_name="out")
    def use(x, shared):
        seen.add(shared)
        return x

    results = run_map(
        kind,
        Graph([use]),
        {"x": [1, 2, 3, 4], "shared": shared},
        map_over="x",
        map_mode=mode,
        select=["out", "shared"],
    )
    assert len(seen) == 4
    assert all(s is shared for s in seen.items)
    assert all(r.values["shared"] is shared for r in results)


@pytest.mark.parametrize("kind", RUNNERS)
def test_mapped_elements_are_passed_by_reference(kind) -> None:
    elements = [[1], [2], [3]]
    seen = Calls()

    @node(output_name="out")
    def use(x):
        seen.add(x)
        return len(x)

    run_map(kind, Graph([use]), {"x": elements}, map_over="x")
    assert sorted(map(id, seen.items)) == sorted(map(id, elements))


# --- result order (MAP-06) ------------------------------------------------------------------


def sleepy_graph(finished: list[int]) -> Graph:
    @node(output_name="y")
    async def slow(x, sleeps):
        for _ in range(sleeps):
            await asyncio.sleep(0)
        finished.append(x)
        return x * 10

    @node(output_name="z")
    async def after(y, sleeps):
        for _ in range(sleeps % 3):
            await asyncio.sleep(0)
        return y + 1

    return Graph([slow, after])


@pytest.mark.parametrize("limit", [1, 2, 8, None])
def test_results_keep_input_order_with_random_interleaving(limit) -> None:
    rng = random.Random(20240611)
    n = 60
    sleeps = [rng.randint(0, 25) for _ in range(n)]
    finished: list[int] = []
    results = amap(
        sleepy_graph(finished),
        {"x": list(range(n)), "sleeps": sleeps},
        map_over=["x", "sleeps"],
        max_concurrency=limit,
    )
    assert [r["y"] for r in results] == [10 * x for x in range(n)]
    assert [r["z"] for r in results] == [10 * x + 1 for x in range(n)]
    assert sorted(finished) == list(range(n))
    if limit != 1:
        # The items really completed out of order, so the ordering above is the runner's work.
        assert finished != sorted(finished)


def test_sync_runner_map_runs_items_one_after_another_in_order() -> None:
    calls = Calls()
    SyncRunner().map(chain_graph(calls), {"x": [5, 3, 9, 1]}, map_over="x")
    assert calls.items == [5, 3, 9, 1]


# --- select --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_select_applies_to_every_item(kind) -> None:
    results = run_map(kind, chain_graph(), {"x": [1, 2, 3]}, map_over="x", select="b")
    assert [r.values for r in results] == [{"b": 4}, {"b": 6}, {"b": 8}]
    results = run_map(kind, chain_graph(), {"x": [1, 2]}, map_over="x", select=["x", "a"])
    # A provided (here: mapped) input can be selected: the item's own element.
    assert [r.values for r in results] == [{"x": 1, "a": 2}, {"x": 2, "a": 3}]


@pytest.mark.parametrize("kind", RUNNERS)
def test_select_warning_is_emitted_at_most_once_per_map_call(kind) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = run_map(
            kind, chain_graph(), {"x": list(range(6))}, map_over="x", select=["b", "nope"]
        )
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(texts) == 1, texts
    assert "Requested outputs not found:" in texts[0]
    assert "nope" in texts[0]
    assert "Available outputs:" in texts[0]
    assert [r.values for r in results] == [{"b": 2 * (x + 1)} for x in range(6)]


@pytest.mark.parametrize("kind", RUNNERS)
def test_no_select_warning_when_everything_is_available(kind) -> None:
    # filterwarnings=error turns any warning into a failure.
    run_map(kind, chain_graph(), {"x": [1, 2]}, map_over="x", select=["a", "b"])


# --- failures (F7) -------------------------------------------------------------------------


def failing_graph(fail_at: set[int], raised: dict[int, Exception]) -> Graph:
    """``prep(x) -> a``; ``check(a, x) -> b`` raises for the items in ``fail_at``."""

    @node(output_name="a")
    def prep(x):
        return x + 1000

    @node(output_name="b")
    def check(a, x):
        if x in fail_at:
            exc = ValueError(f"item {x} is bad")
            raised[x] = exc
            raise exc
        return a * 2

    return Graph([prep, check])


@pytest.mark.parametrize(
    ("kind", "limit"), [("sync", None), ("async", None), ("async", 1), ("async", 3)]
)
def test_continue_mode_one_failing_item_leaves_the_others_untouched(kind, limit) -> None:
    raised: dict[int, Exception] = {}
    extra = {} if limit is None else {"max_concurrency": limit}
    results = run_map(
        kind, failing_graph({3}, raised), {"x": list(range(10))}, map_over="x", **extra
    )
    assert len(results) == 10
    statuses = [r.status for r in results]
    assert statuses.count(RunStatus.COMPLETED) == 9
    assert statuses[3] is RunStatus.FAILED
    for i, r in enumerate(results):
        if i == 3:
            continue
        assert r.values == {"a": i + 1000, "b": 2 * (i + 1000)}
        assert r.error is None
        assert r.failed_node is None
    failed = results[3]
    assert failed.error is raised[3]
    assert failed.failed_node == "check"
    assert failed.values == {"a": 1003}  # partial values: the completed node only
    notes = hypergraph_notes(failed.error)
    assert len(notes) == 1
    assert "map item 3" in notes[0]
    assert "'check'" in notes[0]
    assert failed.run_id in notes[0]


@pytest.mark.parametrize("kind", RUNNERS)
def test_continue_mode_several_failures_each_keep_their_own_error(kind) -> None:
    raised: dict[int, Exception] = {}
    results = run_map(kind, failing_graph({0, 4, 5}, raised), {"x": list(range(6))}, map_over="x")
    assert [r.status is RunStatus.FAILED for r in results] == [
        True,
        False,
        False,
        False,
        True,
        True,
    ]
    for i in (0, 4, 5):
        assert results[i].error is raised[i]
        (note,) = hypergraph_notes(raised[i])
        assert f"map item {i}" in note


def test_raise_mode_sync_runner_stops_at_the_failing_item() -> None:
    calls = Calls()
    raised: dict[int, Exception] = {}
    graph = failing_graph({3, 6}, raised)

    @node(output_name="seen")
    def spy(x):
        calls.add(x)
        return x

    graph = Graph([*graph.nodes.values(), spy])
    with pytest.raises(ValueError, match="item 3 is bad") as info:
        SyncRunner().map(graph, {"x": list(range(10))}, map_over="x", error_handling="raise")
    assert info.value is raised[3]
    assert 6 not in raised
    assert calls.items == [0, 1, 2, 3]
    (note,) = hypergraph_notes(info.value)
    assert "map item 3" in note


def fault_plan_graph(fail_at: int, log: dict[str, set[int]], raised: list[Exception]) -> Graph:
    """Async items that yield a few times; item ``fail_at`` raises after its first yield."""

    @node(output_name="y")
    async def work(x):
        log["started"].add(x)
        try:
            for _ in range(3 if x != fail_at else 1):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            log["cancelled"].add(x)
            raise
        if x == fail_at:
            exc = RuntimeError(f"item {x} failed")
            raised.append(exc)
            raise exc
        log["finished"].add(x)
        return x

    return Graph([work])


@pytest.mark.parametrize("workers", [1, 2, 4, 8])
@pytest.mark.parametrize("fail_at", [0, 3, 9])
def test_raise_mode_async_runner_hands_out_no_item_at_or_after_k_plus_w(workers, fail_at) -> None:
    log: dict[str, set[int]] = {"started": set(), "cancelled": set(), "finished": set()}
    raised: list[Exception] = []
    graph = fault_plan_graph(fail_at, log, raised)
    with pytest.raises(RuntimeError, match=f"item {fail_at} failed") as info:
        amap(
            graph,
            {"x": list(range(40))},
            map_over="x",
            max_concurrency=workers,
            error_handling="raise",
        )
    assert info.value is raised[0]
    assert len(raised) == 1
    (note,) = hypergraph_notes(info.value)
    assert f"map item {fail_at}" in note
    assert fail_at in log["started"]
    assert max(log["started"]) < fail_at + workers
    # Every other item that started either finished or was cancelled: nothing left in flight.
    others = log["started"] - {fail_at}
    assert others == log["finished"] | log["cancelled"]


def test_raise_mode_async_runner_settles_threaded_items() -> None:
    lock = threading.Lock()
    counts = {"entered": 0, "exited": 0}
    started: set[int] = set()
    fail_at = 5

    @node(output_name="y")
    def work(x):
        with lock:
            counts["entered"] += 1
            started.add(x)
        try:
            if x == fail_at:
                raise KeyError("bad item")
            return x
        finally:
            with lock:
                counts["exited"] += 1

    with pytest.raises(KeyError) as info:
        amap(
            Graph([work]),
            {"x": list(range(200))},
            map_over="x",
            max_concurrency=4,
            error_handling="raise",
        )
    assert "map item 5" in hypergraph_notes(info.value)[0]
    assert counts["entered"] == counts["exited"]  # every started thread body was settled
    # (No k + W bound here: thread completions race with the failure being recorded.)
    assert len(started) < 200


@pytest.mark.parametrize("workers", [1, 3])
def test_raise_mode_async_runner_raises_the_lowest_index_failure(workers) -> None:
    raised: dict[int, Exception] = {}

    @node(output_name="y")
    async def work(x):
        await asyncio.sleep(0)
        if x in (2, 3):
            raised[x] = ValueError(f"bad {x}")
            raise raised[x]
        return x

    with pytest.raises(ValueError) as info:
        amap(
            Graph([work]),
            {"x": list(range(10))},
            map_over="x",
            max_concurrency=workers,
            error_handling="raise",
        )
    assert info.value is raised[2]
    assert "map item 2" in hypergraph_notes(info.value)[0]


@pytest.mark.parametrize("kind", RUNNERS)
def test_raise_mode_all_items_succeed_returns_the_list(kind) -> None:
    results = run_map(kind, chain_graph(), {"x": [1, 2]}, map_over="x", error_handling="raise")
    assert [r["b"] for r in results] == [4, 6]


# --- empty ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("error_handling", MODES)
@pytest.mark.parametrize(
    ("values", "map_over", "mode"),
    [
        ({"x": [], "y": 1}, "x", "zip"),
        ({"x": [], "y": []}, ["x", "y"], "zip"),
        ({"x": [1, 2], "y": []}, ["x", "y"], "product"),
        ({"x": [], "y": [1, 2]}, ["x", "y"], "product"),
    ],
)
def test_empty_map_returns_empty_list_and_runs_nothing(
    kind, error_handling, values, map_over, mode
) -> None:
    calls = Calls()
    results = run_map(
        kind,
        pair_graph(calls),
        values,
        map_over=map_over,
        map_mode=mode,
        error_handling=error_handling,
    )
    assert results == []
    assert isinstance(results, MapResult)  # was a plain list before MapResult (issue 15)
    assert results.status is RunStatus.COMPLETED
    assert len(calls) == 0


# --- validation before any item runs (§5.1, §6.5) -------------------------------------------


def _gen():
    yield 1


VALIDATION_CASES = [
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": "zz"},
        InvalidInputError,
        ["'zz'", "'x'", "'y'"],
        id="map_over-name-not-in-values",
    ),
    pytest.param(
        {"values": {"y": [1, 2]}, "map_over": "x"},
        InvalidInputError,
        ["'x'", "'y'"],
        id="graph-input-not-in-values",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1], "zz": [1]}, "map_over": ["x", "zz"]},
        UnknownInputError,
        ["'zz'"],
        id="map_over-name-unknown-to-graph",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1], "inner.x": [1]}, "map_over": "inner.x"},
        InvalidInputError,
        ["inner.x"],
        id="address-in-map_over",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1], "inner/x": [1]}, "map_over": "inner/x"},
        InvalidInputError,
        ["inner/x"],
        id="slash-address-in-map_over",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": []},
        InvalidInputError,
        ["at least one"],
        id="empty-map_over",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": ["x", "y", "x"]},
        InvalidInputError,
        ["listed twice", "'x'"],
        id="repeated-name",
    ),
    pytest.param(
        {"values": {"x": "abc", "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "str"],
        id="str",
    ),
    pytest.param(
        {"values": {"x": b"abc", "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "bytes"],
        id="bytes",
    ),
    pytest.param(
        {"values": {"x": bytearray(b"ab"), "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "bytearray"],
        id="bytearray",
    ),
    pytest.param(
        {"values": {"x": {1: 2}, "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "dict"],
        id="dict",
    ),
    pytest.param(
        {"values": {"x": {1, 2}, "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "set"],
        id="set",
    ),
    pytest.param(
        {"values": {"x": frozenset({1}), "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "frozenset"],
        id="frozenset",
    ),
    pytest.param(
        {"values": {"x": [1], "y": _gen()}, "map_over": ["x", "y"]},
        TypeError,
        ["'y'", "generator"],
        id="generator",
    ),
    pytest.param(
        {"values": {"x": iter([1, 2]), "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "iterator"],
        id="iterator",
    ),
    pytest.param(
        {"values": {"x": 5, "y": 1}, "map_over": "x"},
        TypeError,
        ["'x'", "int"],
        id="not-iterable",
    ),
    pytest.param(
        {"values": {"x": [1, 2, 3], "y": [1, 2]}, "map_over": ["x", "y"]},
        InvalidInputError,
        ["equal lengths", "'x'", "'y'"],
        id="unequal-zip-lengths",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": "x", "map_mode": "zipp"},
        InvalidInputError,
        ["Unknown map_mode", "'zip'", "'product'", "zipp"],
        id="unknown-map_mode",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": 42},
        TypeError,
        ["map_over"],
        id="map_over-not-a-name",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": ["x", 3]},
        TypeError,
        ["map_over"],
        id="map_over-non-str-item",
    ),
    pytest.param(
        {"values": {"x": [1], "y": [1]}, "map_over": "x", "map_mode": 1},
        TypeError,
        ["map_mode"],
        id="map_mode-not-a-str",
    ),
    pytest.param(
        {"values": {"x": [1]}, "map_over": "x"},
        InvalidInputError,  # MissingInputError, checked once on the keys of values
        ["'y'"],
        id="missing-input",
    ),
]


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("error_handling", MODES)
@pytest.mark.parametrize(("kwargs", "error", "fragments"), VALIDATION_CASES)
def test_map_validation_happens_before_any_item_runs(
    kind, error_handling, kwargs, error, fragments
) -> None:
    calls = Calls()
    graph = pair_graph(calls)
    kwargs = dict(kwargs)
    values = kwargs.pop("values")
    with pytest.raises(error) as info:
        run_map(kind, graph, values, error_handling=error_handling, **kwargs)
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_unequal_zip_lengths_name_each_input_with_its_length(kind) -> None:
    calls = Calls()
    with pytest.raises(InvalidInputError) as info:
        run_map(
            kind, pair_graph(calls), {"x": [1, 2, 3], "y": [1, 2, 3, 4, 5]}, map_over=["x", "y"]
        )
    text = str(info.value)
    assert "equal lengths" in text
    lines = text.splitlines()
    assert any("'x'" in line and "3" in line and "'y'" not in line for line in lines), text
    assert any("'y'" in line and "5" in line and "'x'" not in line for line in lines), text
    assert len(calls) == 0


@pytest.mark.parametrize("kind", RUNNERS)
def test_product_accepts_unequal_lengths(kind) -> None:
    results = run_map(
        kind, pair_graph(), {"x": [1, 2, 3], "y": [1]}, map_over=["x", "y"], map_mode="product"
    )
    assert [r["out"] for r in results] == [101, 201, 301]


@pytest.mark.parametrize("kind", RUNNERS)
def test_string_mapping_message_explains_the_fix(kind) -> None:
    with pytest.raises(TypeError) as info:
        run_map(kind, chain_graph(), {"x": "abc"}, map_over="x")
    assert "[" in str(info.value)  # "wrap it as [s]"


@pytest.mark.parametrize("kind", RUNNERS)
def test_generator_mapping_message_hints_list(kind) -> None:
    with pytest.raises(TypeError) as info:
        run_map(kind, chain_graph(), {"x": (i for i in range(3))}, map_over="x")
    assert "list(" in str(info.value)


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_rejects_a_node_instead_of_a_graph(kind) -> None:
    with pytest.raises(TypeError):
        run_map(kind, chain_graph().nodes["inc"], {"x": [1]}, map_over="x")


def test_map_validation_counter_under_async_leaves() -> None:
    calls = Calls()

    @node(output_name="y")
    async def work(x):
        calls.add(x)
        return x

    with pytest.raises(InvalidInputError):
        amap(Graph([work]), {"x": [1, 2], "q": [1]}, map_over=["x", "q"])
    with pytest.raises(TypeError):
        amap(Graph([work]), {"x": "ab"}, map_over="x")
    assert len(calls) == 0


def test_sync_runner_map_rejects_top_level_async_nodes_before_running() -> None:
    calls = Calls()

    @node(output_name="a")
    def first(x):
        calls.add(x)
        return x

    @node(output_name="y")
    async def second(a):
        return a

    with pytest.raises(IncompatibleRunnerError) as info:
        SyncRunner().map(Graph([first, second]), {"x": [1, 2]}, map_over="x")
    assert "AsyncRunner" in str(info.value)
    assert len(calls) == 0


# --- bounded worker pool (C4, §4.6 task count) -------------------------------------------------


def _watch_tasks(graph: Graph, n: int, limit: int | None) -> tuple[int, list[RunResult]]:
    async def main() -> tuple[int, list[RunResult]]:
        peak = 0
        done = False

        async def watcher() -> None:
            nonlocal peak
            while not done:
                peak = max(peak, len(asyncio.all_tasks()))
                await asyncio.sleep(0)

        task = asyncio.create_task(watcher())
        try:
            results = await asyncio.wait_for(
                AsyncRunner().map(graph, {"x": range(n)}, map_over="x", max_concurrency=limit),
                60,
            )
        finally:
            done = True
            await task
        return peak, results

    return asyncio.run(main())


def narrow_async_graph() -> Graph:
    @node(output_name="a")
    async def first(x):
        await asyncio.sleep(0)
        return x + 1

    @node(output_name="b")
    async def second(a):
        await asyncio.sleep(0)
        return a * 2

    return Graph([first, second])


def wide_async_graph() -> Graph:
    """Three async branches of one superstep, then a join: width 3."""

    def make_branch(j: int):
        async def branch(x):
            await asyncio.sleep(0)
            return x + j

        return node(branch, output_name=f"b{j}").with_name(f"branch{j}")

    branches = [make_branch(j) for j in range(3)]

    @node(output_name="total")
    async def gather(b0, b1, b2):
        await asyncio.sleep(0)
        return b0 + b1 + b2

    return Graph([*branches, gather])


def test_async_map_uses_a_bounded_pool_narrow_graph() -> None:
    limit, width = 8, 1
    peak, results = _watch_tasks(narrow_async_graph(), 2000, limit)
    assert [r["b"] for r in results[:3]] == [2, 4, 6]
    assert len(results) == 2000
    # main task + watcher + `limit` workers; a one-node superstep creates no task.
    assert peak <= limit * width + limit + 4, peak


def test_async_map_uses_a_bounded_pool_wide_graph() -> None:
    limit, width = 8, 3
    peak, results = _watch_tasks(wide_async_graph(), 2000, limit)
    assert results[10]["total"] == 3 * 10 + 0 + 1 + 2
    # each worker is a task and runs one item whose widest superstep has `width` tasks
    assert peak <= limit * width + limit + 4, peak


def test_async_map_without_limit_uses_at_most_default_map_workers() -> None:
    assert DEFAULT_MAP_WORKERS == 128
    peak, results = _watch_tasks(narrow_async_graph(), 1000, None)
    assert len(results) == 1000
    assert peak <= DEFAULT_MAP_WORKERS + 4, peak


def test_async_map_with_fewer_items_than_workers() -> None:
    peak, results = _watch_tasks(narrow_async_graph(), 3, 8)
    assert [r["b"] for r in results] == [2, 4, 6]
    assert peak <= 3 + 4


# --- map equals a loop of run ---------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_equals_a_list_of_runs(kind) -> None:
    graph = pair_graph()
    xs, ys = [1, 2, 3], [7, 8, 9]
    mapped = run_map(kind, graph, {"x": xs, "y": ys}, map_over=["x", "y"], map_mode="product")
    looped = [run_once(kind, graph, {"x": x, "y": y}) for x, y in itertools.product(xs, ys)]
    assert [(r.status, r.values) for r in mapped] == [(r.status, r.values) for r in looped]


# --- map_over mistakes a newcomer makes ---------------------------------------------------


@node(output_name="doubled")
def double_it(number: int) -> int:
    return number * 2


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_typo_gets_did_you_mean_and_no_advice_to_add_the_typo(kind) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        run_map(kind, Graph([double_it]), {"number": [1, 2]}, map_over="numbr")
    text = str(excinfo.value)
    assert "Did you mean 'number'?" in text
    fix = text.split("How to fix:")[1]
    assert "numbr" not in fix  # adding the typo to values would only fail again
    assert "spelling" in fix


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_an_input_missing_from_values_says_to_add_it(kind) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        run_map(kind, Graph([double_it]), {}, map_over="number")
    assert "How to fix: pass the list to map over in values, e.g. {'number': [...]}" in str(
        excinfo.value
    )


@pytest.mark.parametrize("kind", RUNNERS)
def test_map_over_an_int_says_it_is_not_a_sequence(kind) -> None:
    with pytest.raises(TypeError) as excinfo:
        run_map(kind, Graph([double_it]), {"number": 3}, map_over="number")
    text = str(excinfo.value)
    assert "got int 3, which is not a sequence" in text
    assert "iterator" not in text and "generator" not in text
    assert "How to fix: pass a list, e.g. {'number': [3]}" in text
