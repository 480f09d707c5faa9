"""The resume seam of the core (issue 14): ``commit`` deltas, ``fold`` and ``from_state``.

A checkpointer persists each superstep's ``Delta`` and, after a crash, rebuilds an execution
from the deltas it has. The property: for any graph and any crash point, folding the first k
deltas and going on with ``Execution.from_state`` runs exactly the executions the
uninterrupted run had after step k, and ends with the same values.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.shared.strategies import build, graph_specs, input_values

from hypergraph_graph import END, Graph, node, route
from hypergraph_runners import SyncRunner
from hypergraph_runners._context import Context
from hypergraph_runners._core import Delta, Execution, Scope, fold
from hypergraph_runners._inputs import prepare
from hypergraph_runners._leaf import run_sync_leaf
from hypergraph_runners._plan import plan_of

_RUNNER = SyncRunner()


def drive(ex: Execution) -> list[Delta]:
    """The sync driver's loop, keeping every commit's delta."""
    ctx = Context(ex.max_iterations)
    deltas = []
    while batch := ex.next_superstep():
        done = []
        for p in batch:
            kwargs, versions = ex.inputs_of(p)
            if p.leaf:
                outputs = run_sync_leaf(p, kwargs)
            else:
                outputs = _RUNNER._execute_graph_node(ctx, ex, p, kwargs)
            done.append((p, outputs, versions))
        delta = ex.commit(done)
        assert delta is not None
        deltas.append(delta)
    return deltas


def fresh(graph: Graph, values: dict[str, Any], *, general: bool = True) -> Execution:
    scope = Scope("", "run-0", None)
    return Execution(
        graph, plan_of(graph), prepare(graph, values), 100, scope, "run-0", record=True,
        general=general,
    )  # fmt: skip


def check_every_crash_point(graph: Graph, values: dict[str, Any]) -> None:
    whole = fresh(graph, values)
    deltas = drive(whole)
    plan = plan_of(graph)
    for k in range(len(deltas) + 1):
        resume = fold(plan, values, deltas[:k])
        ex = Execution.from_state(
            graph, plan, resume.state, prepare(graph, values), 100, Scope("", "run-1", None),
            "run-1", decisions=resume.decisions, unseen=resume.unseen,
            cycle_steps=resume.cycle_steps, step=resume.step, record=True,
        )  # fmt: skip
        rest = drive(ex)
        assert [d.executions for d in rest] == [d.executions for d in deltas[k:]], k
        assert ex.values == whole.values
        assert ex.state.versions == whole.state.versions


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@route(targets=["increment", END])
def again(count: int, limit: int) -> str:
    return "increment" if count < limit else END


@node(output_name="label")
def show(count: int) -> str:
    return f"n={count}"


@pytest.mark.parametrize("limit", [0, 1, 3, 6])
def test_a_gated_loop_resumes_from_every_superstep(limit: int) -> None:
    graph = Graph([increment, again, show])
    check_every_crash_point(graph, {"count": 0, "limit": limit})


@node(output_name="echo")
def ping(seed: int) -> int:
    return seed


@route(targets=["increment", "ping"], multi_target=True)
def both(count: int, limit: int) -> list[str]:
    return ["increment", "ping"] if count < limit else []


def test_a_target_decided_for_again_with_unchanged_inputs_runs_again_after_resume() -> None:
    """``ping``'s input never changes: only the gate's new decision makes it run again, which
    a resumed execution knows from ``unseen`` alone."""
    graph = Graph([increment, both, ping])
    check_every_crash_point(graph, {"count": 0, "limit": 3, "seed": 7})


@node(output_name="doubled")
def double(count: int) -> int:
    return 2 * count


def test_a_self_loop_with_a_consumer_resumes_from_every_superstep() -> None:
    @node(output_name="x")
    def halve(x: int) -> int:
        return x // 2

    @node(output_name="seen")
    def show(x: int) -> str:
        return f"x={x}"

    check_every_crash_point(Graph([halve, show]), {"x": 40})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_dags_resume_from_every_superstep(data: st.DataObject) -> None:
    spec = data.draw(graph_specs(sync_only=True))
    values = data.draw(input_values(spec))
    check_every_crash_point(build(spec), values)


def test_a_fixed_schedule_records_the_same_deltas_as_the_general_rules() -> None:
    @node(output_name="b")
    def one(a: int) -> int:
        return a + 1

    @node(output_name="c")
    def two(a: int, b: int) -> int:
        return a * b

    graph = Graph([one, two])
    fixed = fresh(graph, {"a": 3}, general=False)
    assert fixed.fixed
    general = fresh(graph, {"a": 3})
    assert not general.fixed
    assert drive(fixed) == drive(general)


def test_commit_builds_no_delta_unless_the_execution_records() -> None:
    graph = Graph([double])
    for general in (False, True):
        ex = Execution(
            graph, plan_of(graph), prepare(graph, {"count": 2}), 100, Scope("", "r", None), "r",
            general=general,
        )  # fmt: skip
        (p,) = ex.next_superstep()
        kwargs, versions = ex.inputs_of(p)
        assert ex.commit([(p, run_sync_leaf(p, kwargs), versions)]) is None
        assert ex.values["doubled"] == 4


def test_a_delta_names_what_changed() -> None:
    graph = Graph([increment, again, show])
    deltas = drive(fresh(graph, {"count": 0, "limit": 2}))
    first = deltas[0]
    assert first.step == 1
    assert {e.node_name for e in first.executions} == {"again", "show"}
    assert first.decisions == {"again": ("increment",)}
    assert first.written == {"label": 1}
    second = deltas[1]
    assert second.written == {"count": 2}
    (inc,) = second.executions
    assert inc.input_versions == {"count": 1} and inc.outputs == {"count": 1}
