"""``map`` memory is bounded: apart from the results, memory grows with the worker count, not
with the number of items (RELIABILITY P7, C4, §4.8 map soak rows).

tracemalloc measures the peak of traced memory during the call; the results the call returns
are still alive at the end, so ``peak - current`` is what the call needed beyond its results.
No time assertions: pytest-timeout is the backstop.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import RunResult, RunStatus

MiB = 1024 * 1024
BOUND = 16 * MiB
LIMIT = 16


def sync_graph() -> Graph:
    @node(output_name="a")
    def inc(x):
        return x + 1

    @node(output_name="b")
    def double(a):
        return 2 * a

    return Graph([inc, double])


def async_graph() -> Graph:
    @node(output_name="a")
    async def inc(x):
        await asyncio.sleep(0)
        return x + 1

    @node(output_name="b")
    async def double(a):
        return 2 * a

    return Graph([inc, double])


def run_map(kind: str, items: list[int]) -> list[RunResult]:
    if kind == "sync":
        return SyncRunner().map(sync_graph(), {"x": items}, map_over="x")
    graph = async_graph() if kind == "async-async" else sync_graph()
    return asyncio.run(AsyncRunner().map(graph, {"x": items}, map_over="x", max_concurrency=LIMIT))


def measure(kind: str, n: int) -> tuple[list[RunResult], int, int]:
    """Run the map under tracemalloc: (results, peak beyond the results, retained size)."""
    items = list(range(n))
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        results = run_map(kind, items)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return results, peak - current, current - before


def check(results: list[RunResult], n: int) -> None:
    assert len(results) == n
    assert all(r.status is RunStatus.COMPLETED for r in results[:: max(1, n // 100)])
    assert results[0].values == {"a": 1, "b": 2}
    assert results[-1].values == {"a": n, "b": 2 * n}


@pytest.mark.parametrize("kind", ["sync", "async-def", "async-async"])
def test_map_of_10k_items_needs_bounded_memory_beyond_its_results(kind) -> None:
    n = 10_000
    results, beyond, retained = measure(kind, n)
    check(results, n)
    assert beyond < BOUND, f"{beyond / MiB:.1f} MiB beyond the results"
    # The results themselves are retained (sanity check that the measurement sees them).
    assert retained > 0


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["sync", "async-def", "async-async"])
def test_map_of_100k_items_needs_bounded_memory_beyond_its_results(kind) -> None:
    n = 100_000
    results, beyond, retained = measure(kind, n)
    check(results, n)
    assert beyond < BOUND, f"{beyond / MiB:.1f} MiB beyond the results"
    assert retained > 0
