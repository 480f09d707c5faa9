"""Cycles, fixed points and the ``max_iterations`` budget (SPEC §4.5, ERR-05, RELIABILITY F12)."""

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_types import (
    HypergraphError,
    InfiniteLoopError,
    InvalidInputError,
    RunStatus,
)


def step_graph(calls: list[str], limit: int = 3) -> Graph:
    @node(output_name="count")
    def step(count, limit=limit):
        calls.append("step")
        return count + 1 if count < limit else count

    return Graph([step])


def forever_graph(calls: list[str]) -> Graph:
    @node(output_name="count")
    def tick(count):
        calls.append("tick")
        return count + 1

    return Graph([tick])


# -- fixed point -----------------------------------------------------------------------------


def test_step_reaches_its_fixed_point_after_four_runs(run, calls):
    graph = step_graph(calls)
    assert graph.inputs.seeds == ("count",)
    result = run(graph, {"count": 0})
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 3
    assert calls == ["step"] * 4


def test_cycle_ends_when_an_iteration_writes_equal_values(run):
    seen = []

    @node(output_name="v")
    def settle(v):
        seen.append(v)
        return float(min(v + 1, 2))  # 2 == 2.0: an equal, not identical, value ends the loop

    result = run(Graph([settle]), {"v": 0})
    assert seen == [0, 1.0, 2.0]
    assert result["v"] == 2.0


def test_seed_already_at_fixed_point_runs_once(run, calls):
    result = run(step_graph(calls), {"count": 3})
    assert result["count"] == 3
    assert calls == ["step"]


# -- the exact budget boundary ---------------------------------------------------------------


def test_completes_with_exactly_enough_iterations(run, calls):
    result = run(step_graph(calls), {"count": 0}, max_iterations=4)
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 3
    assert calls == ["step"] * 4


def test_one_iteration_short_fails_with_infinite_loop_error(run, calls):
    result = run(step_graph(calls), {"count": 0}, max_iterations=3)
    assert result.status is RunStatus.FAILED
    err = result.error
    assert isinstance(err, InfiniteLoopError)
    assert isinstance(err, HypergraphError) and isinstance(err, RuntimeError)
    assert err.max_iterations == 3
    assert err.nodes == ("step",)
    assert "max_iterations=3" in str(err)
    assert "step" in str(err)
    assert calls == ["step"] * 3
    # The latest completed outputs are kept; a top-level loop error names no node.
    assert result.values == {"count": 3}
    assert result.failed_node is None


def test_infinite_loop_error_carries_one_note(run, calls):
    result = run(forever_graph(calls), {"count": 0}, max_iterations=5)
    notes = getattr(result.error, "__notes__", [])
    assert len(notes) == 1
    assert notes[0].startswith("hypergraph:")


def test_default_budget_is_1000(run):
    calls: list[str] = []
    ok = run(step_graph(calls, limit=999), {"count": 0})
    assert ok.status is RunStatus.COMPLETED
    assert ok["count"] == 999
    assert len(calls) == 1000

    calls.clear()
    failed = run(step_graph(calls, limit=1000), {"count": 0})
    assert isinstance(failed.error, InfiniteLoopError)
    assert failed.error.max_iterations == 1000
    assert len(calls) == 1000


def test_non_converging_loop_runs_exactly_max_iterations_times(run, calls):
    result = run(forever_graph(calls), {"count": 0}, max_iterations=7)
    assert isinstance(result.error, InfiniteLoopError)
    assert calls == ["tick"] * 7
    assert result["count"] == 7


def test_infinite_loop_error_is_raised_under_raise_mode(run, calls):
    with pytest.raises(InfiniteLoopError) as excinfo:
        run(forever_graph(calls), {"count": 0}, max_iterations=2, error_handling="raise")
    assert excinfo.value.max_iterations == 2
    assert excinfo.value.nodes == ("tick",)
    assert calls == ["tick"] * 2


def test_nodes_lists_every_cyclic_node_still_ready(run):
    @node(output_name="a")
    def ping(b):
        return b + 1

    @node(output_name="b")
    def pong(a):
        return a + 1

    result = run(Graph([ping, pong]), {"a": 0, "b": 0}, max_iterations=3)
    err = result.error
    assert isinstance(err, InfiniteLoopError)
    assert set(err.nodes) == {"ping", "pong"}
    assert "ping" in str(err) and "pong" in str(err)


# -- only cyclic supersteps count ------------------------------------------------------------


