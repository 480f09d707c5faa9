"""AsyncRunner's thread pool starts a thread only when every thread it has is busy, and past the
first only when its workers stall: a chain of ``def`` nodes runs on one thread on every Python
version (3.12's ThreadPoolExecutor started one per hop, up to 32), a burst of quick ``def``
nodes too, while independent ``def`` nodes that block still run side by side."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner
from hypergraph_types import RunStatus


def test_a_chain_of_def_nodes_reuses_one_thread() -> None:
    threads: set[int] = set()

    @node(output_name="count")
    def step(count: int, limit: int) -> int:
        threads.add(threading.get_ident())
        return count + 1 if count < limit else count

    result = asyncio.run(
        AsyncRunner().run(Graph([step]), {"count": 0, "limit": 300}, max_iterations=301)
    )
    assert result.status is RunStatus.COMPLETED, result.error
    assert result["count"] == 300
    assert len(threads) == 1


def test_independent_def_nodes_still_get_a_thread_each() -> None:
    width = 6
    barrier = threading.Barrier(width, timeout=30)  # breaks unless all six run at once

    def link(i: int):  # type: ignore[no-untyped-def]
        @node(output_name=f"v{i + 1}")
        def inc(v: int) -> int:
            return v + 1

        return inc.with_name(f"n{i}").with_inputs(v=f"v{i}")

    def wait(i: int):  # type: ignore[no-untyped-def]
        @node(output_name=f"y{i}")
        def waiter(v20: int) -> int:
            barrier.wait()
            return v20 + i

        return waiter.with_name(f"w{i}")

    # A serial phase first (one thread, idle credits left behind), then six at once.
    graph = Graph([link(i) for i in range(20)] + [wait(i) for i in range(width)])
    result = asyncio.run(AsyncRunner().run(graph, {"v0": 0}))
    assert result.status is RunStatus.COMPLETED, result.error
    assert [result[f"y{i}"] for i in range(width)] == [20 + i for i in range(width)]


def burst(width: int, body: Any) -> Graph:
    """``width`` async nodes that finish together, each followed by a ``def`` node."""

    def pair(i: int) -> list[Any]:
        @node(output_name=f"y{i}")
        async def io(x: int) -> int:
            await asyncio.sleep(0.01)
            return x

        @node(output_name=f"z{i}")
        def after(y: int) -> int:
            body()
            return y + i

        return [io.with_name(f"io{i}"), after.with_name(f"after{i}").with_inputs(y=f"y{i}")]

    return Graph([n for i in range(width) for n in pair(i)])


def test_a_burst_of_quick_def_nodes_is_served_by_the_threads_already_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twenty ``def`` nodes made ready together, each quick: no thread is started for them
    beyond the first (each start stops the loop, each extra thread contends for the GIL). The
    stall window is widened so that a loaded machine cannot make quick bodies look stalled;
    the pool before this rule started 3 to 6 threads here."""
    from hypergraph_runners._context import _Pool

    monkeypatch.setattr(_Pool, "STALL", 0.05)
    threads: set[str] = set()

    def quick() -> None:
        threads.add(threading.current_thread().name)

    result = asyncio.run(AsyncRunner().run(burst(20, quick), {"x": 1}))
    assert result.status is RunStatus.COMPLETED, result.error
    expected = {**{f"y{i}": 1 for i in range(20)}, **{f"z{i}": 1 + i for i in range(20)}}
    assert result.values == expected
    assert len(threads) == 1, threads


def test_a_burst_of_blocking_def_nodes_gets_a_thread_each() -> None:
    """Twenty ``def`` nodes made ready together that block until all twenty run at once: the
    pool sees its workers stall and adds a thread for each waiting body."""
    width = 20
    barrier = threading.Barrier(width, timeout=30)  # breaks unless all twenty run at once
    threads: set[str] = set()

    def blocking() -> None:
        threads.add(threading.current_thread().name)
        barrier.wait()

    result = asyncio.run(AsyncRunner().run(burst(width, blocking), {"x": 1}))
    assert result.status is RunStatus.COMPLETED, result.error
    assert len(threads) == width


def test_a_sync_caller_of_the_pool_gets_threads_at_once() -> None:
    """Outside an event loop there is no timer to wait on: threads start as submitted."""
    from hypergraph_runners._context import Threads

    threads = Threads(4, "hypergraph-test")
    barrier = threading.Barrier(4, timeout=30)
    try:
        futures = [threads.pool().submit(barrier.wait) for _ in range(4)]
        assert sorted(f.result(timeout=30) for f in futures) == [0, 1, 2, 3]
    finally:
        threads.shutdown()
