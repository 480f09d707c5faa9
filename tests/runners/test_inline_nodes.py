"""``@node(..., inline=True)``: a ``def`` node that AsyncRunner calls on the loop thread.

The per-node counterpart of ``AsyncRunner(sync_nodes="inline")``: for small, fast functions
that would otherwise pay a thread trip each. Other ``def`` nodes of the same graph still go to
worker threads, and ``SyncRunner`` runs everything in the caller's thread as always.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner


def where_graph() -> Graph:
    @node(output_name="fast", inline=True)
    def quick(x: int) -> str:
        return threading.current_thread().name

    @node(output_name="slow")
    def threaded(x: int) -> str:
        return threading.current_thread().name

    return Graph([quick, threaded])


def test_an_inline_node_runs_on_the_loop_thread_and_others_in_workers() -> None:
    r = asyncio.run(AsyncRunner().run(where_graph(), {"x": 1}))
    assert r["fast"] == threading.current_thread().name  # asyncio.run runs the loop here
    assert r["slow"].startswith("hypergraph-")


def test_sync_runner_runs_inline_nodes_as_any_other() -> None:
    r = SyncRunner().run(where_graph(), {"x": 1})
    assert r["fast"] == r["slow"] == threading.current_thread().name


@pytest.mark.parametrize("limit", [None, 1])
def test_an_inline_node_in_a_cycle_and_under_a_limit(limit: int | None) -> None:
    @node(output_name="n", inline=True)
    def step(n: int) -> int:
        assert threading.current_thread() is threading.main_thread()
        return min(n + 1, 5)

    r = asyncio.run(AsyncRunner().run(Graph([step]), {"n": 0}, max_concurrency=limit))
    assert r["n"] == 5


def test_inline_survives_renames_and_copies() -> None:
    @node(output_name="y", inline=True)
    def f(x: int) -> int:
        return x

    assert f.inline is True
    assert f.rename_inputs(x="a").inline is True
    assert f.with_name("g").inline is True
    assert FunctionNode(f, output_name="y").inline is False  # a new node: its own options
    plain = node(lambda x: x, output_name="y")
    assert plain.inline is False
    assert f.definition_hash == node(f.func, output_name="y").definition_hash


def test_inline_is_only_for_def_nodes() -> None:
    async def coro(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="inline=True is for plain def nodes") as info:
        node(coro, output_name="y", inline=True)
    assert "How to fix" in str(info.value)
    with pytest.raises(TypeError, match="inline must be a bool"):
        node(lambda x: x, output_name="y", inline="yes")  # type: ignore[call-overload]