@pytest.mark.parametrize("max_iterations", [1, 2, 5])
def test_acyclic_graphs_deeper_than_the_budget_never_raise(run, max_iterations):
    calls: list[str] = []

    def make(i):
        def body(v):
            calls.append(f"n{i}")
            return v + 1

        src = "x" if i == 0 else f"v{i - 1}"
        return FunctionNode(body, name=f"n{i}", output_name=f"v{i}").with_inputs(v=src)

    graph = Graph([make(i) for i in range(12)])
    assert not graph.has_cycles
    result = run(graph, {"x": 0}, max_iterations=max_iterations)
    assert result.status is RunStatus.COMPLETED
    assert result["v11"] == 12
    assert len(calls) == 12


def test_acyclic_supersteps_before_a_cycle_do_not_count(run):
    calls: list[str] = []

    @node(output_name="l1")
    def prep1(x):
        calls.append("prep1")
        return x + 1

    @node(output_name="l2")
    def prep2(l1):
        calls.append("prep2")
        return l1 + 1

    @node(output_name="limit")
    def prep3(l2):
        calls.append("prep3")
        return l2 + 1

    @node(output_name="count")
    def step(count, limit):
        calls.append("step")
        return count + 1 if count < limit else count

    graph = Graph([prep1, prep2, prep3, step])
    # x=0 -> limit=3: 3 acyclic supersteps, then 4 cyclic ones.
    result = run(graph, {"x": 0, "count": 0}, max_iterations=4)
    assert result.status is RunStatus.COMPLETED
    assert result["count"] == 3
    assert calls.count("step") == 4

    calls.clear()
    short = run(graph, {"x": 0, "count": 0}, max_iterations=3)
    assert isinstance(short.error, InfiniteLoopError)
    assert calls.count("step") == 3


def test_acyclic_consumer_of_a_cycle_shares_its_supersteps(run):
    seen = []

    @node(output_name="count")
    def step(count):
        return min(count + 1, 3)

    @node(output_name="doubled")
    def double(count):
        seen.append(count)
        return count * 2

    result = run(Graph([step, double]), {"count": 0}, max_iterations=4)
    assert result.status is RunStatus.COMPLETED
    assert result["doubled"] == 6
    assert seen[-1] == 3


# -- first superstep of a loop (§4.5 "Seeds and eager start") --------------------------------


def test_two_node_loop_both_nodes_run_in_the_first_superstep(run):
    log: list[tuple[str, int]] = []

    @node(output_name="a")
    def make_a(b):
        log.append(("make_a", b))
        return 1

    @node(output_name="b")
    def make_b(a):
        log.append(("make_b", a))
        return 1

    graph = Graph([make_a, make_b])
    assert set(graph.inputs.seeds) == {"a", "b"}
    result = run(graph, {"a": 100, "b": 200}, max_iterations=10)
    assert result.status is RunStatus.COMPLETED
    # The first call of each node consumed the supplied seed, not the other's output.
    first = {}
    for name, value in log:
        first.setdefault(name, value)
    assert first == {"make_a": 200, "make_b": 100}
    assert log[:2] in (
        [("make_a", 200), ("make_b", 100)],
        [("make_b", 100), ("make_a", 200)],
    )


def test_two_node_loop_with_budget_one_runs_both_once(run):
    log: list[str] = []

    @node(output_name="a")
    def make_a(b):
        log.append("make_a")
        return b + 1

    @node(output_name="b")
    def make_b(a):
        log.append("make_b")
        return a + 1

    result = run(Graph([make_a, make_b]), {"a": 0, "b": 0}, max_iterations=1)
    assert isinstance(result.error, InfiniteLoopError)
    assert sorted(log) == ["make_a", "make_b"]
    assert result.values == {"a": 1, "b": 1}


# -- max_iterations validation ---------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, -1000])
def test_max_iterations_below_one_is_invalid(run, calls, value):
    with pytest.raises(InvalidInputError) as excinfo:
        run(step_graph(calls), {"count": 0}, max_iterations=value)
    assert "max_iterations" in str(excinfo.value)
    assert str(value) in str(excinfo.value)
    assert calls == []


@pytest.mark.parametrize("value", [True, False, 1.5, 4.0, "4", [4]])
def test_max_iterations_of_wrong_type_is_type_error(run, calls, value):
    with pytest.raises(TypeError) as excinfo:
        run(step_graph(calls), {"count": 0}, max_iterations=value)
    assert not isinstance(excinfo.value, HypergraphError)
    assert "max_iterations" in str(excinfo.value)
    assert calls == []


def test_max_iterations_is_validated_for_acyclic_graphs_too(run):
    @node(output_name="y")
    def f(x):
        return x

    with pytest.raises(InvalidInputError):
        run(Graph([f]), {"x": 1}, max_iterations=0)


def test_max_iterations_none_is_the_default(run, calls):
    result = run(step_graph(calls), {"count": 0}, max_iterations=None)
    assert result["count"] == 3
