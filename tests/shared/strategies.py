"""Hypothesis strategies for the runner-agreement properties (RELIABILITY §4.2, STYLE item 16).

A strategy draws a *spec* (plain data), not a Graph. ``build`` turns a spec into a Graph and
``reference`` evaluates the same spec with a tiny interpreter that shares no code with the
library, so wiring, scheduling and nesting are checked against an independent oracle.

Spec shape: node ``i`` is named ``f{i}`` and outputs ``v{i}`` (or ``v{i}a`` and ``v{i}b``); it
reads up to three earlier outputs and sometimes an external input ``x{j}``, so every spec is a
DAG. Its body computes ``mix(i, args) = (sum((k + 1) * arg_k) + 7 * i) % 1_000_003``: the
position weights make a swapped or miswired edge change the answer. Generator kinds yield
``mix + k`` for a few ``k`` (a one-output generator's value is that list; downstream nodes read a
list through ``as_number``). Contiguous blocks of nodes can be wrapped in nested graphs ``g0``
(outermost) ... ``g2``.

Test modules import it as ``strategies`` (``tests/shared`` is on pytest's ``pythonpath``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from hypergraph_graph import Graph, HyperNode, node

__all__ = [
    "EXTERNALS",
    "MOD",
    "GraphSpec",
    "NodeSpec",
    "as_number",
    "build",
    "graph_specs",
    "input_values",
    "mix",
    "reference",
]

MOD = 1_000_003
EXTERNALS = ("x0", "x1", "x2")
KINDS = ("def", "async", "gen", "agen")
SYNC_KINDS = ("def", "gen")
ASYNC_KINDS = ("async", "agen")


@dataclass(frozen=True)
class NodeSpec:
    """One node: its position, body kind, inputs (in parameter order) and outputs.

    Attributes:
        index: Position ``i`` in the spec; the node is named ``f{i}``.
        kind: ``"def"``, ``"async"``, ``"gen"`` (sync generator) or ``"agen"``.
        args: Parameter names: earlier outputs and at most one external ``x{j}``.
        outputs: ``("v{i}",)`` or ``("v{i}a", "v{i}b")``.
        sleeps: ``asyncio.sleep(0)`` calls an async body makes (varies the interleaving).
        items: Items a generator yields (always 2 for a two-output generator).
    """

    index: int
    kind: str
    args: tuple[str, ...]
    outputs: tuple[str, ...]
    sleeps: int
    items: int

    @property
    def name(self) -> str:
        return f"f{self.index}"


@dataclass(frozen=True)
class GraphSpec:
    """A DAG of nodes plus the blocks wrapped in nested graphs.

    Attributes:
        nodes: The nodes in index order.
        nest: Half-open index ranges ``(start, end)``, outermost first, each inside the
            previous one; range ``d`` becomes the nested graph ``g{d}``.
    """

    nodes: tuple[NodeSpec, ...]
    nest: tuple[tuple[int, int], ...] = ()

    @property
    def externals(self) -> tuple[str, ...]:
        """The external inputs some node reads, in ``EXTERNALS`` order."""
        used = {a for n in self.nodes for a in n.args}
        return tuple(x for x in EXTERNALS if x in used)

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(o for n in self.nodes for o in n.outputs)

    @property
    def graph_node_names(self) -> tuple[str, ...]:
        return tuple(f"g{d}" for d in range(len(self.nest)))

    @property
    def has_async(self) -> bool:
        return any(n.kind in ASYNC_KINDS for n in self.nodes)

    @property
    def sync_runnable(self) -> bool:
        """SyncRunner can run it: async leaves only inside nested graphs (delegated)."""
        if not self.nest:
            return not self.has_async
        start, end = self.nest[0]
        return all(n.kind not in ASYNC_KINDS for n in self.nodes if not start <= n.index < end)

    def without_nesting(self) -> GraphSpec:
        return GraphSpec(self.nodes, ())


# --- the pure functions the node bodies and the reference share ---------------------------------


def as_number(value: Any) -> int:
    """An int as is; a generator's list of items as a position-weighted sum."""
    if isinstance(value, list):
        return sum((j + 1) * item for j, item in enumerate(value)) % MOD
    return int(value)


def mix(index: int, args: Sequence[Any]) -> int:
    return (sum((k + 1) * as_number(a) for k, a in enumerate(args)) + 7 * index) % MOD


# --- the reference interpreter --------------------------------------------------------------------


