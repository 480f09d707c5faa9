"""Nodes renamed with the primary spellings run alike under both runners (issue 15)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import RunResult


def run(kind: str, graph: Graph, **values: Any) -> RunResult:
    if kind == "sync":
        return SyncRunner().run(graph, values)
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values), 30))


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_renamed_function_and_graph_nodes_run(kind: str) -> None:
    first = double.rename_inputs(x="amount").rename_outputs(y="doubled").with_name("first")
    inner = Graph([double], name="inner").as_node()
    second = inner.rename_inputs(x="doubled").rename_outputs(y="quadrupled").with_name("second")
    result = run(kind, Graph([first, second]), amount=3)
    assert result["doubled"] == 6
    assert result["quadrupled"] == 12
    assert result["second"]["y"] == 12  # the nested result keeps the inner names


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_old_and_new_spellings_give_the_same_run(kind: str) -> None:
    new = Graph([double.rename_inputs(x="a").rename_outputs(y="b")])
    old = Graph([double.with_inputs(x="a").with_outputs(y="b")])
    assert run(kind, new, a=5).values == run(kind, old, a=5).values == {"b": 10}
