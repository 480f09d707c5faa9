"""Soak and scale (RELIABILITY §4.8, P6, P7, P8): a reduced size in the default suite, the
full size under ``-m slow``.

| Test | default | slow |
|---|---|---|
| map memory, both runners | ``tests/runners/test_map_memory.py`` (10k) | same file (100k) |
| map task and thread counts, AsyncRunner, L = 8 | 10k items | 100k items |
| converging cycle, flat tracemalloc peak | 100 vs 1k iterations | 1k vs 10k iterations |
| chain under both runners | 1,000 nodes | 5,000 nodes |
| one-superstep fan-out, L = 8 | 200 wide | 2,000 wide |
| nesting under both runners | depth 20 (and the limit, 100) | depth 50 |
| repeated runs of one runner | 200 | 2,000 |

The memory bound of ``map`` (peak beyond the retained results under a fixed bound, whatever
the item count) is proven by ``tests/runners/test_map_memory.py`` and not repeated here.
No time assertions: pytest-timeout is the backstop; concurrency is asserted with counters.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_graph._graph import MAX_NESTING_DEPTH
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import (
    GraphConfigError,
    IncompatibleRunnerError,
    InfiniteLoopError,
    RunResult,
    RunStatus,
)
from support import pool_threads

KiB = 1024
MiB = 1024 * KiB
DEADLINE = 120  # generous: a full-size soak under tracemalloc on a 2-core machine
KINDS = ("sync", "async-def", "async-async")


def run_with(kind: str, graph: Graph, values: dict[str, Any], **options: Any) -> RunResult:
    """``sync``: SyncRunner; ``async-*``: AsyncRunner in a fresh ``asyncio.run``."""
    if kind == "sync":
        return SyncRunner().run(graph, values, **options)
    coro = AsyncRunner().run(graph, values, **options)
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


@contextmanager
def traced() -> Iterator[dict[str, int]]:
    """tracemalloc around the block: ``peak`` is the peak above the starting size."""
    gc.collect()
    tracemalloc.start()
    out: dict[str, int] = {}
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        yield out
        current, peak = tracemalloc.get_traced_memory()
        out["peak"] = peak - before
        out["current"] = current - before
    finally:
        tracemalloc.stop()


# --- map: tasks and threads stay bounded (P7, §4.6 task count) -----------------------------------


class Watch:
    """Samples the task count and the pool threads on every loop turn."""

    def __init__(self) -> None:
        self.tasks = 0
        self.threads = 0
        self.samples = 0

    async def run(self, done: asyncio.Event) -> None:
        while not done.is_set():
            self.tasks = max(self.tasks, len(asyncio.all_tasks()))
            # worker threads only: a pool's helper that starts them (``-grow``) runs no body
            workers = [t for t in pool_threads() if not t.endswith("-grow")]
            self.threads = max(self.threads, len(workers))
            self.samples += 1
            await asyncio.sleep(0)


def map_graph() -> Graph:
    @node(output_name="a")
    async def first(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    @node(output_name="b")
    def second(a: int) -> int:  # a def leaf: it runs in the call's thread pool
        return 2 * a

    return Graph([first, second])


def check_map_bounds(n: int) -> None:
    limit = 8

    async def main() -> tuple[list[RunResult], Watch]:
        watch, done = Watch(), asyncio.Event()
        watcher = asyncio.create_task(watch.run(done))
        try:
            runner = AsyncRunner()
            coro = runner.map(map_graph(), {"x": range(n)}, map_over="x", max_concurrency=limit)
            results = await asyncio.wait_for(coro, DEADLINE)
        finally:
            done.set()
            await watcher
        return results, watch

    # The watcher spins the loop without ever blocking; with the default 5 ms GIL switch
    # interval every hand-off to a pool thread would then wait for a switch, making the map
    # many times slower than it is. A short interval keeps the measurement honest.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        results, watch = asyncio.run(main())
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == n
    assert results[0].values == {"a": 1, "b": 2}
    assert results[-1].values == {"a": n, "b": 2 * n}
    assert all(r.status is RunStatus.COMPLETED for r in results[:: max(1, n // 100)])
    assert watch.samples > n // 100  # the watcher really ran throughout
    # W = limit workers, each running one item whose widest superstep is one node wide
    # (RELIABILITY §4.6: W x width + a small constant: main, wait_for's task, the watcher).
    width = 1
    assert watch.tasks <= limit * width + limit + 4, watch.tasks
    assert 1 <= watch.threads <= limit, watch.threads
    assert pool_threads() == []


def test_map_of_10k_items_keeps_tasks_and_threads_bounded() -> None:
    check_map_bounds(10_000)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_map_of_100k_items_keeps_tasks_and_threads_bounded() -> None:
    check_map_bounds(100_000)


# --- a converging cycle: flat memory, exact budget (P8) -------------------------------------------


def counter_graph(kind: str, calls: list[int]) -> Graph:
    """``step(count, limit) -> count``: counts up to ``limit`` then repeats it (converges)."""
    if kind == "async-async":

        @node(output_name="count")
        async def step(count: int, limit: int) -> int:
            calls[0] += 1
            return count + 1 if count < limit else count

    else:

        @node(output_name="count")
        def step(count: int, limit: int) -> int:  # type: ignore[misc]
            calls[0] += 1
            return count + 1 if count < limit else count

    return Graph([step])


def cycle_peak(kind: str, n: int) -> int:
    calls = [0]
    graph = counter_graph(kind, calls)
    # n increments, then one superstep writing the same value: n + 1 cycle supersteps, so
    # max_iterations = n + 1 is exactly enough (a graph quiet at the limit completes, F12).
    with traced() as mem:
        result = run_with(kind, graph, {"count": 0, "limit": n}, max_iterations=n + 1)
    assert result.status is RunStatus.COMPLETED, result.error
    assert result["count"] == n
    assert calls[0] == n + 1
    return mem["peak"]


def check_cycle_is_flat(kind: str, small: int) -> None:
    cycle_peak(kind, 10)  # warm-up: plan compiled, lazy imports done
    one = cycle_peak(kind, small)
    ten = cycle_peak(kind, 10 * small)
    assert ten < 2 * one, f"{small} iterations: {one} B peak; {10 * small}: {ten} B"


@pytest.mark.parametrize("kind", KINDS)
def test_converging_cycle_memory_is_flat(kind: str) -> None:
    check_cycle_is_flat(kind, 100)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", KINDS)
def test_converging_cycle_of_10k_iterations_memory_is_flat(kind: str) -> None:
    check_cycle_is_flat(kind, 1_000)


@pytest.mark.parametrize("kind", ["sync", "async-def"])
def test_cycle_one_iteration_short_of_the_budget_fails(kind: str) -> None:
    n = 500
    result = run_with(kind, counter_graph(kind, [0]), {"count": 0, "limit": n}, max_iterations=n)
    assert isinstance(result.error, InfiniteLoopError)
    assert result.error.max_iterations == n
    assert result["count"] == n  # the latest completed value


# --- a long chain: iterative algorithms, no RecursionError ---------------------------------------


def _inc(v: int) -> int:
    return v + 1


async def _ainc(v: int) -> int:
    return v + 1


def chain(n: int, fn: Callable[..., Any]) -> Graph:
    """``n0 .. n{n-1}``: node i reads ``v{i}`` and writes ``v{i+1}``."""
    return Graph(
        [
            FunctionNode(fn, name=f"n{i}", output_name=f"v{i + 1}").with_inputs(v=f"v{i}")
            for i in range(n)
        ]
    )


def check_chain(n: int) -> None:
    graphs = {"sync": chain(n, _inc), "async-def": None, "async-async": chain(n, _ainc)}
    graphs["async-def"] = graphs["sync"]
    for kind, graph in graphs.items():
        assert graph is not None
        assert graph.inputs.required == ("v0",)
        result = run_with(kind, graph, {"v0": 7}, select=[f"v{n}"])
        assert result.status is RunStatus.COMPLETED, (kind, result.error)
        assert result.values == {f"v{n}": 7 + n}, kind


def test_chain_of_1000_nodes_under_both_runners() -> None:
    check_chain(1_000)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_chain_of_5000_nodes_under_both_runners() -> None:
    check_chain(5_000)


# --- a wide superstep under a limit (P6) ---------------------------------------------------------


class InFlight:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.total = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)

    def exit(self) -> None:
        with self.lock:
            self.now -= 1


def fan_out(width: int, tracker: InFlight, kind: str, limit: int) -> Graph:
    """``width`` leaves reading ``x``: all ready in the first superstep."""
    barrier = threading.Barrier(limit, timeout=10)

    async def async_leaf(x: int) -> int:
        tracker.enter()
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            return x
        finally:
            tracker.exit()

    def sync_leaf(x: int) -> int:
        tracker.enter()
        try:
            barrier.wait()  # liveness: `limit` bodies are in their threads at once
            return x
        finally:
            tracker.exit()

    fn = async_leaf if kind == "async" else sync_leaf
    return Graph([FunctionNode(fn, name=f"leaf{i}", output_name=f"o{i}") for i in range(width)])


def check_fan_out(width: int, kind: str) -> None:
    limit = 8
    assert width % limit == 0  # the barrier releases groups of `limit`
    tracker = InFlight()
    graph = fan_out(width, tracker, kind, limit)
    coro = AsyncRunner().run(graph, {"x": 5}, max_concurrency=limit)
    result = asyncio.run(asyncio.wait_for(coro, DEADLINE))
    assert result.status is RunStatus.COMPLETED, result.error
    assert len(result.values) == width and set(result.values.values()) == {5}
    assert tracker.total == width
    assert tracker.peak == limit  # never above the limit, and the limit is reached
    assert pool_threads() == []


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_fan_out_200_wide_under_limit_8(kind: str) -> None:
    check_fan_out(200, kind)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["async", "sync"])
def test_fan_out_2000_wide_under_limit_8(kind: str) -> None:
    check_fan_out(2_000, kind)


def test_fan_out_under_sync_runner_agrees() -> None:
    tracker = InFlight()
    graph = fan_out(200, tracker, "async", 8)
    with pytest.raises(IncompatibleRunnerError, match="AsyncRunner"):
        SyncRunner().run(graph, {"x": 5})
    assert tracker.total == 0
    plain = Graph([FunctionNode(_inc, name=f"leaf{i}", output_name=f"o{i}") for i in range(200)])
    assert set(SyncRunner().run(plain, {"v": 1}).values.values()) == {2}


# --- deep nesting, and the documented limit ------------------------------------------------------


def nested(depth: int, fn: Callable[..., Any], name: str = "L") -> Graph:
    """Level 1 is ``s1: v0 -> v1``; level d holds level d-1 as ``L{d-1}`` and ``s{d}``."""
    g = Graph([FunctionNode(fn, name="s1", output_name="v1").with_inputs(v="v0")], name=f"{name}1")
    for d in range(2, depth + 1):
        step = FunctionNode(fn, name=f"s{d}", output_name=f"v{d}").with_inputs(v=f"v{d - 1}")
        g = Graph([g.as_node(name=f"{name}{d - 1}"), step], name=f"{name}{d}")
    return g


def check_nesting(depth: int) -> None:
    for kind in KINDS:
        graph = nested(depth, _ainc if kind == "async-async" else _inc)
        result = run_with(kind, graph, {"v0": 0})
        assert result.status is RunStatus.COMPLETED, (kind, result.error)
        assert result[f"v{depth}"] == depth
        # every level's nested RunResult is there, agreeing with the reference
        holder = result
        for d in range(depth - 1, 0, -1):
            holder = holder[f"L{d}"]
            assert isinstance(holder, RunResult) and holder.status is RunStatus.COMPLETED
            assert holder[f"v{d}"] == d
        assert run_with(kind, graph, {"v0": 10})[f"v{depth}"] == 10 + depth


def test_nesting_depth_20_under_both_runners() -> None:
    check_nesting(20)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_nesting_depth_50_under_both_runners() -> None:
    check_nesting(50)


def test_nesting_at_the_documented_limit_runs_under_both_runners() -> None:
    assert MAX_NESTING_DEPTH == 100
    check_nesting(MAX_NESTING_DEPTH)


@pytest.mark.parametrize("kind", KINDS)
def test_failure_at_the_bottom_of_deep_nesting_keeps_identity_and_path(kind: str) -> None:
    depth = 30
    boom = ValueError("at the bottom")

    def fail(v: int) -> int:
        raise boom

    async def afail(v: int) -> int:
        raise boom

    bottom = FunctionNode(afail if kind == "async-async" else fail, name="s1", output_name="v1")
    g = Graph([bottom.with_inputs(v="v0")], name="L1")
    for d in range(2, depth + 1):
        step = FunctionNode(_inc, name=f"s{d}", output_name=f"v{d}").with_inputs(v=f"v{d - 1}")
        g = Graph([g.as_node(name=f"L{d - 1}"), step], name=f"L{d}")
    result = run_with(kind, g, {"v0": 0})
    assert result.error is boom
    path = ".".join([*(f"L{d}" for d in range(depth - 1, 0, -1)), "s1"])
    assert result.failed_node == path
    notes = [n for n in boom.__notes__ if n.startswith("hypergraph:")]
    assert len(notes) == 1 and f"'{path}'" in notes[0]


@pytest.mark.parametrize("how", ["graph", "bind", "as_node-name"])
def test_nesting_beyond_the_limit_is_a_graph_config_error(how: str) -> None:
    deepest = nested(MAX_NESTING_DEPTH, _inc)
    if how == "bind":
        deepest = deepest.bind(v0=1)  # derived graphs keep their depth
    node_name = "too_deep" if how == "as_node-name" else f"L{MAX_NESTING_DEPTH}"
    with pytest.raises(GraphConfigError) as info:
        Graph([deepest.as_node(name=node_name)], name="outer")
    err = info.value
    assert not isinstance(err, RecursionError)
    text = str(err)
    assert f"{MAX_NESTING_DEPTH + 1} levels" in text
    assert f"limit of {MAX_NESTING_DEPTH}" in text
    assert "'outer'" in text and "How to fix" in text


# --- repeated runs of one runner: memory and threads come back --------------------------------


def repeated_graph() -> Graph:
    @node(output_name="a")
    def first(x: int) -> int:
        if x % 10 == 9:
            raise ValueError(f"fails for {x}")  # a FAILED result every 10th run
        return x + 1

    @node(output_name="items")
    def stream(a: int) -> Any:
        yield from range(a % 3)

    @node(output_name="b")
    async def second(a: int) -> int:
        await asyncio.sleep(0)
        return a * 2

    @node(output_name="c")
    def inner(b: int) -> int:
        return b - 1

    return Graph([first, stream, second, Graph([inner], name="sub").as_node()])


def sync_only_repeated_graph() -> Graph:
    g = repeated_graph()
    nodes = {**g.nodes}
    nodes.pop("second")

    @node(output_name="b")
    def second(a: int) -> int:
        return a * 2

    return Graph([*nodes.values(), second])


def check(result: RunResult, x: int) -> None:
    if x % 10 == 9:
        assert isinstance(result.error, ValueError)
    else:
        assert result.status is RunStatus.COMPLETED, result.error
        assert result["c"] == 2 * (x + 1) - 1


def check_repeated_runs(kind: str, runs: int) -> None:
    # The threads alive before: a thread another test left winding down may end meanwhile,
    # so compare who is alive, not how many.
    before = set(threading.enumerate())
    if kind == "sync":
        runner = SyncRunner()
        graph = sync_only_repeated_graph()

        def loop(start: int, stop: int) -> None:
            for x in range(start, stop):
                check(runner.run(graph, {"x": x}), x)

    else:
        arunner = AsyncRunner()
        graph = repeated_graph()

        async def aloop(start: int, stop: int) -> None:
            for x in range(start, stop):
                check(await arunner.run(graph, {"x": x}, max_concurrency=2), x)

        def loop(start: int, stop: int) -> None:
            asyncio.run(asyncio.wait_for(aloop(start, stop), DEADLINE))

    with traced():
        loop(0, 10)
        gc.collect()
        after_ten, _ = tracemalloc.get_traced_memory()
        loop(10, runs)
        gc.collect()
        after_all, _ = tracemalloc.get_traced_memory()
    growth = after_all - after_ten
    assert growth < 256 * KiB, f"{growth / KiB:.0f} KiB retained over {runs - 10} runs"
    assert pool_threads() == []
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_200_runs_of_one_runner_retain_nothing(kind: str) -> None:
    check_repeated_runs(kind, 200)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_2000_runs_of_one_runner_retain_nothing(kind: str) -> None:
    check_repeated_runs(kind, 2_000)
