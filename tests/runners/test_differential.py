"""Runner agreement on random DAGs against a reference interpreter, and metamorphic properties
(RELIABILITY §4.2 properties 1-4, §4.3; STYLE item 16).

Property tests are plain ``def`` tests that call ``asyncio.run()`` per example: a fresh loop each
time, and Hypothesis never meets pytest-asyncio.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
from collections import Counter
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from hypergraph_graph import Graph
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import IncompatibleRunnerError, RunResult, RunStatus

# The profile (dev / ci: 100, slow: 1000) scales every test; the heavier ones run fewer.
EXAMPLES = settings.default.max_examples
FEW = max(10, EXAMPLES // 3)
SOME = max(10, EXAMPLES // 2)

LIMITS = [None, 1, 2, 3]


def arun(graph, values, sync_nodes: str = "thread", **kwargs) -> RunResult:
    runner = AsyncRunner(sync_nodes=sync_nodes)
    return asyncio.run(asyncio.wait_for(runner.run(graph, values, **kwargs), 30))


def amap(graph, values, **kwargs) -> list[RunResult]:
    return asyncio.run(asyncio.wait_for(AsyncRunner().map(graph, values, **kwargs), 30))


def run_with(kind: str, graph, values, **kwargs) -> RunResult:
    if kind == "sync":
        return SyncRunner().run(graph, values, **kwargs)
    return arun(graph, values, **kwargs)


def map_with(kind: str, graph, values, **kwargs) -> list[RunResult]:
    if kind == "sync":
        return SyncRunner().map(graph, values, **kwargs)
    return amap(graph, values, **kwargs)


def flat(spec, result: RunResult) -> dict:
    """The result's values without the nested results stored under GraphNode names."""
    return {k: v for k, v in result.values.items() if k not in spec.graph_node_names}


def plain(value):
    """A RunResult as ``(status, values)`` with nested results converted the same way (their
    run ids differ from run to run)."""
    if isinstance(value, RunResult):
        return value.status, {k: plain(v) for k, v in value.values.items()}
    return value


def assert_no_pool_threads() -> None:
    """Per-example leak check: the call's pool is shut down before it returns (RUN-07)."""
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("hypergraph-")]
    assert not leaked, leaked


def runners_for(spec) -> list[str]:
    return ["sync", "async"] if spec.sync_runnable else ["async"]


@st.composite
def spec_and_values(draw, **spec_kwargs):
    spec = draw(S.graph_specs(**spec_kwargs))
    return spec, draw(S.input_values(spec))


# --- the reference itself ------------------------------------------------------------------------


def test_reference_on_a_hand_written_spec() -> None:
    """Pin the oracle: f0(x0) -> v0; f1(v0, x0) -> (v1a, v1b); f2 (gen, 3 items)(v1b) -> v2."""
    nodes = (
        S.NodeSpec(0, "def", ("x0",), ("v0",), 0, 0),
        S.NodeSpec(1, "async", ("v0", "x0"), ("v1a", "v1b"), 1, 2),
        S.NodeSpec(2, "gen", ("v1b",), ("v2",), 0, 3),
    )
    spec = S.GraphSpec(nodes)
    v0 = (1 * 5 + 0) % S.MOD
    v1a = (1 * v0 + 2 * 5 + 7) % S.MOD
    v2 = (1 * (v1a + 1) + 14) % S.MOD
    assert S.reference(spec, {"x0": 5}) == {
        "v0": v0,
        "v1a": v1a,
        "v1b": v1a + 1,
        "v2": [v2, v2 + 1, v2 + 2],
    }
    r = arun(S.build(spec), {"x0": 5})
    assert r.values == S.reference(spec, {"x0": 5})


def test_a_miswired_edge_changes_the_answer() -> None:
    """The position weights make the oracle sensitive to argument order."""
    a = S.GraphSpec((S.NodeSpec(0, "def", ("x0", "x1"), ("v0",), 0, 0),))
    b = S.GraphSpec((S.NodeSpec(0, "def", ("x1", "x0"), ("v0",), 0, 0),))
    values = {"x0": 1, "x1": 2}
    assert S.reference(a, values) != S.reference(b, values)


# --- property 1 and 2: both runners equal the reference -------------------------------------------


