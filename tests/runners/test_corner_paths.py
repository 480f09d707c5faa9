"""Corner paths of the fast schedules: each answer equals the general path's, never a raw error.

A fixed schedule (acyclic, gate-free graphs), the dataflow under ``AsyncRunner`` and ``once``
nodes are second ways to compute what the general superstep rules compute. These tests pin
the corners where the two used to differ: nested graphs that leave an output unwritten,
addresses that win over a parent's producer, partial addressed outputs, gates that choose each
other, lazy mapped values that raise, user runners, and ``def`` siblings settled after a failure.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from hypergraph_graph import END, Graph, node, route
from hypergraph_runners import AsyncRunner, BaseRunner, SyncRunner
from hypergraph_types import InvalidInputError, RunnerCapabilities, RunResult, RunStatus
from support import Calls, hypergraph_notes


def cyclic(graph_nodes: list[Any]) -> Graph:
    """The same nodes plus an unrelated self-loop, which forces the general path."""

    @node(output_name="spin")
    def spinner(spin: int) -> int:
        return min(spin + 1, 3)

    return Graph([*graph_nodes, spinner])


def plain(result: RunResult) -> dict[str, Any]:
    """Values without nested results (their run ids differ between runs) and the spinner."""
    return {
        k: v
        for k, v in result.values.items()
        if not isinstance(v, RunResult) and not _results(v) and k != "spin"
    }


def _results(v: Any) -> bool:
    return isinstance(v, list) and any(isinstance(x, RunResult) for x in v)


# --- 1. A GraphNode output its nested run did not produce is absent ------------------------------


def ending_inner() -> Graph:
    @node(output_name="a")
    def fa(x: int) -> int:
        return x

    @route(targets=["fb", END])
    def decide(a: int) -> object:
        return END if a < 10 else "fb"

    @node(output_name="b")
    def fb(a: int) -> int:
        return a + 1

    return Graph([fa, decide, fb], name="inner")


@pytest.mark.parametrize("error_handling", ["continue", "raise"])
def test_an_output_the_nested_run_left_unwritten_is_absent(run, error_handling) -> None:
    calls = Calls()

    @node(output_name="c")
    def fc(b: int) -> int:
        calls.add("fc")
        return b * 10

    @node(output_name="d")
    def fd(c: int) -> int:
        calls.add("fd")
        return c

    nodes = [ending_inner().as_node(), fc, fd]
    r = run(Graph(nodes), {"x": 1}, error_handling=error_handling)
    assert r.status is RunStatus.COMPLETED
    assert "b" not in r and "c" not in r and "d" not in r
    assert r["a"] == 1
    assert r["inner"].status is RunStatus.COMPLETED
    assert len(calls) == 0
    general = run(cyclic(nodes), {"x": 1, "spin": 0}, error_handling=error_handling)
    assert general.status is RunStatus.COMPLETED
    assert plain(general) == plain(r)
    # When the nested gate does choose fb, the same graph runs to the end.
    assert run(Graph(nodes), {"x": 12})["d"] == 130


def test_a_consumer_with_a_default_still_waits_for_a_produced_name(run) -> None:
    @node(output_name="c")
    def fc(b: int = 5) -> int:
        return b * 10

    @node(output_name="e")
    def independent(x: int) -> int:
        return -x

    nodes = [ending_inner().as_node(), fc, independent]
    r = run(Graph(nodes), {"x": 1})
    general = run(cyclic(nodes), {"x": 1, "spin": 0})
    # A default never applies to a name some node produces: fc does not run either way.
    assert "c" not in r and "c" not in general
    assert r["e"] == general["e"] == -1


class LosesItsOutput(BaseRunner):
    """A user runner whose completed result lacks every value."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities()

    def run(self, graph, values=None, **kwargs):
        result = SyncRunner().run(graph, values, **kwargs)
        result.values.clear()
        return result

    def map(self, graph, values=None, **kwargs):
        raise AssertionError("not used")


def test_a_user_runners_result_without_an_output_leaves_it_absent(run) -> None:
    @node(output_name="y")
    def double(x: int) -> int:
        return 2 * x

    @node(output_name="z")
    def after(y: int) -> int:
        return y + 1

    inner = Graph([double], name="inner").as_node(runner=LosesItsOutput())
    r = run(Graph([inner, after]), {"x": 1})
    assert r.status is RunStatus.COMPLETED
    assert "y" not in r and "z" not in r


# --- 2. An address wins over a parent's producer of the same port --------------------------------


@node(output_name="q")
def make_q(x: int) -> int:
    return x + 1


@node(output_name="qs")
def make_qs(x: int) -> list[int]:
    return [x, x]


