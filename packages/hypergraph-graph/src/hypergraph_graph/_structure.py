"""``Structure``: everything computed from a graph's node list, once.

A ``Graph`` and every graph made from it by ``bind`` / ``unbind`` share one ``Structure``:
edges, strongly connected components, seeds, input candidates, outputs and the definition hash
are computed here at construction (the hash on first use) and never again. ``cache`` is a
per-structure dictionary the runners use to keep their compiled plan, so a plan is built once
per structure whatever layer builds it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

from hypergraph_types import InputSpec

from ._node import HyperNode
from ._topology import strongly_connected_components
from ._wiring import Wired, Wiring, wire

__all__ = ["Structure"]


class Structure:
    """The immutable, binding-independent analysis of one node list.

    Attributes:
        nodes: Node name -> node, in node order (the first node of a duplicated name wins;
            duplicates are a construction error anyway).
        producers: Value name -> names of the nodes that output it, in node order.
        consumers: Value name -> names of the nodes that take it as input, in node order.
        edges: ``(producer, consumer, value)`` triples in consumer order.
        control_edges: ``(gate, target)`` pairs: a gate's decision lets its target run.
        cyclic: Names of the nodes on a cycle (component of 2+ nodes, or a self edge).
        cycles: The cycles as groups of node names (data and control edges together), each
            group and the groups in node order; pictures and ``describe()`` draw these.
        component: Node name -> index of its strongly connected component.
        input_order: Every non-produced or seed name, in first-occurrence order, with its
            kind before bindings: ``"required"``, ``"optional"`` or ``"seed"``.
        outputs: Every output name once, in node order.
        leaf_outputs: Outputs of nodes without outgoing edges.
        has_async_nodes: Some node (recursively) is async.
        cache: Scratch space for compiled execution plans (see module docstring).
        all_nodes: Every node given, in node order; ``nodes`` leaves out those upstream of
            the entrypoints (issue 23), otherwise the two are the same dict.
        wiring: The ``edges`` / ``shared`` / ``entrypoint`` options, or ``None``.
        wired: Whether any option or any ``emit``/``wait_for`` is in play; when not, every
            table below is computed exactly as name inference always did.
        ordering_edges: ``(source, target, key)``: the target waits for ``key`` (a
            ``wait_for`` name, or an ordering-only explicit edge's completion key).
        shared: The shared names (read and written by several nodes, never an edge).
        emits: Every emit name of the active nodes, once, in node order.
        held: For a node in an entrypoint's cycle that is not an entrypoint itself: the nodes
            of that cycle feeding it; one of them must run first (the entrypoint starts).
        wiring_problems: Construction problems of the options (reported with the others).
        interrupts: The interrupt nodes among ``nodes`` (their questions are checked).
    """

    def __init__(self, node_list: Sequence[HyperNode], wiring: Wiring | None = None) -> None:
        nodes: dict[str, HyperNode] = {}
        for n in node_list:
            nodes.setdefault(n.name, n)
        self.nodes = self.all_nodes = nodes
        self.wiring = wiring
        special = [n for n in nodes.values() if n._special]
        self.wired = wiring is not None or any(n._wires for n in special)
        self.ordering_edges: tuple[tuple[str, str, str], ...] = ()
        self.shared: frozenset[str] = frozenset(wiring.shared) if wiring else frozenset()
        self.held: dict[str, tuple[str, ...]] = {}
        self.wiring_problems: list[str] = []
        wired = None
        if self.wired:
            wired = wire(nodes, wiring, self._control_edges())
            self.nodes = nodes = wired.active
            self.ordering_edges = tuple(wired.ordering)
            self.wiring_problems = wired.problems
        self.interrupts = tuple(
            n for n in special if type(n)._is_interrupt and nodes.get(n.name) is n
        )
        self.emits: tuple[str, ...] = ()
        if self.wired:
            self.emits = tuple(dict.fromkeys(e for n in nodes.values() for e in n.emit))
        producers: dict[str, list[str]] = {}
        consumers: dict[str, list[str]] = {}
        for n in nodes.values():
            for out in n.outputs:
                producers.setdefault(out, []).append(n.name)
            for inp in n.inputs:
                consumers.setdefault(inp, []).append(n.name)
        self.producers = {k: tuple(v) for k, v in producers.items()}
        self.consumers = {k: tuple(v) for k, v in consumers.items()}
        self._analyse_topology(wired)
        self.outputs = tuple(producers)
        self._classify_inputs()
        self.has_async_nodes = any(n.is_async for n in nodes.values())
        self._hash: str | None = None
        self._hash_lock = threading.Lock()
        self.cache: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        # A graph pickles (a runner's executor ships it to worker processes) without its
        # compiled plans and its lock: both are rebuilt where it is loaded.
        state = dict(self.__dict__)
        del state["_hash_lock"]
        state["cache"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._hash_lock = threading.Lock()

    def _inferred_edges(self, position: dict[str, int]) -> tuple[list[tuple[str, str, str]], bool]:
        """Edges by name, and whether one points backward in node order (or is a self edge)."""
        producers = self.producers
        edges: list[tuple[str, str, str]] = []
        backward = False
        for consumer, n in self.nodes.items():
            at = position[consumer]
            for inp in n.inputs:
                for producer in producers.get(inp, ()):
                    edges.append((producer, consumer, inp))
                    if position[producer] >= at:
                        backward = True
        return edges, backward

    def _analyse_topology(self, wired: Wired | None) -> None:
        names = list(self.nodes)
        position = {name: i for i, name in enumerate(names)}
        if wired is None:
            edges, backward = self._inferred_edges(position)
        else:
            edges, backward = wired.edges, True
        has_outgoing = {u for u, _, _ in edges}
        self.edges = tuple(edges)
        component: dict[str, int] = {}
        cyclic: set[str] = {u for u, v, _ in edges if u == v} if backward else set()

        def successors() -> list[list[int]]:
            adjacency: list[list[int]] = [[] for _ in names]
            for u, v, _ in edges:
                adjacency[position[u]].append(position[v])
            return adjacency

        if backward:
            components = strongly_connected_components(successors())
        else:
            # Every edge points forward in node order: no cycle, every node its own component.
            components = [[i] for i in range(len(names))]
        for ci, members in enumerate(components):
            for v in members:
                component[names[v]] = ci
            if len(members) > 1:
                cyclic.update(names[v] for v in members)
        self.component = component
        self._data_cycles = bool(cyclic)  # seeds need one (before control edges join in)
        self.control_edges = self._control_edges()
        entry = self.wiring is not None and bool(self.wiring.entrypoints)
        if self.control_edges or self.ordering_edges or entry:
            components = self._all_edge_cycles(names, successors(), cyclic)
        self.cyclic = frozenset(cyclic)
        self.cycles = (
            tuple(
                tuple(names[v] for v in sorted(members))
                for members in sorted(components, key=min)
                if names[members[0]] in cyclic
            )
            if cyclic
            else ()
        )
        self.leaf_outputs = tuple(
            dict.fromkeys(
                out
                for name, n in self.nodes.items()
                if name not in has_outgoing
                for out in (n.data_outputs if wired else n.outputs)
            )
        )

    def _all_edge_cycles(
        self, names: list[str], adjacency: list[list[int]], cyclic: set[str]
    ) -> list[list[int]]:
        """Components over data, control and ordering edges; their members join ``cyclic``.

        A gate's decision feeds its targets and a waiter follows what it waits for: control
        and ordering edges close cycles too (has_cycles, the cycle budget), but seeds stay a
        matter of data edges alone.
        """
        position = {name: i for i, name in enumerate(names)}
        for gate, target in self.control_edges:
            adjacency[position[gate]].append(position[target])
        for source, target, _ in self.ordering_edges:
            adjacency[position[source]].append(position[target])
            if source == target:
                cyclic.add(source)
        components = strongly_connected_components(adjacency)
        for members in components:
            if len(members) > 1:
                cyclic.update(names[v] for v in members)
        if self.wiring is not None and self.wiring.entrypoints:
            self._hold(components, names, adjacency)
        return components

    def _control_edges(self) -> tuple[tuple[str, str], ...]:
        """``(gate, target)`` for every target of every gate that names a node of the graph."""
        return tuple(
            (name, t)
            for name, n in self.nodes.items()
            if type(n)._is_gate
            for t in n.targets  # type: ignore[attr-defined]
            if isinstance(t, str) and t in self.nodes and t != name
        )

    def _hold(
        self, components: list[list[int]], names: list[str], adjacency: list[list[int]]
    ) -> None:
        """``held``: in a cycle with an entrypoint, the other nodes wait for a predecessor."""
        entry = set(self.wiring.entrypoints or ()) if self.wiring else set()
        for members in components:
            group = {names[v] for v in members}
            if len(members) < 2 or not group & entry:
                continue
            preds: dict[str, list[str]] = {}
            for u in members:
                for v in adjacency[u]:
                    if names[v] in group and names[v] not in entry and u != v:
                        preds.setdefault(names[v], []).append(names[u])
            for name, ps in preds.items():
                self.held[name] = tuple(dict.fromkeys(ps))

    def _classify_wired(self) -> None:
        """Inputs when options are in play: shared names are required, seeds follow edges.

        A value is a seed when an edge feeds it from the consumer's own data cycle; in a
        cycle that holds an entrypoint only the entrypoint's values are (it runs first).
        """
        order: dict[str, str] = {}
        component = self.component
        fed: dict[str, list[tuple[str, str]]] = {}
        for u, v, value in self.edges:
            fed.setdefault(value, []).append((u, v))
        entry = set(self.wiring.entrypoints or ()) if self.wiring else set()
        entry_components = {component[e] for e in entry if e in component}
        for n in self.nodes.values():
            for name in n.inputs:
                if name in order:
                    continue
                if name in self.shared:
                    order[name] = "required"  # its initial value: shared names are read first
                    continue
                pairs = fed.get(name)
                if name in n.shared_ports and not any(c == n.name for _, c in pairs or ()):
                    pairs = None  # a nested loop's shared name, unfed: the caller's initial value
                if pairs:
                    if any(
                        component[u] == component[c]
                        and (component[c] not in entry_components or c in entry)
                        for u, c in pairs
                    ):
                        order[name] = "seed"
                    continue
                has_default = any(self.nodes[c].has_default_for(name) for c in self.consumers[name])
                order[name] = "optional" if has_default else "required"
        self.input_order = order

    def _classify_inputs(self) -> None:
        if self.wired:
            self._classify_wired()
            return
        order: dict[str, str] = {}
        component = self.component
        # A seed needs a data cycle (its producer and a consumer in one component).
        data_cycles = self._data_cycles
        for n in self.nodes.values():
            for name in n.inputs:
                if name in order:
                    continue
                producers = self.producers.get(name)
                if producers:
                    if data_cycles and any(
                        component[c] == component[p]
                        for p in producers
                        for c in self.consumers[name]
                    ):
                        order[name] = "seed"
                    continue
                has_default = any(self.nodes[c].has_default_for(name) for c in self.consumers[name])
                order[name] = "optional" if has_default else "required"
        self.input_order = order

    def input_spec(self, bound: dict[str, Any]) -> InputSpec:
        """The ``InputSpec`` for this structure under the given bindings."""
        required, optional, seeds = [], [], []
        for name, kind in self.input_order.items():
            if kind == "seed":
                seeds.append(name)
            elif kind == "optional" or name in bound:
                optional.append(name)
            else:
                required.append(name)
        return InputSpec(tuple(required), tuple(optional), tuple(seeds), dict(bound))

    def _wired_hash_parts(self, edge_part: str) -> tuple[str, str]:
        """Every node (entrypoints exclude some from ``nodes``) and the options, hashed only
        when some option is in play, so graphs without any keep their hash."""
        everything = self.all_nodes
        node_part = "|".join(
            f"{name}:{everything[name].definition_hash}" for name in sorted(everything)
        )
        # Sorted: emits, waits and entrypoints are sets to the runner, their order means nothing.
        ports = "|".join(
            f"{name}:emit={','.join(sorted(n.emit))}:wait_for={','.join(sorted(n.wait_for))}"
            for name, n in sorted(everything.items())
            if n.emit or n.wait_for
        )
        ordering = "|".join(f"{u}~>{v}:{k}" for u, v, k in sorted(self.ordering_edges))
        w = self.wiring
        options = (
            f"explicit={w.edges is not None}:shared={','.join(sorted(w.shared))}"
            f":entry={','.join(sorted(w.entrypoints or ()))}"
            if w
            else ""
        )
        return node_part, f"{edge_part}#~{ordering}#{ports}#{options}"

    @property
    def has_cycles(self) -> bool:
        return bool(self.cyclic)

    def definition_hash(self) -> str:
        """SHA-256 over nodes sorted by name and sorted edges (GRAPH-09), computed once."""
        if self._hash is None:
            with self._hash_lock:
                if self._hash is None:
                    node_part = "|".join(
                        f"{name}:{self.nodes[name].definition_hash}" for name in sorted(self.nodes)
                    )
                    edge_part = "|".join(f"{u}->{v}:{value}" for u, v, value in sorted(self.edges))
                    if self.control_edges:
                        edge_part += "|" + "|".join(
                            f"{u}=>{v}" for u, v in sorted(self.control_edges)
                        )
                    if self.wired:
                        node_part, edge_part = self._wired_hash_parts(edge_part)
                    self._hash = hashlib.sha256(f"{node_part}#{edge_part}".encode()).hexdigest()
        return self._hash