@settings(max_examples=EXAMPLES)
@given(spec_and_values())
def test_sync_runner_equals_the_reference(case) -> None:
    spec, values = case
    calls: list[str] = []
    graph = S.build(spec, calls)
    if not spec.sync_runnable:
        with pytest.raises(IncompatibleRunnerError):
            SyncRunner().run(graph, values)
        assert calls == []
        return
    result = SyncRunner().run(graph, values)
    assert result.status is RunStatus.COMPLETED, result.error
    assert flat(spec, result) == S.reference(spec, values)
    assert Counter(calls) == Counter(n.name for n in spec.nodes)  # each node exactly once
    again = SyncRunner().run(graph, values)  # a second run of the same graph agrees
    assert flat(spec, again) == flat(spec, result)
    assert_no_pool_threads()


@pytest.mark.parametrize("limit", LIMITS)
@settings(max_examples=SOME)
@given(case=spec_and_values(), sync_nodes=st.sampled_from(["thread", "inline"]))
def test_async_runner_equals_the_reference(limit, case, sync_nodes) -> None:
    spec, values = case
    calls: list[str] = []
    graph = S.build(spec, calls)
    result = arun(graph, values, max_concurrency=limit, sync_nodes=sync_nodes)
    assert result.status is RunStatus.COMPLETED, result.error
    assert flat(spec, result) == S.reference(spec, values)
    assert Counter(calls) == Counter(n.name for n in spec.nodes)
    holder = result
    for name in spec.graph_node_names:  # g0 in the top level, g1 inside g0, ...
        holder = holder.values[name]
        assert isinstance(holder, RunResult)
        assert holder.status is RunStatus.COMPLETED
    assert_no_pool_threads()


@pytest.mark.parametrize("schedule", ["fixed", "general"])
@pytest.mark.parametrize("limit", LIMITS)
@settings(max_examples=FEW)
@given(case=spec_and_values())
def test_async_runner_on_supersteps_equals_the_reference(limit, schedule, case) -> None:
    """The AsyncRunner's superstep loop (taken by cycles, gates and checkpointed runs), whose
    one-node ``def`` supersteps go on in one thread trip (``_chain.run_sync_steps``), against
    the reference: the dataflow is switched off, and with "general" the fixed schedule too."""
    import hypergraph_runners._async as driver
    from hypergraph_runners._core import Execution

    spec, values = case
    calls: list[str] = []
    graph = S.build(spec, calls)
    make = functools.partial(Execution, general=True) if schedule == "general" else Execution
    with (
        mock.patch.object(Execution, "dataflow", lambda self: None),
        mock.patch.object(driver, "Execution", make),
    ):
        result = arun(graph, values, max_concurrency=limit)
    assert result.status is RunStatus.COMPLETED, result.error
    assert flat(spec, result) == S.reference(spec, values)
    assert Counter(calls) == Counter(n.name for n in spec.nodes)
    assert_no_pool_threads()


# --- property 3: map is a list of runs ------------------------------------------------------------


@st.composite
def map_cases(draw, mode: str):
    spec = draw(S.graph_specs(max_nodes=6, needs_external=True))
    base = draw(S.input_values(spec))
    names = draw(st.lists(st.sampled_from(spec.externals), min_size=1, max_size=2, unique=True))
    element = st.integers(0, S.MOD - 1)
    if mode == "zip":
        n = draw(st.integers(0, 4))
        lists = {name: draw(st.lists(element, min_size=n, max_size=n)) for name in names}
    else:
        lists = {name: draw(st.lists(element, max_size=3)) for name in names}
    kind = draw(st.sampled_from(runners_for(spec)))
    return spec, {**base, **lists}, names, kind


def items_of(values: dict, names: list[str], mode: str) -> list[dict]:
    columns = [values[n] for n in names]
    combos = zip(*columns) if mode == "zip" else itertools.product(*columns)
    return [{**values, **dict(zip(names, combo))} for combo in combos]