def reference(spec: GraphSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Evaluate ``spec`` in index order: what ``select=None`` must return (outputs only)."""
    env = dict(values)
    for n in spec.nodes:
        m = mix(n.index, [env[a] for a in n.args])
        if n.kind in ("gen", "agen"):
            produced: Any = [m + k for k in range(n.items)]
        elif len(n.outputs) == 2:
            produced = [m, (m + 1) % MOD]
        else:
            produced = m
        if len(n.outputs) == 1:
            env[n.outputs[0]] = produced
        else:
            env[n.outputs[0]], env[n.outputs[1]] = produced
    return {name: env[name] for name in spec.outputs}


# --- the builder ----------------------------------------------------------------------------------


def _body(n: NodeSpec, calls: list[str] | None) -> Callable[..., Any]:
    two = len(n.outputs) == 2

    def record() -> None:
        if calls is not None:
            calls.append(n.name)

    def value(kw: dict[str, Any]) -> Any:
        m = mix(n.index, [kw[a] for a in n.args])
        return (m, (m + 1) % MOD) if two else m

    def start(kw: dict[str, Any]) -> int:
        return mix(n.index, [kw[a] for a in n.args])

    if n.kind == "def":

        def body(**kw: Any) -> Any:
            record()
            return value(kw)

    elif n.kind == "async":

        async def body(**kw: Any) -> Any:  # type: ignore[misc]
            record()
            for _ in range(n.sleeps):
                await asyncio.sleep(0)
            return value(kw)

    elif n.kind == "gen":

        def body(**kw: Any) -> Any:  # type: ignore[misc]
            record()
            m = start(kw)
            for k in range(n.items):
                yield m + k

    else:

        async def body(**kw: Any) -> Any:  # type: ignore[misc]
            record()
            m = start(kw)
            for k in range(n.items):
                for _ in range(n.sleeps):
                    await asyncio.sleep(0)
                yield m + k

    body.__name__ = n.name
    body.__qualname__ = n.name
    # The parameters the graph sees: exactly the spec's argument names, in order.
    body.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in n.args]
    )
    return body


def make_node(n: NodeSpec, calls: list[str] | None = None) -> HyperNode:
    output_name = n.outputs if len(n.outputs) == 2 else n.outputs[0]
    return node(_body(n, calls), output_name=output_name)


def build(
    spec: GraphSpec,
    calls: list[str] | None = None,
    order: Sequence[int] | None = None,
) -> Graph:
    """The Graph for ``spec``; ``calls`` records node names as bodies start.

    ``order`` permutes the top-level node list (a permutation of its positions).
    """

    def level(lo: int, hi: int, depth: int) -> list[HyperNode]:
        if depth < len(spec.nest):
            start, end = spec.nest[depth]
            inner = Graph(level(start, end, depth + 1), name=f"g{depth}")
            before = [make_node(n, calls) for n in spec.nodes[lo:start]]
            after = [make_node(n, calls) for n in spec.nodes[end:hi]]
            return [*before, inner.as_node(), *after]
        return [make_node(n, calls) for n in spec.nodes[lo:hi]]

    top = level(0, len(spec.nodes), 0)
    if order is not None:
        top = [top[i] for i in order]
    return Graph(top)


# --- strategies -----------------------------------------------------------------------------------


@st.composite
def node_specs(
    draw: st.DrawFn, index: int, available: Sequence[str], kinds: Sequence[str], external: bool
) -> NodeSpec:
    kind = draw(st.sampled_from(kinds))
    earlier: list[str] = []
    if available:
        earlier = draw(
            st.lists(st.sampled_from(list(available)), max_size=min(3, len(available)), unique=True)
        )
    args = list(earlier)
    if external or draw(st.integers(0, 3)) == 0:
        args.append(draw(st.sampled_from(EXTERNALS)))
    args = list(draw(st.permutations(args)))
    two = draw(st.integers(0, 3)) == 0
    outputs = (f"v{index}a", f"v{index}b") if two else (f"v{index}",)
    sleeps = draw(st.integers(0, 3))
    items = 2 if two else draw(st.integers(0, 3))
    return NodeSpec(index, kind, tuple(args), outputs, sleeps, items)


@st.composite
def graph_specs(
    draw: st.DrawFn,
    min_nodes: int = 1,
    max_nodes: int = 10,
    nesting: bool = True,
    min_depth: int = 0,
    needs_external: bool = False,
    sync_only: bool | None = None,
) -> GraphSpec:
    """A random DAG spec; about half the specs are sync-only unless ``sync_only`` is given.

    With ``nesting``, 0 to 3 (at least ``min_depth``) nested blocks are drawn; with
    ``needs_external`` the first node reads an external input.
    """
    n = draw(st.integers(min_nodes, max_nodes))
    if sync_only is None:
        sync_only = draw(st.booleans())
    kinds = SYNC_KINDS if sync_only else KINDS
    nodes: list[NodeSpec] = []
    available: list[str] = []
    for i in range(n):
        spec = draw(node_specs(i, available, kinds, external=needs_external and i == 0))
        nodes.append(spec)
        available.extend(spec.outputs)
    nest: list[tuple[int, int]] = []
    if nesting:
        lo, hi = 0, n
        for _ in range(draw(st.integers(min_depth, 3))):
            start = draw(st.integers(lo, hi - 1))
            end = draw(st.integers(start + 1, hi))
            nest.append((start, end))
            lo, hi = start, end
    return GraphSpec(tuple(nodes), tuple(nest))


def input_values(spec: GraphSpec) -> st.SearchStrategy[dict[str, int]]:
    """Values for the spec's external inputs."""
    return st.fixed_dictionaries({x: st.integers(0, MOD - 1) for x in spec.externals})
