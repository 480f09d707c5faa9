"""``runner.map`` returns a ``MapResult`` under both runners (issue 15)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import MapResult, RunFailedError, RunResult, RunStatus

RUNNERS = ["sync", "async"]


def run_map(kind: str, graph: Graph, values: Any = None, **kwargs: Any) -> MapResult:
    if kind == "sync":
        return SyncRunner().map(graph, values, **kwargs)
    return asyncio.run(asyncio.wait_for(AsyncRunner().map(graph, values, **kwargs), 30))


def fragile() -> Graph:
    """``y = 10 * x``, failing for negative ``x``; ``z = y + 1``."""

    @node(output_name="y")
    def scale(x: int) -> int:
        if x < 0:
            raise ValueError(f"negative: {x}")
        return 10 * x

    @node(output_name="z")
    def inc(y: int) -> int:
        return y + 1

    return Graph([scale, inc], name="fragile")


@pytest.mark.parametrize("kind", RUNNERS)
def test_all_items_completed(kind: str) -> None:
    mapped = run_map(kind, fragile(), {"x": [1, 2, 3]}, map_over="x")
    assert isinstance(mapped, MapResult)
    assert mapped.status is RunStatus.COMPLETED
    assert (mapped.completed, mapped.failed, mapped.failures) == (3, 0, ())
    assert mapped["y"] == [10, 20, 30]
    assert mapped["z"] == [11, 21, 31]
    assert mapped.summary() == "3 items: 3 completed, 0 failed"


@pytest.mark.parametrize("kind", RUNNERS)
def test_some_items_failed_is_partial(kind: str) -> None:
    mapped = run_map(kind, fragile(), {"x": [1, -2, 3, -4]}, map_over="x")
    assert mapped.status is RunStatus.PARTIAL
    assert (mapped.completed, mapped.failed) == (2, 2)
    assert mapped.failures == (mapped[1], mapped[3])
    assert all(r.failed and isinstance(r.failure, ValueError) for r in mapped.failures)
    assert mapped.summary() == (
        "4 items: 2 completed, 2 failed; first failure: item 1 at node 'scale': "
        "ValueError: negative: -2"
    )
    with pytest.raises(RunFailedError, match="item 1 of 4 has no 'z'") as info:
        mapped["z"]
    assert info.value.__cause__ is mapped[1].error


@pytest.mark.parametrize("kind", RUNNERS)
def test_every_item_failed_is_failed(kind: str) -> None:
    mapped = run_map(kind, fragile(), {"x": [-1, -2]}, map_over="x")
    assert mapped.status is RunStatus.FAILED
    assert mapped.failures == mapped.results


@pytest.mark.parametrize("kind", RUNNERS)
def test_empty_map_is_completed(kind: str) -> None:
    mapped = run_map(kind, fragile(), {"x": []}, map_over="x")
    assert mapped == [] and mapped.status is RunStatus.COMPLETED


@pytest.mark.parametrize("kind", RUNNERS)
def test_raise_mode_still_raises_the_first_failure(kind: str) -> None:
    with pytest.raises(ValueError, match="negative: -2"):
        run_map(kind, fragile(), {"x": [1, -2, 3]}, map_over="x", error_handling="raise")


@pytest.mark.parametrize("kind", RUNNERS)
def test_v13_style_code_keeps_working(kind: str) -> None:
    """What code written against the list-returning map() does with the result."""
    results = run_map(kind, fragile(), {"x": [1, -2]}, map_over="x")
    assert len(results) == 2
    assert results[0]["y"] == 10
    assert [r.status for r in results] == [RunStatus.COMPLETED, RunStatus.FAILED]
    assert results == [results[0], results[1]]
    assert results[:1] == [results[0]]
    ok = [r for r in results if r.status == RunStatus.COMPLETED]
    assert len(ok) == 1 and isinstance(ok[0], RunResult)
    assert sorted(results, key=lambda r: r.status.value) == [results[0], results[1]]
    combined = results + run_map(kind, fragile(), {"x": [3]}, map_over="x")
    assert [r.get("y") for r in combined] == [10, None, 30]
