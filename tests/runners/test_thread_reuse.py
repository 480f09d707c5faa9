"""AsyncRunner's thread pool starts a thread only when every thread it has is busy: a chain of
``def`` nodes runs on one thread on every Python version (3.12's ThreadPoolExecutor started one
per hop, up to 32), while independent ``def`` nodes still run side by side."""

from __future__ import annotations

import asyncio
import threading

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
