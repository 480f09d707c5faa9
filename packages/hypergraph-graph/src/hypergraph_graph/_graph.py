"""``Graph``: an immutable set of nodes wired by name (GRAPH-01 ... GRAPH-09)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypergraph_types import GraphConfigError, InputSpec
from hypergraph_types._internal import did_you_mean, message, quote

from ._graph_node import GraphNode
from ._node import HyperNode
from ._structure import Structure
from ._validate import check_items, check_types, construction_problems, raise_problems
from ._wiring import Wiring, normalise_options

if TYPE_CHECKING:
    import networkx

    from ._html import GraphView
    from ._mermaid import MermaidDiagram

__all__ = ["MAX_NESTING_DEPTH", "Graph"]

#: How deeply graphs may nest inside each other. Each level costs a few interpreter frames
#: at run time; past this depth construction fails with a GraphConfigError instead of a
#: RecursionError halfway through a run.
MAX_NESTING_DEPTH = 100


def _nesting_depth(nodes: Iterable[HyperNode]) -> int:
    return 1 + max(
        (n.graph._depth for n in nodes if type(n)._is_graph_node),  # type: ignore[attr-defined]
        default=0,
    )


class Graph:
    """Nodes wired by name: an output feeds every input of the same name.

    The graph is immutable and computes its structure (edges, cycles, inputs) once.

    Example:
        >>> from hypergraph_graph import node
        >>> @node(output_name="doubled")
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> Graph([double]).inputs.required
        ('x',)
    """

    __slots__ = (
        "__weakref__",
        "_bound",
        "_depth",
        "_inputs",
        "_name",
        "_nx",
        "_strict_types",
        "_structure",
    )

    def __init__(
        self,
        nodes: Iterable[HyperNode],
        *,
        edges: Iterable[Any] | None = None,
        shared: str | Iterable[str] | None = None,
        entrypoint: str | Iterable[str] | None = None,
        name: str | None = None,
        strict_types: bool = False,
    ) -> None:
        """Build and validate the graph (see the class docstring; issue 23 for the options).

        Args:
            nodes: The nodes, in node order.
            edges: Explicit ``(source, target[, values])`` edges replacing name inference
                (adding to it when ``shared`` is given); ``values`` is a name or a list.
            shared: Names several nodes read and write in a loop: no edge is inferred for
                them, the last committed write is what readers see, and a run must give
                their initial value.
            entrypoint: The node(s) execution starts at; nodes upstream of them are left out.
            name: The graph's name.
            strict_types: Check the types of every edge.
        """
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"Graph name must be a str or None, got {type(name).__name__}. "
                "How to fix: pass a string, e.g. Graph([...], name='pipeline')."
            )
        if not isinstance(strict_types, bool):
            raise TypeError(
                f"strict_types must be a bool, got {type(strict_types).__name__}. "
                "How to fix: pass strict_types=True or strict_types=False."
            )
        items = check_items(nodes)
        wiring = normalise_options(edges, shared, entrypoint)
        structure = Structure(items, wiring)
        raise_problems(construction_problems(name, items, structure), name)
        if strict_types:
            raise_problems(check_types(structure), name)
        depth = _nesting_depth(structure.nodes.values())
        if depth > MAX_NESTING_DEPTH:
            raise GraphConfigError(
                message(
                    f"Graphs nested {depth} levels deep exceed the limit of {MAX_NESTING_DEPTH}",
                    [f"graph: {quote(name) if name else '(unnamed)'}"],
                    "flatten some levels (put their nodes in the parent graph)",
                )
            )
        self._init(structure, name, strict_types, {}, depth)

    def _init(
        self,
        structure: Structure,
        name: str | None,
        strict_types: bool,
        bound: dict[str, Any],
        depth: int,
    ) -> None:
        self._structure = structure
        self._name = name
        self._strict_types = strict_types
        self._bound = bound
        self._depth = depth
        self._inputs = structure.input_spec(bound)
        self._nx: networkx.DiGraph | None = None

    def _derive(self, bound: dict[str, Any]) -> Graph:
        clone = object.__new__(Graph)
        clone._init(self._structure, self._name, self._strict_types, bound, self._depth)
        return clone

    # -- read-only properties --------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The graph's name (the default name of ``as_node()``)."""
        return self._name

    @property
    def nodes(self) -> dict[str, HyperNode]:
        """Node name -> node, in node order (a new dict on every access).

        With entrypoints, nodes upstream of them are listed too, though they never run.
        """
        return dict(self._structure.all_nodes)

    @property
    def _nodes(self) -> dict[str, HyperNode]:
        # v1.3 compatibility: the internal mapping itself. Read it, never change it.
        return self._structure.all_nodes

    @property
    def entrypoints_config(self) -> tuple[str, ...] | None:
        """The configured entrypoint node names, or ``None`` (every node may start)."""
        wiring = self._structure.wiring
        return None if wiring is None else wiring.entrypoints

    @property
    def shared(self) -> tuple[str, ...]:
        """The shared names (``shared=``), in the order given."""
        wiring = self._structure.wiring
        return () if wiring is None else wiring.shared

    def with_entrypoint(self, *names: str) -> Graph:
        """A new graph starting at these nodes (no names: every node may start again).

        Nodes upstream of the entrypoints are left out of the active graph: their outputs
        become inputs and they never run. In a cycle, the entrypoint runs first, so only the
        values it needs are required. Bindings of names that remain inputs are kept.
        """
        s = self._structure
        wiring = s.wiring or Wiring(None, (), None)
        entry = names or None
        if entry is not None:
            for n in entry:
                if not isinstance(n, str):
                    raise TypeError(
                        f"with_entrypoint() takes node names (str), got {type(n).__name__}. "
                        "How to fix: e.g. graph.with_entrypoint('plan')."
                    )
        new = wiring.replace(tuple(dict.fromkeys(entry)) if entry else None)
        if new.edges is None and not new.shared and new.entrypoints is None:
            new_wiring: Wiring | None = None
        else:
            new_wiring = new
        items = list(s.all_nodes.values())
        structure = Structure(items, new_wiring)
        raise_problems(construction_problems(self._name, items, structure), self._name)
        if self._strict_types:
            raise_problems(check_types(structure), self._name)
        clone = object.__new__(Graph)
        bound = {
            k: v
            for k, v in self._bound.items()
            if structure.input_order.get(k) in ("required", "optional")
        }
        clone._init(structure, self._name, self._strict_types, bound, self._depth)
        return clone

    @property
    def inputs(self) -> InputSpec:
        """Required, optional and seed inputs, and the bindings (the same object each time)."""
        return self._inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every output name once, in node order."""
        return self._structure.outputs

    @property
    def leaf_outputs(self) -> tuple[str, ...]:
        """Outputs of the nodes that feed no other node (a self edge counts as feeding)."""
        return self._structure.leaf_outputs

    @property
    def has_cycles(self) -> bool:
        """True if some node lies on a cycle."""
        return self._structure.has_cycles

    @property
    def has_async_nodes(self) -> bool:
        """True if some node, at any nesting depth, is async."""
        return self._structure.has_async_nodes

    @property
    def strict_types(self) -> bool:
        """Whether edges were type-checked at construction."""
        return self._strict_types

    @property
    def definition_hash(self) -> str:
        """SHA-256 over nodes and wiring; independent of node order, name and bindings."""
        return self._structure.definition_hash()

    # -- derived graphs --------------------------------------------------------------------

    def bind(self, **values: Any) -> Graph:
        """A new graph with these inputs bound (merged over existing bindings)."""
        s = self._structure
        for key in values:
            kind = s.input_order.get(key)
            # A shared name is produced yet a required input (its initial value): bindable.
            producers = None if kind in ("required", "optional") else s.producers.get(key)
            if producers and kind == "seed":
                raise GraphConfigError(
                    message(
                        f"Cannot bind {quote(key)}: it is a cycle seed, produced by node "
                        f"{quote(producers[0])} inside a cycle",
                        ["a seed is the starting value of the cycle; bind() takes graph inputs"],
                        f"pass its starting value in run(values={{{quote(key)}: ...}}) "
                        "(a parameter default does not seed a cycle)",
                    )
                )
            if producers:
                raise GraphConfigError(
                    message(
                        f"Cannot bind {quote(key)}: output of node {quote(producers[0])}",
                        ["only graph inputs can be bound; this value is produced by the graph"],
                        f"pass it in run(values={{{quote(key)}: ...}}) to bypass its producer "
                        "instead",
                    )
                )
            if key not in s.input_order:
                valid = self._inputs.all
                raise GraphConfigError(
                    message(
                        f"Cannot bind {quote(key)}: not a graph input. Valid inputs: {valid!r}",
                        [did_you_mean(key, valid)],
                        "bind one of the graph's inputs",
                    )
                )
        return self._derive({**self._bound, **values})

    def unbind(self, *names: str) -> Graph:
        """A new graph without these bindings; names that are not bound are ignored."""
        return self._derive({k: v for k, v in self._bound.items() if k not in names})

    def as_node(self, *, name: str | None = None, runner: Any = None) -> GraphNode:
        """This graph as a node of another graph (see ``GraphNode``)."""
        return GraphNode(self, name=name, runner=runner)

    # -- networkx (optional extra) ---------------------------------------------------------

    def to_networkx(self) -> networkx.DiGraph:
        """A new ``networkx.DiGraph``: a vertex per node, an edge per producer/consumer pair."""
        try:
            import networkx
        except ImportError:
            # The extras that exist: hypergraph-runtime[networkx] re-exports
            # hypergraph-graph[networkx]; "hypergraph" is the import name, not a distribution.
            raise ImportError(
                message(
                    "Graph.to_networkx() needs networkx, which is not installed",
                    ["networkx is an optional extra of hypergraph-graph"],
                    "pip install 'hypergraph-runtime[networkx]' "
                    "(or 'hypergraph-graph[networkx]' for the graph package alone)",
                )
            ) from None
        g = networkx.DiGraph()
        s = self._structure
        for name, n in s.nodes.items():
            g.add_node(name, hypernode=n)
        shared: dict[tuple[str, str], list[str]] = {}
        for u, v, value in s.edges:
            shared.setdefault((u, v), []).append(value)
        for (u, v), values in shared.items():
            g.add_edge(u, v, edge_type="data", value_name=values[0], value_names=tuple(values))
        for u, v in s.control_edges:
            if not g.has_edge(u, v):
                g.add_edge(u, v, edge_type="control", value_name=None, value_names=())
        for u, v, _ in s.ordering_edges:  # emit/wait_for and ordering-only edges
            if not g.has_edge(u, v):
                g.add_edge(u, v, edge_type="ordering", value_name=None, value_names=())
        return g

    @property
    def nx_graph(self) -> networkx.DiGraph:
        """``to_networkx()`` built once and cached."""
        if self._nx is None:
            self._nx = self.to_networkx()
        return self._nx

    @property
    def _nx_graph(self) -> networkx.DiGraph:
        return self.nx_graph

    # -- static analysis -------------------------------------------------------------------

    def describe(self) -> str:
        """A plain-text report: inputs by kind, outputs, nodes, edges, control edges (graphs
        with gates), cycles and the hash."""
        from ._describe import describe

        return describe(self)

    # -- pictures --------------------------------------------------------------------------

    def to_mermaid(
        self,
        *,
        depth: int = 0,
        show_types: bool = True,
        separate_outputs: bool = False,
        simplify: bool = True,
        direction: str = "TD",
        colors: Mapping[str, str] | None = None,
    ) -> MermaidDiagram:
        """The graph as Mermaid flowchart text (deterministic: same graph, same text).

        Args:
            depth: How many levels of nested graphs to draw open (0: each is one node).
            show_types: Write ``name: type`` for inputs and outputs that have a type.
            separate_outputs: Draw each output as its own node between producer and readers.
            simplify: Leave out data edges a longer path already implies (never control,
                cycle or gate-decided edges).
            direction: ``"TD"`` (top down), ``"LR"``, ``"BT"``, ``"RL"`` or ``"TB"``.
            colors: Class name (``function``, ``branch``, ``input``, ``end``) -> Mermaid
                style, e.g. ``{"function": "fill:#fff,stroke:#333"}``.
        """
        from ._mermaid import to_mermaid

        return to_mermaid(
            self,
            depth=depth,
            show_types=show_types,
            separate_outputs=separate_outputs,
            simplify=simplify,
            direction=direction,
            colors=colors,
        )

    def visualize(
        self,
        *,
        depth: int = 0,
        filepath: str | Path | None = None,
        show_types: bool = True,
        direction: str = "TD",
    ) -> GraphView:
        """An interactive picture in one offline HTML file; notebooks display it inline.

        Click a nested graph to open or close it. ``filepath`` also writes the file.
        """
        from ._html import GraphView

        view = GraphView(self, depth=depth, show_types=show_types, direction=direction)
        if filepath is not None:
            view.save(filepath)
        return view

    def __repr__(self) -> str:
        label = f"{self._name!r}, " if self._name else ""
        return f"Graph({label}nodes={list(self._structure.nodes)!r})"
