"""The client's memory beyond the results does not grow with the item count: at most
``max_in_flight`` chunks are outstanding (the throughput lives in scripts/bench)."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest

from executor_graphs import pipeline
from hypergraph_runners import SyncRunner

MIB = 2**20


def beyond_results(runner: Any, n: int) -> float:
    """Peak traced memory of one map minus what it still holds at the end (its results)."""
    graph, xs = pipeline(), list(range(n))
    gc.collect()
    tracemalloc.start()
    try:
        results = runner.map(graph, {"x": xs, "k": 2}, map_over="x")
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == n
    return (peak - held) / MIB


@pytest.mark.parametrize("name", ["thread_pool", "dask_client"])
def test_memory_beyond_the_results_is_flat(name: str, request: pytest.FixtureRequest) -> None:
    runner = SyncRunner(executor=request.getfixturevalue(name))
    small, big = beyond_results(runner, 2_000), beyond_results(runner, 20_000)
    assert big < 16, big  # the results of 20k items alone are ~10 MiB: not held twice
    assert big < 3 * small + 4, (small, big)