def test_an_address_wins_over_the_parents_producer(run) -> None:
    @node(output_name="r")
    def use_q(q: int) -> int:
        return q * 2

    outer = Graph([make_q, Graph([use_q], name="inner").as_node()])
    r = run(outer, {"x": 1, "inner.q": 100})
    assert r.status is RunStatus.COMPLETED
    assert r["r"] == 200
    assert r["q"] == 2  # the parent's producer still runs; its value is not used by inner


def test_an_address_wins_with_other_free_inputs(run) -> None:
    @node(output_name="r")
    def use_q(q: int, z: int = 0) -> int:
        return q * 2 + z

    outer = Graph([make_q, Graph([use_q], name="inner").as_node()])
    assert run(outer, {"x": 1, "inner.q": 100})["r"] == 200
    assert run(outer, {"x": 1, "z": 1, "inner.q": 100})["r"] == 201


def test_an_address_replaces_the_mapped_sequence(run) -> None:
    @node(output_name="r")
    def use_q(q: int) -> int:
        return q * 2

    gn = Graph([use_q], name="inner").as_node().with_inputs(q="qs").map_over("qs")
    r = run(Graph([make_qs, gn]), {"x": 1, "inner.q": [5, 6, 7]})
    assert r.status is RunStatus.COMPLETED
    assert r["r"] == [10, 12, 14]
    assert r["qs"] == [1, 1]


# --- 3. An address covering only some outputs of an inner node -----------------------------------


@node(output_name=("m", "n"))
def split_mn(x: int) -> tuple[int, int]:
    return x, x


def test_an_address_covering_some_outputs_of_an_inner_node_is_rejected(run) -> None:
    calls = Calls()

    @node(output_name="o")
    def use_mn(m: int, n: int) -> int:
        calls.add("use_mn")
        return m + n

    inner = Graph([split_mn, use_mn], name="inner")
    with pytest.raises(InvalidInputError) as top:
        run(inner, {"x": 1, "m": 5})
    with pytest.raises(InvalidInputError) as nested:
        run(Graph([inner.as_node()]), {"x": 1, "inner.m": 5})
    deeper = Graph([Graph([inner.as_node()], name="mid").as_node()])
    with pytest.raises(InvalidInputError) as deep:
        run(deeper, {"x": 1, "mid.inner.m": 5})
    assert "only some outputs of node 'split_mn'" in str(top.value)
    assert "only some outputs of node 'inner.split_mn'" in str(nested.value)
    assert "only some outputs of node 'mid.inner.split_mn'" in str(deep.value)
    assert "How to fix" in str(nested.value)
    assert len(calls) == 0
    # Every output given: the inner node is skipped, as at the top level.
    r = run(Graph([inner.as_node()]), {"x": 1, "inner.m": 5, "inner.n": 6})
    assert r["o"] == 11


# --- 4. Gates that choose each other -------------------------------------------------------------


def mutual_gates(log: Calls, with_unrelated: bool) -> Graph:
    """S starts A and B; A and B then choose each other, both ready in one superstep with S.

    ``n`` changes every second superstep (``tick`` flips ``phase`` in between), so S runs
    again exactly when A and B are ready because of each other's decisions: the case where "a
    gate that runs loses its decision" and "a target waits for its gate" contradict each other.
    """

    @node(output_name=("n", "phase"))
    def tick(n: int, phase: int) -> tuple[int, int]:
        if n >= 8:
            return n, phase  # converged
        return (n + 1 if phase else n), 1 - phase

    @route(targets=["A", "B", END], multi_target=True)
    def S(n: int) -> object:
        log.add(f"S{n}")
        return ["A", "B"] if n == 0 else []

    @route(targets=["B", END])
    def A(n: int) -> object:
        log.add(f"A{n}")
        return "B" if n < 4 else END

    @route(targets=["A", END])
    def B(n: int) -> object:
        log.add(f"B{n}")
        return "A" if n < 4 else END

    nodes = [tick, S, A, B]
    if with_unrelated:

        @node(output_name="k")
        def unrelated(k: int) -> int:
            return min(k + 1, 6)

        nodes.append(unrelated)
    return Graph(nodes)


def test_which_gates_run_never_depends_on_unrelated_ready_nodes(run) -> None:
    alone, beside = Calls(), Calls()
    r1 = run(mutual_gates(alone, False), {"n": 0, "phase": 0})
    r2 = run(mutual_gates(beside, True), {"n": 0, "phase": 0, "k": 0})
    assert r1.status is r2.status is RunStatus.COMPLETED
    assert sorted(map(str, alone.items)) == sorted(map(str, beside.items))
    assert r1["n"] == r2["n"] == 8
    # In superstep 3, S re-runs while A and B are ready because of each other's decisions:
    # those decisions stand, so A and B run beside S (docs/spec-gates.md, "Gates choosing
    # gates").
    assert {"S1", "A1", "B1"} <= set(alone.items)


