"""Capability validation before any node runs (SPEC RUN-09, §6.5 row 2, NEST-03)."""

import asyncio
from typing import Any

import pytest

from hypergraph_graph import Graph, HyperNode, node
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import (
    HypergraphError,
    IncompatibleRunnerError,
    RunnerCapabilities,
    RunStatus,
)


class Custom(HyperNode):
    """A user node class the execution core cannot execute."""

    def __init__(self, name: str, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self._rename_history = []


class NoCycles(BaseRunner):
    """A runner whose capabilities lack cycles; it is only ever validated, never run."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities(supports_cycles=False, supports_async_nodes=True)

    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> Any:
        raise AssertionError("never called")

    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> Any:
        raise AssertionError("never called")


def mixed_graph(calls: list[str]) -> Graph:
    """A sync node first, then two async nodes (one an async generator)."""

    @node(output_name="s")
    def plain(x):
        calls.append("plain")
        return x

    @node(output_name="f")
    async def fetch(x):
        calls.append("fetch")
        return x

    @node(output_name="items")
    async def stream(s):
        calls.append("stream")
        yield s

    return Graph([plain, fetch, stream])


# -- async nodes under SyncRunner ------------------------------------------------------------


def test_async_nodes_under_sync_runner_are_incompatible(calls):
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        SyncRunner().run(mixed_graph(calls), {"x": 1})
    err = excinfo.value
    assert isinstance(err, HypergraphError) and isinstance(err, TypeError)
    text = str(err)
    assert "'fetch'" in text and "'stream'" in text
    assert "'plain'" not in text
    assert "AsyncRunner" in text
    assert err.node_name == "fetch"
    assert err.capability == "supports_async_nodes"
    assert calls == []


def test_async_nodes_under_sync_runner_map_are_incompatible(calls):
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        SyncRunner().map(mixed_graph(calls), {"x": [1, 2]}, map_over="x")
    assert excinfo.value.capability == "supports_async_nodes"
    assert calls == []


def test_incompatible_runner_is_raised_whatever_error_handling_says(calls):
    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(mixed_graph(calls), {"x": 1}, error_handling="continue")
    assert calls == []


def test_incompatible_runner_is_raised_before_missing_inputs(calls):
    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(mixed_graph(calls), {})


def test_async_runner_runs_the_same_graph(calls):
    result = asyncio.run(AsyncRunner().run(mixed_graph(calls), {"x": 1}))
    assert result.status is RunStatus.COMPLETED
    assert result.values == {"s": 1, "f": 1, "items": [1]}
    assert sorted(calls) == ["fetch", "plain", "stream"]


# -- node classes the core cannot execute ----------------------------------------------------


def test_user_subclass_of_hyper_node_is_incompatible(run, calls):
    @node(output_name="x")
    def pre(a):
        calls.append("pre")
        return a

    graph = Graph([pre, Custom("custom", ("x",), ("y",))])
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        run(graph, {"a": 1})
    err = excinfo.value
    assert err.capability == "node_type"
    assert err.node_name == "custom"
    assert "Custom" in str(err)
    assert calls == []


def test_user_node_class_inside_a_nested_graph_is_incompatible(run, calls):
    inner = Graph([Custom("custom", ("x",), ("y",))], name="inner")

    @node(output_name="x")
    def pre(a):
        calls.append("pre")
        return a

    with pytest.raises(IncompatibleRunnerError) as excinfo:
        run(Graph([pre, inner.as_node()]), {"a": 1})
    err = excinfo.value
    assert err.capability == "node_type"
    assert "Custom" in str(err)
    assert "inner" in str(err)
    assert calls == []


# -- explicit runner overrides (recursive check) ---------------------------------------------


def async_inner(calls: list[str], name: str = "inner") -> Graph:
    @node(output_name="y")
    async def fetch(x):
        calls.append("fetch")
        return x

    return Graph([fetch], name=name)


def test_graph_node_with_sync_runner_over_async_inner_graph_is_incompatible(run, calls):
    @node(output_name="x")
    def pre(a):
        calls.append("pre")
        return a

    gn = async_inner(calls).as_node(runner=SyncRunner())
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        run(Graph([pre, gn]), {"a": 1})
    err = excinfo.value
    assert err.capability == "supports_async_nodes"
    assert "inner" in str(err)
    assert err.node_name is not None and err.node_name.startswith("inner")
    assert calls == []


def test_deeper_override_is_named_by_its_full_path(run, calls):
    overridden = async_inner(calls).as_node(runner=SyncRunner())
    middle = Graph([overridden], name="middle")
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        run(Graph([middle.as_node()]), {"x": 1})
    err = excinfo.value
    assert "middle.inner" in str(err)
    assert err.node_name is not None and err.node_name.startswith("middle.inner")
    assert err.capability == "supports_async_nodes"
    assert calls == []


def test_override_runner_lacking_cycles_is_incompatible(run, calls):
    @node(output_name="count")
    def step(count):
        calls.append("step")
        return count

    inner = Graph([step], name="loop")
    with pytest.raises(IncompatibleRunnerError) as excinfo:
        run(Graph([inner.as_node(runner=NoCycles())]), {"count": 0})
    err = excinfo.value
    assert err.capability == "supports_cycles"
    assert "loop" in str(err)
    assert calls == []


def test_override_with_a_capable_runner_is_fine(run, calls):
    gn = async_inner(calls).as_node(runner=AsyncRunner())
    result = run(Graph([gn]), {"x": 5})
    assert result.status is RunStatus.COMPLETED
    assert result["y"] == 5


# -- delegation without an override is not an error ------------------------------------------


def test_nested_async_graph_without_override_runs_under_sync_runner(calls):
    @node(output_name="z")
    def post(y):
        calls.append("post")
        return y + 1

    outer = Graph([async_inner(calls).as_node(), post])
    assert outer.has_async_nodes
    result = SyncRunner().run(outer, {"x": 1})
    assert result.status is RunStatus.COMPLETED
    assert result["y"] == 1
    assert result["z"] == 2
    assert result["inner"].status is RunStatus.COMPLETED
    assert calls == ["fetch", "post"]


def test_deeply_nested_async_graph_without_override_runs_under_sync_runner(calls):
    middle = Graph([async_inner(calls).as_node()], name="middle")
    result = SyncRunner().run(Graph([middle.as_node()]), {"x": 3})
    assert result.status is RunStatus.COMPLETED
    assert result["y"] == 3
    assert calls == ["fetch"]
