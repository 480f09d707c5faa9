"""AsyncRunner's thread pool starts a thread only when every thread it has is busy: a chain of
``def`` nodes runs on one thread on every Python version (3.12's ThreadPoolExecutor started one
per hop, up to 32), while independent ``def`` nodes still run side by side."""

from __future__ import annotations

import asyncio
import threading

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


def test_a_burst_of_def_nodes_does_not_make_the_loop_start_their_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twenty blocking ``def`` nodes made ready together get twenty threads, but the event loop
    starts at most two of them (the first worker and the pool's helper): ``Thread.start()``
    waits until the new thread runs, and the loop must not stand still for each one."""
    width = 20
    barrier = threading.Barrier(width, timeout=30)  # breaks unless all twenty run at once
    starters: list[str] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        starters.append(threading.current_thread().name)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)

    def wait(i: int):  # type: ignore[no-untyped-def]
        @node(output_name=f"y{i}")
        def waiter(x: int) -> int:
            barrier.wait()
            return x + i

        return waiter.with_name(f"w{i}")

    loop_thread: list[str] = []

    async def main() -> RunStatus:
        loop_thread.append(threading.current_thread().name)
        result = await AsyncRunner().run(Graph([wait(i) for i in range(width)]), {"x": 1})
        assert result.values == {f"y{i}": 1 + i for i in range(width)}
        return result.status

    assert asyncio.run(main()) is RunStatus.COMPLETED
    from_loop = [name for name in starters if name == loop_thread[0]]
    assert len(starters) >= width  # every waiter had a thread of its own
    assert len(from_loop) <= 2, starters
