"""``cache=True`` while the runner has no cache: one warning per graph per runner, saying so."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner


@node(output_name="y", cache=True)
def cached(x: int) -> int:
    return x + 1


@node(output_name="z")
def plain(y: int) -> int:
    return y * 2


def call(runner, method: str, graph: Graph):
    if method == "run":
        result = runner.run(graph, {"x": 1})
    else:
        result = runner.map(graph, {"x": [1, 2]}, map_over="x")
    return asyncio.run(result) if isinstance(runner, AsyncRunner) else result


def cache_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "cache=True" in str(w.message)]


@pytest.mark.parametrize("method", ["run", "map"])
@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_one_warning_per_graph_per_runner(runner_cls, method) -> None:
    graph = Graph([cached, plain])
    runner = runner_cls()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            call(runner, method, graph)
    texts = cache_warnings(caught)
    assert len(texts) == 1, texts
    text = texts[0]
    name = runner_cls.__name__
    assert f"cache=True on 'cached' has no effect: caching is not configured on this {name}" in text
    assert "How to fix:" in text
    assert all(w.category is UserWarning for w in caught)

    # Another runner, or another graph, is told again, once.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(runner_cls(), method, graph)
        call(runner, method, Graph([cached]))
        call(runner, method, graph)
    assert len(cache_warnings(caught)) == 2


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_cached_node_inside_a_nested_graph_is_named_by_path(runner_cls) -> None:
    outer = Graph([Graph([cached], name="inner").as_node(), plain])
    with pytest.warns(UserWarning, match=r"cache=True on 'inner/cached' has no effect"):
        result = call(runner_cls(), "run", outer)
    assert result["z"] == 4


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_no_warning_without_cached_nodes(runner_cls) -> None:
    # filterwarnings=error makes any warning fail this test.
    assert call(runner_cls(), "run", Graph([plain.with_inputs(y="x")]))["z"] == 2
