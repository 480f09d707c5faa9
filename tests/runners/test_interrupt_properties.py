"""Interrupts on random DAGs (nested up to three levels): pausing loses nothing and resuming
gives what an uninterrupted run gives, under both runners.

One node of a random spec (``strategies``) becomes an interrupt whose answer is the value the
node would have computed. Then: the run pauses at that node (its path and response key are
exact), every value present at the pause is the reference value, nothing downstream of the
interrupt ran, and resuming with the answer yields exactly the reference values.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import strategies as S
from hypergraph_graph import Graph, HyperNode, InterruptNode
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import RunResult, RunStatus

EXAMPLES = max(10, settings.default.max_examples // 3)


@dataclass(frozen=True)
class Number:
    prompt: str
    options: tuple[str, ...] | None = None
    evidence: tuple[Any, ...] = ()
    answer_type: ClassVar[type] = int


def asking(n: S.NodeSpec) -> InterruptNode:
    def ask(**kw: Any) -> Number:
        return Number(f"value of {n.outputs[0]}?", evidence=tuple(kw[a] for a in n.args))

    ask.__name__ = ask.__qualname__ = n.name
    ask.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in n.args],
        return_annotation=Number,
    )
    return InterruptNode(ask, answer_name=n.outputs[0])


def build(spec: S.GraphSpec, k: int) -> Graph:
    """``strategies.build`` with node ``k`` replaced by an interrupt."""

    def made(n: S.NodeSpec) -> HyperNode:
        return asking(n) if n.index == k else S.make_node(n)

    def level(lo: int, hi: int, depth: int) -> list[HyperNode]:
        if depth < len(spec.nest):
            start, end = spec.nest[depth]
            inner = Graph(level(start, end, depth + 1), name=f"g{depth}")
            before = [made(n) for n in spec.nodes[lo:start]]
            after = [made(n) for n in spec.nodes[end:hi]]
            return [*before, inner.as_node(), *after]
        return [made(n) for n in spec.nodes[lo:hi]]

    return Graph(level(0, len(spec.nodes), 0))


def downstream(spec: S.GraphSpec, k: int) -> set[str]:
    """The values that depend on node ``k``'s output (its own included)."""
    tainted = set(spec.nodes[k].outputs)
    for n in spec.nodes[k + 1 :]:
        if tainted.intersection(n.args):
            tainted.update(n.outputs)
    return tainted


def path_of(spec: S.GraphSpec, k: int) -> str:
    inside = [f"g{d}" for d, (start, end) in enumerate(spec.nest) if start <= k < end]
    return "/".join([*inside, f"f{k}"])


@st.composite
def cases(draw: st.DrawFn) -> tuple[S.GraphSpec, int, dict[str, int], str]:
    spec = draw(S.graph_specs(max_nodes=8, sync_only=draw(st.booleans())))
    # The interrupt replaces a one-output, non-generator node: its answer is an int.
    single = [n.index for n in spec.nodes if len(n.outputs) == 1 and n.kind in ("def", "async")]
    k = draw(st.sampled_from(single)) if single else -1
    values = draw(S.input_values(spec))
    kind = draw(st.sampled_from(["sync", "async"] if spec.sync_runnable else ["async"]))
    return spec, k, values, kind


def run_with(kind: str, graph: Graph, values: dict[str, Any]) -> RunResult:
    if kind == "sync":
        return SyncRunner().run(graph, values)
    return asyncio.run(asyncio.wait_for(AsyncRunner().run(graph, values), 30))


@settings(max_examples=EXAMPLES)
@given(cases())
def test_pause_then_resume_equals_the_uninterrupted_run(
    case: tuple[S.GraphSpec, int, dict[str, int], str],
) -> None:
    spec, k, values, kind = case
    assume(k >= 0)  # some node computes a single int: it becomes the interrupt
    graph = build(spec, k)
    expected = S.reference(spec, values)
    answer_key = spec.nodes[k].outputs[0]

    paused = run_with(kind, graph, values)
    assert paused.status is RunStatus.PAUSED
    assert [(p.node_name, p.response_key) for p in paused.pauses] == [
        (path_of(spec, k), answer_key)
    ]
    assert paused.pause is not None and paused.pause.value.prompt == f"value of {answer_key}?"
    got = {n: v for n, v in paused.values.items() if n not in spec.graph_node_names}
    assert got == {n: expected[n] for n in got}
    assert not downstream(spec, k).intersection(got)

    resumed = run_with(kind, graph, {**values, answer_key: expected[answer_key]})
    assert resumed.status is RunStatus.COMPLETED
    flat = {n: v for n, v in resumed.values.items() if n not in spec.graph_node_names}
    assert flat == expected
