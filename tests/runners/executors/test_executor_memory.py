"""The client's memory beyond the results does not grow with the item count: at most
``max_in_flight`` chunks are outstanding (the throughput lives in scripts/bench)."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Any

import pytest

from executor_graphs import pipeline
from hypergraph_runners import AsyncRunner, SyncRunner

MIB = 2**20


def beyond_results(runner: Any, n: int) -> float:
    """Peak traced memory of one map minus what it still holds at the end (its results)."""
    graph, xs = pipeline(), list(range(n))
    gc.collect()
    tracemalloc.start()
    try:
        results = runner.map(graph, {"x": xs, "k": 2}, map_over="x")
        if isinstance(runner, AsyncRunner):
            results = asyncio.run(results)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == n
    return (peak - held) / MIB


@pytest.mark.parametrize("runner_kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("name", "chunksize"),
    [
        # One item per chunk: 20k chunks, of which only the window may be outstanding (an
        # unbounded window holds ~40 MiB of futures here; auto chunks are too few to show it).
        ("thread_pool", 1),
        ("dask_client", "auto"),
    ],
)
def test_memory_beyond_the_results_is_flat(
    name: str, chunksize: Any, runner_kind: str, request: pytest.FixtureRequest
) -> None:
    executor = request.getfixturevalue(name)
    kind = SyncRunner if runner_kind == "sync" else AsyncRunner
    runner = kind(executor=executor, chunksize=chunksize)
    small, big = beyond_results(runner, 2_000), beyond_results(runner, 20_000)
    assert big < 16, big  # the results of 20k items alone are ~10 MiB: not held twice
    assert big < 3 * small + 4, (small, big)
