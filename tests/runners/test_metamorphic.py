"""Metamorphic property: an unrelated node never changes the values or the status of the rest.

Adding a self-loop (which turns a fixed schedule or the dataflow into general supersteps), an
extra node with its own free input, or an extra independent node to a graph must leave every
other value, every nested result and the status exactly as they were. The graphs are the
random DAGs of ``strategies`` (nested blocks included) plus the corners the fast paths used to
get wrong: a nested gate that may choose ``END`` (so a GraphNode output is sometimes absent and
its consumer never runs), an address to a nested input that a parent node also produces, and a
node that may fail.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
from hypergraph_graph import END, FunctionNode, Graph, HyperNode, node, route
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import IncompatibleRunnerError, RunResult, RunStatus

EXTRAS = ("loop", "free", "independent")


def _function(name: str, params: list[str], body: str) -> Any:
    ns: dict[str, Any] = {}
    exec(f"def {name}({', '.join(params)}):\n    {body}", ns)
    return ns[name]


def gated_block(link: str | None) -> list[HyperNode]:
    """A nested graph whose gate may END (``pa_out`` absent), and two consumers in the parent."""

    @route(targets=["pa", END])
    def gate(xa: int) -> object:
        return END if xa % 2 == 0 else "pa"

    @node(output_name="pa_out")
    def pa(xa: int) -> int:
        return xa + 1

    inner = Graph([gate, pa], name="ga")
    params = ["pa_out", *([link] if link else [])]
    body = f"return (pa_out * 3 + {'strategies.as_number(' + link + ')' if link else '0'}) % 97"
    ca = FunctionNode(_function("ca", params, body), output_name="ca_out")
    ca.func.__globals__["strategies"] = strategies
    da = FunctionNode(_function("da", ["ca_out"], "return ca_out + 1"), output_name="da_out")
    return [inner.as_node(), ca, da]


def failing(link: str, when: int) -> HyperNode:
    """A node that fails when its input hits ``when`` (mod 5)."""
    body = (
        f"v = strategies.as_number({link})\n"
        f"    if v % 5 == {when}:\n"
        "        raise ValueError(f'boom {v}')\n"
        "    return v"
    )
    f = FunctionNode(_function("boom", [link], body), output_name="boom_out")
    f.func.__globals__["strategies"] = strategies
    return f


def extra(kind: str) -> HyperNode:
    if kind == "loop":
        return FunctionNode(
            _function("spin", ["spin"], "return min(spin + 1, 3)"), output_name="spin"
        )
    if kind == "free":
        return FunctionNode(_function("freebie", ["xf"], "return xf * 2"), output_name="yf")
    return FunctionNode(_function("alone", [], "return 42"), output_name="yi")


EXTRA_VALUES = {"loop": {"spin": 0}, "free": {"xf": 5}, "independent": {}}
EXTRA_NAMES = {"spin", "spinner", "yf", "yi"}


def normalized(value: Any, drop: frozenset[str] | set[str] = EXTRA_NAMES) -> Any:
    """Values with nested results compared by status and values (run ids always differ),
    without the names in ``drop``."""
    if isinstance(value, RunResult):
        inner = normalized(value.values, drop)
        return ("result", value.status, inner, type(value.error).__name__)
    if isinstance(value, list) and any(isinstance(v, RunResult) for v in value):
        return [normalized(v, drop) for v in value]
    if isinstance(value, dict):
        return {k: normalized(v, drop) for k, v in value.items() if k not in drop}
    return value


def outcome(
    result: RunResult, with_values: bool, drop: frozenset[str] | set[str] = EXTRA_NAMES
) -> Any:
    error = (type(result.error).__name__, str(result.error)) if result.error else None
    values = normalized(result.values, drop) if with_values else None
    return result.status, error, result.failed_node, values


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Graph, list[HyperNode], dict[str, Any], list[Any]]:
    spec = draw(strategies.graph_specs(max_nodes=6, sync_only=draw(st.booleans())))
    base = strategies.build(spec)
    nodes = list(base.nodes.values())
    values: dict[str, Any] = dict(draw(strategies.input_values(spec)))
    outputs = list(spec.outputs)
    if draw(st.booleans()):  # a nested gate that may leave an output absent
        link = draw(st.sampled_from([None, *outputs]))
        nodes.extend(gated_block(link))
        values["xa"] = draw(st.integers(0, 9))
    if outputs and draw(st.booleans()):  # a node that may fail
        nodes.append(failing(draw(st.sampled_from(outputs)), draw(st.integers(0, 4))))
    if spec.nest and draw(st.booleans()):  # an address to a nested input
        inner = base.nodes["g0"]
        candidates = sorted(inner.graph.inputs.all)  # type: ignore[attr-defined]
        if candidates:
            values[f"g0.{draw(st.sampled_from(candidates))}"] = draw(st.integers(0, 99))
    limits = [None, 1, 2]
    return Graph(nodes), nodes, values, limits


def run_all(graph: Graph, values: dict[str, Any]) -> list[tuple[str, Any]]:
    outcomes = []
    try:
        outcomes.append(("sync", SyncRunner().run(graph, values)))
    except IncompatibleRunnerError:
        pass  # async nodes at the top level: AsyncRunner only
    for limit in (None, 1, 2):
        r = asyncio.run(AsyncRunner().run(graph, values, max_concurrency=limit))
        outcomes.append((f"async-{limit}", r))
    return outcomes


@settings(max_examples=60)
@given(scenario=scenarios(), kind=st.sampled_from(EXTRAS))
def test_an_unrelated_node_never_changes_the_rest(scenario: Any, kind: str) -> None:
    graph, nodes, values, _ = scenario
    before = run_all(graph, values)
    after = run_all(Graph([*nodes, extra(kind)]), {**values, **EXTRA_VALUES[kind]})
    for (label, b), (_, a) in zip(before, after):
        # Partial values of a failed run depend on what else was in flight (not promised
        # across runners), but never under SyncRunner, which runs in node order.
        full = b.status is RunStatus.COMPLETED or label == "sync"
        assert outcome(a, full) == outcome(b, full), label
    statuses = {outcome(b, False)[:2] for _, b in before}
    assert len(statuses) == 1, "every runner and limit agrees on status and error"


@settings(max_examples=60)
@given(scenario=scenarios(), looped=st.booleans())
def test_the_general_superstep_path_gives_what_the_fast_paths_give(
    scenario: Any, looped: bool
) -> None:
    """Every run forced onto general supersteps (no fixed schedule, no dataflow), where the
    AsyncRunner's one-node ``def`` supersteps go on in one thread trip
    (``_chain.run_sync_steps``), against the default paths, on these graphs: gates that may
    END (absent outputs), addresses into nested graphs, failing nodes, and a self-loop."""
    import functools
    from unittest import mock

    import hypergraph_runners._async as async_driver
    import hypergraph_runners._sync as sync_driver
    from hypergraph_runners._core import Execution

    graph, nodes, values, _ = scenario
    if looped:
        graph, values = Graph([*nodes, extra("loop")]), {**values, **EXTRA_VALUES["loop"]}
    default = run_all(graph, values)
    general = functools.partial(Execution, general=True)
    with (
        mock.patch.object(Execution, "dataflow", lambda self: None),
        mock.patch.object(async_driver, "Execution", general),
        mock.patch.object(sync_driver, "Execution", general),
    ):
        forced = run_all(graph, values)
    for (label, d), (_, f) in zip(default, forced):
        full = d.status is RunStatus.COMPLETED or label == "sync"
        assert outcome(f, full, drop=set()) == outcome(d, full, drop=set()), label