# --- 5. A lazy mapped value whose iteration raises ---------------------------------------------


class Exploding:
    """Looks like a sequence, but iterating it fails (a lazy dataset whose source is gone)."""

    def __len__(self) -> int:
        return 2

    def __iter__(self):
        raise ValueError("dataset unavailable")

    def __getitem__(self, i: int) -> int:
        raise ValueError("dataset unavailable")


def exploding_graph() -> Graph:
    @node(output_name="xs")
    def load(x: int) -> Any:
        return Exploding()

    @node(output_name="y")
    def ident(v: int) -> int:
        return v

    gn = Graph([ident], name="inner").as_node().with_inputs(v="xs").map_over("xs")
    return Graph([load, gn])


def test_a_mapped_value_whose_iteration_raises_fails_the_graph_node(run) -> None:
    r = run(exploding_graph(), {"x": 1})
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, ValueError)
    assert r.failed_node == "inner"
    assert any("'inner'" in n for n in hypergraph_notes(r.error))
    assert "xs" in r.values


def test_a_mapped_value_whose_iteration_raises_is_reraised_with_its_note(run) -> None:
    with pytest.raises(ValueError, match="dataset unavailable") as info:
        run(exploding_graph(), {"x": 1}, error_handling="raise")
    assert len(hypergraph_notes(info.value)) == 1


# --- 10. User runners: max_iterations and full failure paths -------------------------------------


class PassesOptions(BaseRunner):
    """A user runner that records the options it was given and delegates to SyncRunner."""

    def __init__(self) -> None:
        self.options: list[dict[str, Any]] = []

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities()

    def run(self, graph, values=None, **kwargs):
        self.options.append(kwargs)
        return SyncRunner().run(graph, values, **kwargs)

    def map(self, graph, values=None, **kwargs):
        raise AssertionError("not used")


class BareFailure(PassesOptions):
    """A user runner that reports a failure without any note of ours."""

    def run(self, graph, values=None, **kwargs):
        self.options.append(kwargs)
        if values["v"] == 2:
            return RunResult({}, RunStatus.FAILED, error=KeyError("bad"), failed_node="f")
        return SyncRunner().run(graph, values, **kwargs)


@node(output_name="w")
def f(v: int) -> int:
    if v == 2:
        raise ValueError("two")
    return v


def test_a_user_runner_receives_the_callers_max_iterations(run) -> None:
    runner = PassesOptions()
    gn = Graph([f], name="inner").as_node(runner=runner)
    r = run(Graph([gn]), {"v": 1}, max_iterations=7)
    assert r["w"] == 1
    assert runner.options == [{"max_iterations": 7}]


@pytest.mark.parametrize("runner_class", [PassesOptions, BareFailure])
def test_a_user_runners_failure_names_the_full_path(run, runner_class) -> None:
    gn = Graph([f], name="inner").as_node(runner=runner_class()).with_inputs(v="vs")
    outer = Graph([gn.map_over("vs")], name="outer")
    r = run(outer, {"vs": [1, 2, 3]})
    assert r.status is RunStatus.FAILED
    assert r.failed_node == "inner[1].f"
    notes = hypergraph_notes(r.error)
    assert len(notes) == 1
    if runner_class is BareFailure:
        assert "'inner[1].f'" in notes[0]


# --- 13. A def sibling that finished in its thread keeps its outputs ------------------------------


def test_a_def_sibling_settled_after_a_failure_keeps_its_outputs() -> None:
    started = threading.Event()
    release = threading.Event()

    @node(output_name="slow_out")
    def slow(x: int) -> int:
        started.set()
        release.wait(10)
        return x + 1

    @node(output_name="bad_out")
    async def bad(x: int) -> int:
        await asyncio.to_thread(started.wait, 10)
        release.set()  # slow finishes normally, while the run is stopping
        raise RuntimeError("bad")

    for graph in (Graph([slow, bad]), cyclic([slow, bad])):  # dataflow and supersteps
        started.clear()
        release.clear()
        values = {"x": 1, "spin": 0} if "spin" in graph.inputs.all else {"x": 1}
        r = asyncio.run(AsyncRunner().run(graph, values))
        assert r.status is RunStatus.FAILED
        assert isinstance(r.error, RuntimeError)
        assert r.values.get("slow_out") == 2
