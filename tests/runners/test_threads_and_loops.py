"""Runners across threads and event loops; SyncRunner inside a running loop.

RELIABILITY F10, F11, F13, C1, C8 and test plan §4.9; SPEC RUN-02, RUN-03, RUN-09, NEST-03,
NEST-06. Each awaited run sits in ``asyncio.wait_for(..., 10)``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import IncompatibleRunnerError, InvalidInputError, RunResult, RunStatus
from support import pool_threads, run_in_threads, within


def flat(result: RunResult) -> dict[str, Any]:
    """Values without nested RunResults (their run_ids differ between runs)."""
    return {
        k: v
        for k, v in result.values.items()
        if not isinstance(v, RunResult)
        and not (isinstance(v, list) and v and isinstance(v[0], RunResult))
    }


# -- F13 / C1: one AsyncRunner on many loops ---------------------------------------------------


def contended_graph() -> Graph:
    """6 async leaves and 2 sync leaves at max_concurrency=2: the limiter has waiters, so a
    limiter shared across loops would be bound to the first loop and fail on the next."""

    def async_leaf(k: int) -> Callable[..., Any]:
        async def leaf(x: int) -> int:
            for _ in range(3):
                await asyncio.sleep(0)
            return x * 10 + k

        return leaf

    def sync_leaf(k: int) -> Callable[..., Any]:
        def leaf(x: int) -> int:
            return x * 100 + k

        return leaf

    nodes = [FunctionNode(async_leaf(k), f"a{k}", f"a{k}") for k in range(6)]
    nodes += [FunctionNode(sync_leaf(k), f"s{k}", f"s{k}") for k in range(2)]

    @node(output_name="total")
    async def total(a0: int, a5: int, s1: int) -> int:
        return a0 + a5 + s1

    return Graph([*nodes, total])


def expected(x: int) -> dict[str, int]:
    out = {f"a{k}": x * 10 + k for k in range(6)}
    out.update({f"s{k}": x * 100 + k for k in range(2)})
    out["total"] = out["a0"] + out["a5"] + out["s1"]
    return out


async def use(runner: AsyncRunner, graph: Graph, x: int) -> tuple[RunResult, list[RunResult]]:
    r = await within(runner.run(graph, {"x": x}, max_concurrency=2))
    items = await within(
        runner.map(graph, {"x": [x, x + 1, x + 2]}, map_over="x", max_concurrency=2)
    )
    return r, items


def check(r: RunResult, items: list[RunResult], x: int) -> None:
    assert r.status is RunStatus.COMPLETED, r.error
    assert r.values == expected(x)
    assert [i.values for i in items] == [expected(x), expected(x + 1), expected(x + 2)]


def test_async_runner_reused_across_event_loops_and_threads() -> None:
    runner = AsyncRunner()
    graph = contended_graph()
    # two sequential asyncio.run() calls: a fresh loop each time
    for x in (1, 2):
        r, items = asyncio.run(use(runner, graph, x))
        check(r, items, x)
    # then two threads, each with its own loop, running at the same time
    barrier = threading.Barrier(2, timeout=5)

    def in_thread(i: int) -> tuple[RunResult, list[RunResult]]:
        barrier.wait()
        return asyncio.run(use(runner, graph, 10 * (i + 1)))

    for i, (r, items) in enumerate(run_in_threads(2, in_thread, join_timeout=30)):
        check(r, items, 10 * (i + 1))
    assert pool_threads() == []


def test_async_runner_concurrent_calls_on_one_loop_are_independent() -> None:
    """Calls sharing a loop each get their own limiter: max_concurrency=1 on one call does not
    serialise another call."""

    async def main() -> None:
        a_in, b_in = asyncio.Event(), asyncio.Event()

        @node(output_name="y")
        async def first(x: int) -> int:
            a_in.set()
            await b_in.wait()
            return x

        @node(output_name="y")
        async def second(x: int) -> int:
            b_in.set()
            await a_in.wait()
            return x

        runner = AsyncRunner()
        r1, r2 = await within(
            asyncio.gather(
                runner.run(Graph([first]), {"x": 1}, max_concurrency=1),
                runner.run(Graph([second]), {"x": 2}, max_concurrency=1),
            )
        )
        assert (r1["y"], r2["y"]) == (1, 2)

    asyncio.run(main())


# -- F13: one SyncRunner and one fresh graph shared by many threads --------------------------


def test_sync_runner_and_fresh_graph_shared_by_eight_threads() -> None:
    @node(output_name="s")
    def add(a: int, b: int) -> int:
        return a + b

    @node(output_name=("p", "q"))
    def split(s: int, a: int) -> tuple[int, int]:
        return s * 2, a

    @node(output_name="tag")
    def tag(p: int, q: int, label: str) -> str:
        return f"{label}:{p}:{q}"

    graph = Graph([tag, split, add])  # fresh: the threads race to compile its plan
    runner = SyncRunner()
    barrier = threading.Barrier(8, timeout=5)
    runs = 50

    def work(t: int) -> list[tuple[int, int, str, RunResult]]:
        barrier.wait()
        out = []
        for i in range(runs):
            a, b, label = t * 1000 + i, i, f"t{t}"
            out.append((a, b, label, runner.run(graph, {"a": a, "b": b, "label": label})))
        return out

    run_ids = []
    for per_thread in run_in_threads(8, work, join_timeout=30):
        assert len(per_thread) == runs
        for a, b, label, r in per_thread:
            assert r.status is RunStatus.COMPLETED, r.error
            assert r.values == {
                "s": a + b,
                "p": 2 * (a + b),
                "q": a,
                "tag": f"{label}:{2 * (a + b)}:{a}",
            }
            run_ids.append(r.run_id)
    assert len(run_ids) == 8 * runs
    assert len(set(run_ids)) == len(run_ids)


def test_async_runner_and_fresh_graph_shared_by_four_threads() -> None:
    @node(output_name="s")
    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    @node(output_name="p")
    def double(s: int) -> int:
        return 2 * s

    graph = Graph([double, add])
    runner = AsyncRunner()
    barrier = threading.Barrier(4, timeout=5)

    def work(t: int) -> list[tuple[int, RunResult]]:
        barrier.wait()

        async def main() -> list[tuple[int, RunResult]]:
            return [
                (t * 100 + i, await within(runner.run(graph, {"a": t * 100 + i, "b": 1})))
                for i in range(20)
            ]

        return asyncio.run(main())

    ids = []
    for per_thread in run_in_threads(4, work, join_timeout=30):
        for a, r in per_thread:
            assert r.values == {"s": a + 1, "p": 2 * (a + 1)}
            ids.append(r.run_id)
    assert len(set(ids)) == 80
    assert pool_threads() == []


# -- F10 / P12: SyncRunner inside a running event loop ---------------------------------------


async def test_sync_runner_runs_a_sync_graph_inside_a_running_loop() -> None:
    loop = asyncio.get_running_loop()
    here = threading.get_ident()
    seen: list[int] = []

    @node(output_name="y")
    def double(x: int) -> int:
        seen.append(threading.get_ident())
        return 2 * x

    @node(output_name="items")
    def count(y: int) -> Any:
        seen.append(threading.get_ident())
        yield from range(y)

    r = SyncRunner().run(Graph([double, count]), {"x": 2})
    assert r.status is RunStatus.COMPLETED
    assert (r["y"], r["items"]) == (4, [0, 1, 2, 3])
    assert seen == [here, here]  # plain calls in the caller's thread
    assert asyncio.get_running_loop() is loop
    results = SyncRunner().map(Graph([double]), {"x": [1, 2]}, map_over="x")
    assert [x["y"] for x in results] == [2, 4]


@pytest.mark.parametrize("method", ["run", "map"])
async def test_sync_runner_rejects_top_level_async_leaf_before_anything_runs(method: str) -> None:
    calls: list[str] = []

    @node(output_name="a")
    def first(x: int) -> int:
        calls.append("first")
        return x

    @node(output_name="b")
    async def fetch(a: int) -> int:
        calls.append("fetch")
        return a

    @node(output_name="c")
    async def embed(x: int) -> int:
        calls.append("embed")
        return x

    graph = Graph([first, fetch, embed])
    with pytest.raises(IncompatibleRunnerError) as info:
        if method == "run":
            SyncRunner().run(graph, {"x": 1})
        else:
            SyncRunner().map(graph, {"x": [1, 2]}, map_over="x")
    assert calls == []
    text = str(info.value)
    assert "fetch" in text
    assert "embed" in text
    assert "AsyncRunner" in text
    assert info.value.capability == "supports_async_nodes"
    assert info.value.node_name == "fetch"


async def test_sync_runner_rejects_async_nested_graph_with_explicit_sync_runner() -> None:
    calls: list[str] = []

    @node(output_name="y")
    async def inner_async(x: int) -> int:
        calls.append("inner")
        return x

    @node(output_name="z")
    def outer_sync(x: int) -> int:
        calls.append("outer")
        return x

    graph = Graph([outer_sync, Graph([inner_async], name="rag").as_node(runner=SyncRunner())])
    for runner in (SyncRunner(), AsyncRunner()):
        with pytest.raises(IncompatibleRunnerError) as info:
            r = runner.run(graph, {"x": 1})
            if isinstance(runner, AsyncRunner):
                await within(r)
        assert "rag.inner_async" in str(info.value)
    assert calls == []


def cross_runner_graph(seen: dict[str, set[int]]) -> Graph:
    """A sync parent with an async nested graph (no override: delegated, NEST-03 step 3)."""
    lock = threading.Lock()

    def mark(key: str) -> None:
        with lock:
            seen.setdefault(key, set()).add(threading.get_ident())

    @node(output_name="a")
    def prepare(x: int) -> int:
        mark("outer")
        return x + 1

    @node(output_name="b")
    async def fetch(a: int) -> int:
        mark("inner_async")
        await asyncio.sleep(0)
        return a * 10

    @node(output_name="c")
    def post(b: int) -> int:
        mark("inner_sync")
        return b + 5

    @node(output_name="d")
    async def side(a: int) -> int:
        mark("inner_async")
        return -a

    @node(output_name="e")
    def finish(c: int, d: int) -> int:
        mark("outer")
        return c + d

    inner = Graph([fetch, post, side], name="inner")
    return Graph([prepare, inner.as_node(), finish])


async def test_sync_runner_async_nested_graph_inside_running_loop_uses_helper_thread() -> None:
    here = threading.get_ident()
    seen: dict[str, set[int]] = {}
    graph = cross_runner_graph(seen)
    r = SyncRunner().run(graph, {"x": 2})
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["a"], r["b"], r["c"], r["d"], r["e"]) == (3, 30, 35, -3, 32)
    assert r["inner"].status is RunStatus.COMPLETED
    assert seen["outer"] == {here}
    assert here not in seen["inner_async"]  # a helper thread ran the private loop
    assert here not in seen["inner_sync"]
    assert pool_threads() == []  # the helper and its pool are gone
    # agrees with AsyncRunner on the same graph
    reference = await within(AsyncRunner().run(graph, {"x": 2}))
    assert flat(r) == flat(reference)
    assert r["inner"].values == reference["inner"].values


async def test_sync_runner_mapped_async_nested_graph_inside_running_loop() -> None:
    here = threading.get_ident()
    seen: list[int] = []

    @node(output_name="y")
    async def double(x: int) -> int:
        seen.append(threading.get_ident())
        await asyncio.sleep(0)
        return 2 * x

    graph = Graph([Graph([double], name="inner").as_node().map_over("x")])
    r = SyncRunner().run(graph, {"x": [1, 2, 3]})
    assert r["y"] == [2, 4, 6]
    assert len(r["inner"]) == 3
    assert len(seen) == 3
    assert here not in seen
    reference = await within(AsyncRunner().run(graph, {"x": [1, 2, 3]}))
    assert flat(r) == flat(reference)


async def test_sync_runner_async_nested_failure_keeps_identity_inside_running_loop() -> None:
    errors: list[ValueError] = []

    @node(output_name="y")
    async def explode(x: int) -> int:
        errors.append(ValueError("inner failed"))
        raise errors[-1]

    graph = Graph([Graph([explode], name="inner").as_node()])
    r = SyncRunner().run(graph, {"x": 1})
    assert r.status is RunStatus.FAILED
    assert r.error is errors[0]
    assert r.failed_node == "inner.explode"
    assert r["inner"].error is errors[0]
    with pytest.raises(ValueError) as info:
        SyncRunner().run(graph, {"x": 1}, error_handling="raise")
    assert info.value is errors[1]
    [note] = [n for n in errors[1].__notes__ if n.startswith("hypergraph:")]
    assert "'inner.explode'" in note
    assert pool_threads() == []


def test_sync_runner_async_nested_graph_from_plain_sync_code() -> None:
    """With no loop running in this thread, the private loop runs here (asyncio.run)."""
    here = threading.get_ident()
    seen: dict[str, set[int]] = {}
    graph = cross_runner_graph(seen)
    r = SyncRunner().run(graph, {"x": 2})
    assert r.status is RunStatus.COMPLETED, r.error
    assert (r["a"], r["b"], r["c"], r["d"], r["e"]) == (3, 30, 35, -3, 32)
    assert seen["outer"] == {here}
    assert seen["inner_async"] == {here}
    assert here not in seen["inner_sync"]  # the private AsyncRunner's pool
    reference = asyncio.run(AsyncRunner().run(graph, {"x": 2}))
    assert flat(r) == flat(reference)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()  # nothing left running here
    assert pool_threads() == []


def test_sync_runner_cross_runner_graph_shared_by_threads() -> None:
    """Four threads each drive the async nested graph on their own private loop (C8)."""
    seen: dict[str, set[int]] = {}
    graph = cross_runner_graph(seen)
    runner = SyncRunner()
    barrier = threading.Barrier(4, timeout=5)

    def work(t: int) -> list[int]:
        barrier.wait()
        return [runner.run(graph, {"x": t * 10 + i})["e"] for i in range(10)]

    for t, values in enumerate(run_in_threads(4, work, join_timeout=30)):
        assert values == [(x + 1) * 10 + 5 - (x + 1) for x in range(t * 10, t * 10 + 10)]
    assert len(seen["inner_async"]) == 4  # asyncio.run in each calling thread
    assert pool_threads() == []


def test_sync_runner_inside_loop_in_another_thread() -> None:
    """A loop running in another thread does not matter: only this thread's loop counts."""
    started = threading.Event()
    stop = threading.Event()

    def loop_thread() -> None:
        async def main() -> None:
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.001)

        asyncio.run(main())

    t = threading.Thread(target=loop_thread, name="test-loop")
    t.start()
    try:
        assert started.wait(5)
        here = threading.get_ident()
        seen: dict[str, set[int]] = {}
        r = SyncRunner().run(cross_runner_graph(seen), {"x": 2})
        assert r["e"] == 32
        assert seen["inner_async"] == {here}
    finally:
        stop.set()
        t.join(5)


async def test_async_runner_from_sync_code_needs_no_hidden_loop() -> None:
    """F11: run() is a coroutine; validation errors surface at the await, before any node."""
    calls: list[int] = []

    @node(output_name="y")
    async def leaf(x: int) -> int:
        calls.append(x)
        return x

    coro = AsyncRunner().run(Graph([leaf]), {"nope": 1})
    assert asyncio.iscoroutine(coro)
    with pytest.raises(InvalidInputError) as info:
        await within(coro)
    assert "x" in str(info.value)
    assert calls == []
