"""AsyncRunner concurrency: concurrent supersteps, ``max_concurrency``, thread pool, deadlocks.

SPEC RUN-03, RUN-06 .. RUN-08, §4.10; RELIABILITY F6, C1 .. C5 and the test plan §4.6.
Concurrency is proven with counters, events and barriers, never with elapsed time; every
awaited run sits in ``asyncio.wait_for(..., 10)`` so a deadlock fails clearly.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import InvalidInputError, RunResult, RunStatus
from support import pool_threads, within


class InFlight:
    """Counts leaf bodies in flight (under a lock: sync bodies run in threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.entries = 0
        self.exits = 0
        self.threads: set[str] = set()

    def enter(self) -> int:
        with self.lock:
            self.now += 1
            self.entries += 1
            self.peak = max(self.peak, self.now)
            self.threads.add(threading.current_thread().name)
            return self.now

    def exit(self) -> None:
        with self.lock:
            self.now -= 1
            self.exits += 1


# -- leaf factories: every body takes ``x`` and returns ``x + k`` ---------------------------

Body = Callable[[int], Callable[..., Any]]


def counting_async(tracker: InFlight, gate: asyncio.Event, threshold: int) -> Body:
    """Async leaves: wait until ``threshold`` bodies are inside at once (liveness)."""

    def make(k: int) -> Callable[..., Any]:
        async def body(x: int) -> int:
            if tracker.enter() >= threshold:
                gate.set()
            try:
                await gate.wait()
                await asyncio.sleep(0)
                return x + k
            finally:
                tracker.exit()

        return body

    return make


def counting_sync(tracker: InFlight, barrier: threading.Barrier) -> Body:
    """Sync leaves: the first ``barrier.parties`` bodies wait for each other, which proves
    that many run at once; later bodies pass (map items of ``def``-only graphs run whole in
    worker threads, so the last bodies of a map need not find partners)."""
    arrivals = itertools.count()

    def make(k: int) -> Callable[..., Any]:
        def body(x: int) -> int:
            tracker.enter()
            try:
                if next(arrivals) < barrier.parties:
                    barrier.wait()
                return x + k
            finally:
                tracker.exit()

        return body

    return make


def wide(make: Body, width: int, prefix: str = "", name: str | None = None) -> Graph:
    """``width`` independent leaves ``{prefix}n{k}(x) -> {prefix}o{k} = x + k``."""
    return Graph(
        [FunctionNode(make(k), f"{prefix}n{k}", f"{prefix}o{k}") for k in range(width)],
        name=name,
    )


def nested(make: Body, depth: int, width: int, prefix: str = "d") -> Graph:
    """``depth`` levels; each level has ``width`` leaves and (but the last) a nested graph."""
    level = f"{prefix}{depth}_"
    nodes: list[Any] = [FunctionNode(make(k), f"{level}n{k}", f"{level}o{k}") for k in range(width)]
    if depth > 1:
        nodes.append(nested(make, depth - 1, width, prefix).as_node())
    return Graph(nodes, name=f"{prefix}{depth}")


# -- shapes used by the limit tests: (leaf count, how to run them, how to check the result) --

Shape = Callable[[Body, AsyncRunner, int | None], Awaitable[int]]


async def shape_wide20(make: Body, runner: AsyncRunner, limit: int | None) -> int:
    r = await within(runner.run(wide(make, 20), {"x": 100}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED, r.error
    assert {f"o{k}": r[f"o{k}"] for k in range(20)} == {f"o{k}": 100 + k for k in range(20)}
    return 20


async def shape_map30(make: Body, runner: AsyncRunner, limit: int | None) -> int:
    xs = [1000 * i for i in range(30)]
    results = await within(
        runner.map(wide(make, 4), {"x": xs}, map_over="x", max_concurrency=limit)
    )
    assert [r.status for r in results] == [RunStatus.COMPLETED] * 30
    assert [r["o3"] for r in results] == [x + 3 for x in xs]
    return 30 * 4


async def shape_nested3(make: Body, runner: AsyncRunner, limit: int | None) -> int:
    r = await within(runner.run(nested(make, 3, 4), {"x": 7}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["d3_o0"], r["d2_o1"], r["d1_o3"]) == (7, 8, 10)
    assert r["d2"]["d1"]["d1_o2"] == 9
    return 3 * 4


async def shape_combined(make: Body, runner: AsyncRunner, limit: int | None) -> int:
    mapped = wide(make, 4, prefix="m_", name="m").as_node().with_inputs(x="xs").map_over("xs")
    graph = Graph([*wide(make, 4).nodes.values(), nested(make, 3, 4).as_node(), mapped])
    xs = [10, 20, 30, 40, 50]
    r = await within(runner.run(graph, {"x": 1, "xs": xs}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["o2"], r["d1_o1"], r["m_o1"]) == (3, 2, [x + 1 for x in xs])
    return 4 + 3 * 4 + 5 * 4


SHAPES = {
    "wide20": shape_wide20,
    "map30x4": shape_map30,
    "nested3": shape_nested3,
    "combined": shape_combined,
}


# -- RUN-06: concurrent supersteps ----------------------------------------------------------


async def test_independent_async_nodes_run_concurrently() -> None:
    """Each node waits for the other's flag: only possible if both are in flight at once."""
    a_in, b_in = asyncio.Event(), asyncio.Event()

    @node(output_name="a")
    async def na(x: int) -> int:
        a_in.set()
        await b_in.wait()
        return x + 1

    @node(output_name="b")
    async def nb(x: int) -> int:
        b_in.set()
        await a_in.wait()
        return x + 2

    r = await within(AsyncRunner().run(Graph([na, nb]), {"x": 1}))
    assert r.status is RunStatus.COMPLETED
    assert (r["a"], r["b"]) == (2, 3)


async def test_sync_nodes_run_concurrently_in_threads() -> None:
    barrier = threading.Barrier(2, timeout=5)
    loop_thread = threading.get_ident()
    idents: list[int] = []

    @node(output_name="a")
    def na(x: int) -> int:
        idents.append(threading.get_ident())
        barrier.wait()
        return x + 1

    @node(output_name="b")
    def nb(x: int) -> int:
        idents.append(threading.get_ident())
        barrier.wait()
        return x + 2

    r = await within(AsyncRunner().run(Graph([na, nb]), {"x": 1}, error_handling="raise"))
    assert (r["a"], r["b"]) == (2, 3)
    assert len(set(idents)) == 2
    assert loop_thread not in idents


async def test_def_node_blocking_on_event_set_by_async_sibling_completes() -> None:
    """The def body blocks its thread, not the loop, so the async sibling can release it."""
    loop = asyncio.get_running_loop()
    blocker_started = asyncio.Event()
    release = threading.Event()

    @node(output_name="waited")
    def blocker(x: int) -> bool:
        loop.call_soon_threadsafe(blocker_started.set)
        return release.wait(5)

    @node(output_name="released")
    async def releaser(x: int) -> int:
        await blocker_started.wait()
        release.set()
        return x

    r = await within(AsyncRunner().run(Graph([blocker, releaser]), {"x": 3}))
    assert r.status is RunStatus.COMPLETED, r.error
    assert r["waited"] is True
    assert r["released"] == 3


async def test_dependent_nodes_still_wait_for_their_inputs() -> None:
    """Concurrency never breaks dependencies: the consumer sees the producer's output."""
    order: list[str] = []

    @node(output_name="a")
    async def produce(x: int) -> int:
        await asyncio.sleep(0)
        order.append("produce")
        return x + 1

    @node(output_name="b")
    def consume(a: int) -> int:
        order.append("consume")
        return a * 10

    r = await within(AsyncRunner().run(Graph([consume, produce]), {"x": 1}, max_concurrency=4))
    assert r["b"] == 20
    assert order == ["produce", "consume"]


# -- RUN-08 / C1 / C2: the limit holds everywhere, and is reached ---------------------------


@pytest.mark.parametrize("limit", [1, 2, 4])
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_async_leaves_peak_equals_limit(shape: str, limit: int) -> None:
    """peak <= L (counter) and peak >= L (the gate opens only once L bodies are inside)."""
    tracker = InFlight()
    gate = asyncio.Event()
    leaves = await SHAPES[shape](counting_async(tracker, gate, limit), AsyncRunner(), limit)
    assert tracker.peak == limit
    assert tracker.entries == tracker.exits == leaves


@pytest.mark.parametrize("limit", [1, 2, 4])
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_sync_leaves_peak_equals_limit(shape: str, limit: int) -> None:
    """Barrier(L) proves L threads at once; the counter proves no more ever ran."""
    tracker = InFlight()
    barrier = threading.Barrier(limit, timeout=5)
    leaves = await SHAPES[shape](counting_sync(tracker, barrier), AsyncRunner(), limit)
    assert tracker.peak == limit
    assert tracker.entries == tracker.exits == leaves
    assert len(tracker.threads) <= limit  # the pool is sized to the limit (C5)
    assert pool_threads() == []


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_mixed_async_and_sync_leaves_share_one_limit(limit: int) -> None:
    tracker = InFlight()
    gate = asyncio.Event()
    make_async = counting_async(tracker, gate, limit)

    def make_sync(k: int) -> Callable[..., Any]:
        def body(x: int) -> int:
            tracker.enter()
            try:
                return x + k
            finally:
                tracker.exit()

        return body

    nodes = [
        FunctionNode((make_async if k % 2 else make_sync)(k), f"n{k}", f"o{k}") for k in range(20)
    ]
    r = await within(AsyncRunner().run(Graph(nodes), {"x": 0}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED, r.error
    assert [r[f"o{k}"] for k in range(20)] == list(range(20))
    assert tracker.peak == limit


async def test_pool_is_sized_to_the_limit_not_the_default_executor() -> None:
    """L = 10, 20 blocking def leaves: Barrier(10) proves 10 threads at once (the loop's
    default executor has min(32, cpus + 4) threads, 6 on a 2-core machine)."""
    tracker = InFlight()
    barrier = threading.Barrier(10, timeout=5)
    graph = wide(counting_sync(tracker, barrier), 20)
    r = await within(AsyncRunner().run(graph, {"x": 0}, max_concurrency=10))
    assert r.status is RunStatus.COMPLETED, r.error
    assert tracker.peak == 10
    assert len(tracker.threads) == 10
    assert pool_threads() == []


async def test_no_limit_lets_every_async_leaf_in() -> None:
    tracker = InFlight()
    gate = asyncio.Event()
    graph = wide(counting_async(tracker, gate, 20), 20)
    r = await within(AsyncRunner().run(graph, {"x": 0}, max_concurrency=None))
    assert r.status is RunStatus.COMPLETED, r.error
    assert tracker.peak == 20


async def test_no_limit_lets_every_sync_leaf_in() -> None:
    """Without a limit the pool has 32 threads, so 20 blocking bodies meet at one barrier."""
    tracker = InFlight()
    barrier = threading.Barrier(20, timeout=5)
    r = await within(AsyncRunner().run(wide(counting_sync(tracker, barrier), 20), {"x": 0}))
    assert r.status is RunStatus.COMPLETED, r.error
    assert tracker.peak == 20


async def test_no_limit_map_runs_items_concurrently() -> None:
    tracker = InFlight()
    gate = asyncio.Event()
    results = await within(
        AsyncRunner().map(
            wide(counting_async(tracker, gate, 40), 2), {"x": list(range(20))}, map_over="x"
        )
    )
    assert [r["o1"] for r in results] == [x + 1 for x in range(20)]
    assert tracker.peak == 40


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (0, InvalidInputError),
        (-1, InvalidInputError),
        (True, TypeError),
        (False, TypeError),
        (1.5, TypeError),
        (2.0, TypeError),
        ("2", TypeError),
    ],
)
@pytest.mark.parametrize("method", ["run", "map"])
async def test_invalid_max_concurrency_raises_before_any_node(
    method: str, bad: Any, error: type[Exception]
) -> None:
    calls = []

    @node(output_name="y")
    async def leaf(x: int) -> int:
        calls.append(x)
        return x

    runner = AsyncRunner()
    with pytest.raises(error) as info:
        if method == "run":
            await within(runner.run(Graph([leaf]), {"x": 1}, max_concurrency=bad))
        else:
            await within(
                runner.map(Graph([leaf]), {"x": [1, 2]}, map_over="x", max_concurrency=bad)
            )
    assert "max_concurrency" in str(info.value)
    assert calls == []
    if error is TypeError:
        assert not isinstance(info.value, InvalidInputError)


async def test_invalid_max_concurrency_raises_in_both_error_modes() -> None:
    @node(output_name="y")
    def leaf(x: int) -> int:
        raise AssertionError("never called")

    for mode in ("continue", "raise"):
        with pytest.raises(InvalidInputError):
            await within(
                AsyncRunner().run(Graph([leaf]), {"x": 1}, max_concurrency=0, error_handling=mode)
            )


async def test_pool_threads_are_named_after_the_run_and_gone_afterwards() -> None:
    names: list[str] = []
    lock = threading.Lock()

    def make(k: int) -> Callable[..., Any]:
        def body(x: int) -> int:
            with lock:
                names.append(threading.current_thread().name)
            return x + k

        return body

    r = await within(AsyncRunner().run(wide(make, 8), {"x": 0}, max_concurrency=2))
    assert r.status is RunStatus.COMPLETED
    assert len(names) == 8
    assert all(n.startswith("hypergraph-") for n in names), names
    assert all(n.startswith(f"hypergraph-{r.run_id}") for n in names), (names, r.run_id)
    assert len(set(names)) <= 2
    assert pool_threads() == []  # shut down with wait=True before run() returned


async def test_pool_threads_gone_after_map_and_failed_run() -> None:
    @node(output_name="y")
    def leaf(x: int) -> int:
        if x == 3:
            raise ValueError("item 3")
        return x

    results = await within(AsyncRunner().map(Graph([leaf]), {"x": [1, 2, 3, 4]}, map_over="x"))
    assert [r.status for r in results].count(RunStatus.FAILED) == 1
    assert pool_threads() == []
    with pytest.raises(ValueError):
        await within(AsyncRunner().run(Graph([leaf]), {"x": 3}, error_handling="raise"))
    assert pool_threads() == []


# -- deadlock regressions at max_concurrency=1 (RELIABILITY 4.6, C2, C3) ---------------------


def tracked_leaves(tracker: InFlight) -> tuple[Body, Body]:
    def make_async(k: int) -> Callable[..., Any]:
        async def body(x: int) -> int:
            tracker.enter()
            try:
                await asyncio.sleep(0)
                return x + k
            finally:
                tracker.exit()

        return body

    def make_sync(k: int) -> Callable[..., Any]:
        def body(x: int) -> int:
            tracker.enter()
            try:
                return x + k
            finally:
                tracker.exit()

        return body

    return make_async, make_sync


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_no_deadlock_nesting_three_deep(kind: str) -> None:
    tracker = InFlight()
    make = tracked_leaves(tracker)[kind == "sync"]
    graph = nested(make, 3, 2)
    r = await within(AsyncRunner().run(graph, {"x": 5}, max_concurrency=1))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["d3_o1"], r["d2_o0"], r["d1_o1"]) == (6, 5, 6)
    assert tracker.peak == 1
    assert tracker.entries == 6


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_no_deadlock_mapped_nested_graph(kind: str) -> None:
    tracker = InFlight()
    make = tracked_leaves(tracker)[kind == "sync"]
    inner = wide(make, 2, name="inner")
    outer = Graph([inner.as_node().map_over("x")])
    r = await within(AsyncRunner().run(outer, {"x": [1, 2, 3, 4, 5]}, max_concurrency=1))
    assert r.status is RunStatus.COMPLETED, r.error
    assert r["o1"] == [2, 3, 4, 5, 6]
    assert len(r["inner"]) == 5
    assert tracker.peak == 1


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_no_deadlock_map_over_graph_with_mapped_nested_graph(kind: str) -> None:
    tracker = InFlight()
    make = tracked_leaves(tracker)[kind == "sync"]

    @node(output_name="scaled")
    def scale(o0: list[int], k: int) -> list[int]:
        return [v * k for v in o0]

    inner = wide(make, 2, name="inner")
    outer = Graph([inner.as_node().map_over("x"), scale])
    results = await within(
        AsyncRunner().map(
            outer, {"x": [1, 2, 3], "k": [1, 2, 3, 4]}, map_over="k", max_concurrency=1
        )
    )
    assert [r.status for r in results] == [RunStatus.COMPLETED] * 4
    assert [r["scaled"] for r in results] == [[k * v for v in (1, 2, 3)] for k in (1, 2, 3, 4)]
    assert tracker.peak == 1
    assert tracker.entries == 4 * 3 * 2


async def test_no_deadlock_sync_runner_delegated_nested_graph() -> None:
    """A nested graph delegated to SyncRunner is one leaf holding one permit (C2)."""
    tracker = InFlight()
    make_async, make_sync = tracked_leaves(tracker)
    inner = wide(make_sync, 3, prefix="i", name="inner")
    outer = Graph(
        [
            inner.as_node(runner=SyncRunner()),
            FunctionNode(make_async(10), "a", "a_out"),
            FunctionNode(make_sync(20), "s", "s_out"),
        ]
    )
    r = await within(AsyncRunner().run(outer, {"x": 1}, max_concurrency=1))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["io0"], r["io2"], r["a_out"], r["s_out"]) == (1, 3, 11, 21)
    assert tracker.peak == 1


async def test_no_deadlock_mapped_sync_runner_delegated_nested_graph() -> None:
    tracker = InFlight()
    _, make_sync = tracked_leaves(tracker)
    inner = wide(make_sync, 2, name="inner")
    outer = Graph([inner.as_node(runner=SyncRunner()).map_over("x")])
    r = await within(AsyncRunner().run(outer, {"x": [1, 2, 3]}, max_concurrency=1))
    assert r.status is RunStatus.COMPLETED, r.error
    assert r["o1"] == [2, 3, 4]
    assert tracker.peak == 1


async def test_no_deadlock_node_awaiting_its_own_run() -> None:
    """A node body that calls a runner starts a new top-level call with its own limiter (C3):
    inheriting the outer one would deadlock at 1, since the caller holds the only permit."""
    inner_ran = []

    @node(output_name="y")
    async def double(x: int) -> int:
        inner_ran.append(x)
        return 2 * x

    @node(output_name="z")
    def triple(x: int) -> int:
        return 3 * x

    inner = Graph([double, triple])

    @node(output_name="w")
    async def outer_node(x: int) -> int:
        r = await AsyncRunner().run(inner, {"x": x}, max_concurrency=1)
        return r["y"] + r["z"]

    @node(output_name="v")
    async def sibling(x: int) -> int:
        r = await AsyncRunner().run(inner, {"x": x + 1})
        return r["y"]

    r = await within(AsyncRunner().run(Graph([outer_node, sibling]), {"x": 2}, max_concurrency=1))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["w"], r["v"]) == (10, 6)
    assert sorted(inner_ran) == [2, 3]


async def test_no_deadlock_node_awaiting_its_own_map() -> None:
    @node(output_name="y")
    async def double(x: int) -> int:
        return 2 * x

    @node(output_name="total")
    async def outer_node(xs: list[int]) -> int:
        results = await AsyncRunner().map(
            Graph([double]), {"x": xs}, map_over="x", max_concurrency=1
        )
        return sum(r["y"] for r in results)

    r = await within(AsyncRunner().run(Graph([outer_node]), {"xs": [1, 2, 3]}, max_concurrency=1))
    assert r["total"] == 12


async def test_limit_one_serialises_a_cycle_and_its_siblings() -> None:
    """A cycle under max_concurrency=1 next to an independent leaf: no deadlock, right answer."""
    tracker = InFlight()

    @node(output_name="count")
    async def step(count: int) -> int:
        tracker.enter()
        try:
            await asyncio.sleep(0)
            return min(count + 1, 5)
        finally:
            tracker.exit()

    @node(output_name="side")
    def side(x: int) -> int:
        tracker.enter()
        try:
            return x
        finally:
            tracker.exit()

    r = await within(
        AsyncRunner().run(Graph([step, side]), {"count": 0, "x": 9}, max_concurrency=1)
    )
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["count"], r["side"]) == (5, 9)
    assert tracker.peak == 1


# -- sync_nodes="inline" (RUN-03, RUN-07, C5) ------------------------------------------------


async def test_inline_sync_nodes_run_on_the_loop_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    @node(output_name="a")
    def na(x: int) -> int:
        seen.append(threading.get_ident())
        return x + 1

    @node(output_name="b")
    def nb(a: int) -> list[int]:
        seen.append(threading.get_ident())
        return list(range(a))

    @node(output_name="c")
    def nc(x: int) -> Any:
        seen.append(threading.get_ident())
        yield x
        yield x + 1

    runner = AsyncRunner(sync_nodes="inline")
    r = await within(runner.run(Graph([na, nb, nc]), {"x": 1}))
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["a"], r["b"], r["c"]) == (2, [0, 1], [1, 2])
    assert seen == [loop_thread] * 3
    assert pool_threads() == []


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_inline_sync_nodes_respect_max_concurrency(limit: int) -> None:
    """Inline bodies take a permit too: while L async leaves hold every permit, none runs."""
    tracker = InFlight()
    gate = asyncio.Event()
    loop_thread = threading.get_ident()
    make_async = counting_async(tracker, gate, limit)
    inline_threads: list[int] = []

    def make_sync(k: int) -> Callable[..., Any]:
        def body(x: int) -> int:
            inline_threads.append(threading.get_ident())
            tracker.enter()
            tracker.exit()
            return x + k

        return body

    nodes = [
        FunctionNode((make_async if k % 2 else make_sync)(k), f"n{k}", f"o{k}") for k in range(20)
    ]
    runner = AsyncRunner(sync_nodes="inline")
    r = await within(runner.run(Graph(nodes), {"x": 0}, max_concurrency=limit))
    assert r.status is RunStatus.COMPLETED, r.error
    assert [r[f"o{k}"] for k in range(20)] == list(range(20))
    assert tracker.peak == limit
    assert inline_threads == [loop_thread] * 10


async def test_inline_sync_nodes_in_map_and_nested_graph() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    @node(output_name="y")
    def double(x: int) -> int:
        seen.append(threading.get_ident())
        return 2 * x

    outer = Graph([Graph([double], name="inner").as_node().map_over("x")])
    results = await within(
        AsyncRunner(sync_nodes="inline").map(
            outer, {"x": [[1, 2], [3]]}, map_over="x", max_concurrency=2
        )
    )
    assert [r["y"] for r in results] == [[2, 4], [6]]
    assert seen == [loop_thread] * 3


@pytest.mark.parametrize("bad", ["threads", "INLINE", None, 1])
def test_unknown_sync_nodes_value_is_rejected(bad: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        AsyncRunner(sync_nodes=bad)
    assert "sync_nodes" in str(info.value)


async def test_run_results_have_fresh_run_ids_under_concurrency() -> None:
    @node(output_name="y")
    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    runner = AsyncRunner()
    graph = Graph([double])
    results: list[RunResult] = await within(
        asyncio.gather(*(runner.run(graph, {"x": i}, max_concurrency=2) for i in range(20)))
    )
    assert [r["y"] for r in results] == [2 * i for i in range(20)]
    assert len({r.run_id for r in results}) == 20
