"""A node's exception keeps its own ``__context__``: the runner never leaves one of its internal
exceptions there (issue 13 case 7), whichever runner runs the graph or its nested graphs.

Python sets ``__context__`` on any exception raised while another one is being handled, also
inside coroutines resumed from an ``except`` block; a runner that ran nodes from inside one of
its own handlers (e.g. a "no running event loop" probe) would leak that exception into every
failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import RunnerCapabilities, RunResult, RunStatus


class Failure(Exception):
    """The user's exception."""


@node(output_name="y")
def fail_plain(x: int) -> int:
    raise Failure(x)


@node(output_name="y")
async def fail_async(x: int) -> int:
    await asyncio.sleep(0)
    raise Failure(x)


@node(output_name="y")
async def fail_in_handler(x: int) -> int:
    try:
        {}[x]
    except KeyError:
        raise Failure(x)  # the user's own implicit context is the point
    return x


class ForeignAsync(BaseRunner):
    """A runner that is not built in and returns coroutines (delegated through ``run()``)."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return AsyncRunner().capabilities

    def run(self, graph: Graph, values: Any = None, **options: Any) -> Awaitable[RunResult]:
        return AsyncRunner().run(graph, values, **options)

    def map(self, graph: Graph, values: Any = None, **options: Any) -> Any:
        raise NotImplementedError


def nested(shape: str) -> Graph:
    """A graph whose failure happens in a nested graph run by another runner (or the same)."""
    inner_async = Graph([fail_async], name="inner")
    if shape == "flat":
        return Graph([fail_plain])
    if shape == "async nested":  # SyncRunner: an AsyncRunner on a private loop
        return Graph([inner_async.as_node()])
    if shape == "mapped async nested":
        return Graph([inner_async.as_node().map_over("x")])
    if shape == "sync runner nested":  # AsyncRunner: a SyncRunner in a worker thread
        return Graph([Graph([fail_plain], name="inner").as_node(runner=SyncRunner())])
    if shape == "async runner nested":
        return Graph([inner_async.as_node(runner=AsyncRunner())])
    if shape == "foreign async runner":
        return Graph([inner_async.as_node(runner=ForeignAsync())])
    assert shape == "two levels"  # SyncRunner -> AsyncRunner (private loop) -> SyncRunner
    deep = Graph([fail_plain], name="deep").as_node(runner=SyncRunner())
    return Graph([Graph([touch, deep], name="mid").as_node()])


@node(output_name="seen")
async def touch(x: int) -> int:
    return x


SHAPES = [
    "flat",
    "async nested",
    "mapped async nested",
    "sync runner nested",
    "async runner nested",
    "foreign async runner",
    "two levels",
]


def values_for(shape: str) -> dict[str, Any]:
    return {"x": [1, 2]} if shape.startswith("mapped") else {"x": 1}


def map_values(shape: str) -> dict[str, Any]:
    return {"x": [[1], [2]]} if shape.startswith("mapped") else {"x": [1, 2]}


@pytest.mark.parametrize("shape", SHAPES)
def test_failed_result_error_has_no_runner_context(run, shape: str) -> None:
    result = run(nested(shape), values_for(shape))
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, Failure)
    assert result.error.__context__ is None
    assert result.error.__cause__ is None


@pytest.mark.parametrize("shape", SHAPES)
def test_raised_error_has_no_runner_context(run, shape: str) -> None:
    with pytest.raises(Failure) as info:
        run(nested(shape), values_for(shape), error_handling="raise")
    assert info.value.__context__ is None


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["continue", "raise"])
def test_map_errors_have_no_runner_context(run_map, shape: str, mode: str) -> None:
    graph = nested(shape)
    if mode == "raise":
        with pytest.raises(Failure) as info:
            run_map(graph, map_values(shape), map_over="x", error_handling=mode)
        assert info.value.__context__ is None
        return
    results = run_map(graph, map_values(shape), map_over="x")
    assert [r.status for r in results] == [RunStatus.FAILED] * 2
    assert all(r.error.__context__ is None for r in results)


async def test_sync_runner_inside_a_running_loop_leaves_no_context() -> None:
    """The helper-thread path of SyncRunner (a loop runs in this thread, as in Jupyter)."""
    for shape in ("async nested", "mapped async nested", "foreign async runner"):
        result = SyncRunner().run(nested(shape), values_for(shape))
        assert isinstance(result.error, Failure)
        assert result.error.__context__ is None


def test_the_users_own_context_is_kept(runner_kind: str) -> None:
    graph = Graph([Graph([fail_in_handler], name="inner").as_node()])
    if runner_kind == "sync":
        result = SyncRunner().run(graph, {"x": 1})
    else:
        result = asyncio.run(AsyncRunner().run(graph, {"x": 1}))
    assert isinstance(result.error, Failure)
    assert isinstance(result.error.__context__, KeyError)