@pytest.mark.parametrize("mode", ["zip", "product"])
@settings(max_examples=FEW)
@given(data=st.data())
def test_map_equals_a_list_of_runs(mode, data) -> None:
    spec, values, names, kind = data.draw(map_cases(mode))
    graph = S.build(spec)
    results = map_with(kind, graph, values, map_over=names, map_mode=mode)
    items = items_of(values, names, mode)
    assert len(results) == len(items)
    runs = [run_with(kind, graph, item) for item in items]
    for result, single, item in zip(results, runs, items):
        assert result.status is single.status is RunStatus.COMPLETED
        assert flat(spec, result) == flat(spec, single) == S.reference(spec, item)
    assert len({r.run_id for r in results}) == len(results)
    assert_no_pool_threads()


@settings(max_examples=FEW)
@given(data=st.data())
def test_map_over_a_one_item_list_equals_one_run(data) -> None:
    spec = data.draw(S.graph_specs(max_nodes=6, needs_external=True))
    values = data.draw(S.input_values(spec))
    name = data.draw(st.sampled_from(spec.externals))
    kind = data.draw(st.sampled_from(runners_for(spec)))
    graph = S.build(spec)
    (mapped,) = map_with(kind, graph, {**values, name: [values[name]]}, map_over=name)
    single = run_with(kind, graph, values)
    assert mapped.status is single.status
    assert flat(spec, mapped) == flat(spec, single) == S.reference(spec, values)


# --- metamorphic properties (§4.3) ----------------------------------------------------------------


@settings(max_examples=SOME)
@given(case=spec_and_values(), data=st.data())
def test_shuffling_the_node_list_changes_no_output(case, data) -> None:
    spec, values = case
    graph = S.build(spec)
    nodes = list(graph.nodes.values())
    shuffled_nodes = data.draw(st.permutations(nodes))
    shuffled = Graph(shuffled_nodes)
    kind = data.draw(st.sampled_from(runners_for(spec)))
    expected = S.reference(spec, values)
    assert flat(spec, run_with(kind, shuffled, values)) == expected
    assert flat(spec, run_with(kind, graph, values)) == expected


@settings(max_examples=SOME)
@given(data=st.data())
def test_wrapping_a_sub_dag_in_a_nested_graph_changes_no_output(data) -> None:
    spec = data.draw(S.graph_specs(min_depth=1))
    values = data.draw(S.input_values(spec))
    plain = spec.without_nesting()
    nested_graph, plain_graph = S.build(spec), S.build(plain)
    assert set(nested_graph.nodes) != set(plain_graph.nodes)
    limit = data.draw(st.sampled_from(LIMITS))
    nested_result = arun(nested_graph, values, max_concurrency=limit)
    plain_result = arun(plain_graph, values, max_concurrency=limit)
    assert flat(spec, nested_result) == plain_result.values == S.reference(spec, values)
    if spec.sync_runnable:
        assert flat(spec, SyncRunner().run(nested_graph, values)) == plain_result.values


@settings(max_examples=SOME)
@given(data=st.data())
def test_bind_then_run_without_equals_run_with(data) -> None:
    spec = data.draw(S.graph_specs(needs_external=True))
    values = data.draw(S.input_values(spec))
    names = data.draw(st.lists(st.sampled_from(spec.externals), min_size=1, unique=True))
    kind = data.draw(st.sampled_from(runners_for(spec)))
    graph = S.build(spec)
    bound = graph.bind(**{n: values[n] for n in names})
    rest = {k: v for k, v in values.items() if k not in names}
    with_values = run_with(kind, graph, values)
    with_binding = run_with(kind, bound, rest)
    assert with_binding.status is RunStatus.COMPLETED
    assert flat(spec, with_binding) == flat(spec, with_values) == S.reference(spec, values)


@settings(max_examples=SOME)
@given(data=st.data())
def test_select_returns_the_full_result_restricted_to_it(data) -> None:
    spec, values = data.draw(spec_and_values())
    candidates = [*spec.outputs, *spec.externals, *spec.graph_node_names[:1]]
    select = data.draw(st.lists(st.sampled_from(candidates), unique=True))
    kind = data.draw(st.sampled_from(runners_for(spec)))
    graph = S.build(spec)
    full = run_with(kind, graph, values)
    selected = run_with(kind, graph, values, select=select)
    assert list(selected.values) == select
    for name in select:
        if name in spec.graph_node_names:
            assert plain(selected.values[name]) == plain(full.values[name])
        elif name in spec.externals:
            assert selected.values[name] == values[name]
        else:
            assert selected.values[name] == full.values[name]
