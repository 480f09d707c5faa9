"""Wiring beyond name matching (issue 23): explicit ``edges``, ``shared`` names, entrypoints
and the ordering-only ports ``emit`` / ``wait_for``.

A graph given none of these options never reaches this module: ``Structure`` infers its
edges by name exactly as before, so its edges, inputs and definition hash are unchanged.
Otherwise ``wire`` computes, once per graph:

- the data edges: inferred by name (shared names left out), or the explicit ``edges``
  (which replace inference, or add to it when ``shared`` is given);
- the ordering edges ``(source, target, key)``: a ``wait_for`` name and each node emitting
  or producing it, and explicit edges that carry no value; at run time the target waits
  until ``key`` was produced again since it last ran;
- the active nodes: with entrypoints, the nodes upstream of them (that they cannot reach)
  are left out, and their outputs become inputs;
- the problems construction reports (unknown nodes in edges, a ``wait_for`` naming nothing,
  groups of nodes a shared name leaves unconnected, unknown entrypoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hypergraph_types._internal import did_you_mean, fmt_names, message, quote, short_repr

from ._node import HyperNode

__all__ = ["Wired", "Wiring", "completion_key", "normalise_options", "wire"]


def completion_key(source: str) -> str:
    """The version key an ordering-only edge from ``source`` waits on (``'/'`` is never part
    of a node or value name, so it cannot clash with a value)."""
    return f"{source}/completed"


class Wiring:
    """The options as given, normalised: explicit edges, shared names and entrypoints.

    Attributes:
        edges: ``(source, target, values)`` per explicit edge; ``values`` is ``None`` for
            "whatever the two have in common", or ``None`` for the whole option.
        shared: Names excluded from inference that several nodes may read and write.
        entrypoints: The entrypoint node names, or ``None``.
    """

    __slots__ = ("edges", "entrypoints", "shared")

    def __init__(
        self,
        edges: tuple[tuple[str, str, tuple[str, ...] | None], ...] | None,
        shared: tuple[str, ...],
        entrypoints: tuple[str, ...] | None,
    ) -> None:
        self.edges = edges
        self.shared = shared
        self.entrypoints = entrypoints

    def replace(self, entrypoints: tuple[str, ...] | None) -> Wiring:
        return Wiring(self.edges, self.shared, entrypoints)


def _endpoint(value: Any, position: str) -> str:
    if isinstance(value, HyperNode):
        return value.name
    if isinstance(value, str):
        return value
    raise TypeError(
        f"An edge's {position} must be a node or a node name, got {type(value).__name__} "
        f"({short_repr(value)}). How to fix: write (producer, consumer) with nodes or names."
    )


def _names(value: Any, option: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(dict.fromkeys(value))
    raise TypeError(
        f"{option} must be a name or a list of names, got {type(value).__name__} "
        f"({short_repr(value)}). How to fix: e.g. {option}=['messages']."
    )


def normalise_options(edges: Any, shared: Any, entrypoint: Any) -> Wiring | None:
    """Type-check and normalise the options; ``None`` when none is given."""
    if edges is None and not shared and entrypoint is None:
        return None
    explicit: list[tuple[str, str, tuple[str, ...] | None]] | None = None
    if edges is not None:
        if isinstance(edges, (str, bytes)) or not isinstance(edges, Iterable):
            raise TypeError(
                f"edges must be a list of (source, target[, values]) tuples, got "
                f"{type(edges).__name__}. How to fix: e.g. edges=[(plan, act), (act, check)]."
            )
        explicit = []
        for edge in edges:
            if not isinstance(edge, (tuple, list)) or len(edge) not in (2, 3):
                raise TypeError(
                    f"Each edge must be (source, target) or (source, target, values), got "
                    f"{short_repr(edge)}. How to fix: e.g. (plan, act, 'query')."
                )
            values = None if len(edge) == 2 else _names(edge[2], "an edge's values")
            explicit.append((_endpoint(edge[0], "source"), _endpoint(edge[1], "target"), values))
    shared_names = () if not shared else _names(shared, "shared")
    entry = None if entrypoint is None else _names(entrypoint, "entrypoint")
    if entry == ():
        raise TypeError("entrypoint needs at least one node name. How to fix: entrypoint='plan'.")
    return Wiring(None if explicit is None else tuple(explicit), shared_names, entry)


class Wired:
    """What ``wire`` computed (see the module docstring)."""

    __slots__ = ("active", "edges", "explicit", "ordering", "problems")

    def __init__(self) -> None:
        self.edges: list[tuple[str, str, str]] = []
        self.ordering: list[tuple[str, str, str]] = []
        self.active: dict[str, HyperNode] = {}
        self.problems: list[str] = []
        self.explicit = False


def wire(
    nodes: Mapping[str, HyperNode],
    wiring: Wiring | None,
    control_edges: Sequence[tuple[str, str]],
) -> Wired:
    """Data and ordering edges, active nodes and problems for ``nodes`` under ``wiring``."""
    out = Wired()
    shared = frozenset(wiring.shared) if wiring else frozenset()
    explicit = wiring.edges if wiring else None
    out.explicit = explicit is not None
    if explicit is None or shared:
        out.edges = _inferred(nodes, shared)
    if explicit is not None:
        _explicit(nodes, explicit, shared, out)
    _waits(nodes, out)
    entry = wiring.entrypoints if wiring else None
    out.active = dict(nodes)
    if entry is not None:
        unknown = [e for e in entry if e not in nodes]
        for e in unknown:
            out.problems.append(
                message(
                    f"Unknown entrypoint {quote(e)}",
                    [did_you_mean(e, list(nodes)), f"Graph nodes: {fmt_names(nodes)}"],
                    "name a node of the graph as the entrypoint",
                )
            )
        if not unknown:
            out.active = _active(nodes, entry, out, control_edges)
            keep = out.active
            out.edges = [e for e in out.edges if e[0] in keep and e[1] in keep]
            out.ordering = [e for e in out.ordering if e[0] in keep and e[1] in keep]
    if shared:
        out.problems += _unknown_shared(nodes, wiring.shared if wiring else ())
        out.problems += _disconnected(out.active, out, control_edges, wiring)
    return out


def _unknown_shared(nodes: Mapping[str, HyperNode], shared: Sequence[str]) -> list[str]:
    names = list(dict.fromkeys(p for n in nodes.values() for p in (*n.inputs, *n.data_outputs)))
    return [
        message(
            f"Shared name {quote(name)} is no input or output of any node",
            [did_you_mean(name, names), f"Inputs and outputs: {fmt_names(names)}"],
            "list in shared= the names several nodes read and write",
        )
        for name in shared
        if name not in names
    ]


def _inferred(nodes: Mapping[str, HyperNode], shared: frozenset[str]) -> list[tuple[str, str, str]]:
    producers: dict[str, list[str]] = {}
    for n in nodes.values():
        for o in n.data_outputs:
            if o not in shared:
                producers.setdefault(o, []).append(n.name)
    return [
        (p, consumer, inp)
        for consumer, n in nodes.items()
        for inp in n.inputs
        for p in producers.get(inp, ())
        if p != consumer or inp not in n.shared_ports
    ]


def _explicit(
    nodes: Mapping[str, HyperNode],
    explicit: Sequence[tuple[str, str, tuple[str, ...] | None]],
    shared: frozenset[str],
    out: Wired,
) -> None:
    known = list(nodes)
    seen = set(out.edges)
    for source, target, values in explicit:
        bad = [n for n in (source, target) if n not in nodes]
        for n in bad:
            out.problems.append(
                message(
                    f"Edge ({quote(source)}, {quote(target)}) names unknown node {quote(n)}",
                    [did_you_mean(n, known), f"Graph nodes: {fmt_names(known)}"],
                    "list that node in the graph, or fix the name in edges",
                )
            )
        if bad:
            continue
        s, t = nodes[source], nodes[target]
        if values is None:
            carried = [p for p in t.inputs if p in s.data_outputs and p not in shared]
        else:
            carried = []
            for v in values:
                missing = [
                    what
                    for what, ok in (
                        (
                            f"outputs of {quote(source)}: {fmt_names(s.data_outputs)}",
                            v in s.data_outputs,
                        ),
                        (f"inputs of {quote(target)}: {fmt_names(t.inputs)}", v in t.inputs),
                    )
                    if not ok
                ]
                if missing:
                    out.problems.append(
                        message(
                            f"Edge ({quote(source)}, {quote(target)}) carries {quote(v)}, "
                            "which one end does not have",
                            [did_you_mean(v, [*s.data_outputs, *t.inputs]), *missing],
                            "name a value the source outputs and the target reads, or leave "
                            "the values out to carry every common one",
                        )
                    )
                elif v not in shared:
                    carried.append(v)
        if not carried:
            out.ordering.append((source, target, completion_key(source)))
        for v in carried:
            if (source, target, v) not in seen:
                seen.add((source, target, v))
                out.edges.append((source, target, v))
    if not shared:
        _unfed(nodes, out)


def _unfed(nodes: Mapping[str, HyperNode], out: Wired) -> None:
    """With explicit edges only, an input that some node produces must have an edge."""
    fed = {(v, n) for _, n, v in out.edges}
    producers: dict[str, list[str]] = {}
    for n in nodes.values():
        for o in n.data_outputs:
            producers.setdefault(o, []).append(n.name)
    for name, n in nodes.items():
        for inp in n.inputs:
            found = producers.get(inp, ())
            if inp in n.shared_ports:  # a nested loop's shared name never feeds itself
                found = [p for p in found if p != name]
            if found and (inp, name) not in fed:
                # Suggest another producer first: a self edge is rarely what is missing.
                source = next((p for p in found if p != name), found[0])
                out.problems.append(
                    message(
                        f"Input {quote(inp)} of node {quote(name)} has no edge, but node(s) "
                        f"{fmt_names(found)} produce it",
                        ["with edges=..., only the listed edges carry values"],
                        f"add ({source!r}, {name!r}, {inp!r}) to edges, or rename "
                        "the input if it should come from the caller",
                    )
                )


def _waits(nodes: Mapping[str, HyperNode], out: Wired) -> None:
    """An ordering edge from every node emitting (or producing) a name to each waiter."""
    emitters: dict[str, list[str]] = {}
    for n in nodes.values():
        for o in n.outputs:
            emitters.setdefault(o, []).append(n.name)
    for name, n in nodes.items():
        for w in n.wait_for:
            sources = emitters.get(w)
            if not sources:
                out.problems.append(
                    message(
                        f"Node {quote(name)} waits for {quote(w)}, which no node of the graph "
                        "emits or outputs",
                        [
                            did_you_mean(w, list(emitters)),
                            f"Emits and outputs: {fmt_names(emitters)}",
                        ],
                        "name an emit or output of another node in wait_for, or add the node "
                        "that emits it",
                    )
                )
            out.ordering.extend((s, name, w) for s in sources or ())


def _adjacency(
    nodes: Iterable[str], out: Wired, control_edges: Sequence[tuple[str, str]]
) -> dict[str, set[str]]:
    adjacency: dict[str, set[str]] = {n: set() for n in nodes}
    for u, v, *_ in (*out.edges, *out.ordering, *control_edges):
        if u in adjacency and v in adjacency:
            adjacency[u].add(v)
    return adjacency


def _reach(adjacency: Mapping[str, Iterable[str]], start: Iterable[str]) -> set[str]:
    seen = set(start)
    stack = list(seen)
    while stack:
        for w in adjacency[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


def _active(
    nodes: Mapping[str, HyperNode],
    entry: tuple[str, ...],
    out: Wired,
    control_edges: Sequence[tuple[str, str]],
) -> dict[str, HyperNode]:
    """Every node but those upstream of the entrypoints that the entrypoints cannot reach."""
    forward = _adjacency(nodes, out, control_edges)
    backward: dict[str, set[str]] = {n: set() for n in nodes}
    for u, vs in forward.items():
        for v in vs:
            backward[v].add(u)
    downstream = _reach(forward, entry)
    upstream = _reach(backward, entry) - downstream
    return {name: n for name, n in nodes.items() if name not in upstream}


def _disconnected(
    nodes: Mapping[str, HyperNode],
    out: Wired,
    control_edges: Sequence[tuple[str, str]],
    wiring: Wiring | None,
) -> list[str]:
    """Groups of nodes with no edge between them that a shared name's edges would have joined
    (a node apart from the shared names stands apart as in any graph)."""
    if len(nodes) < 2:
        return []
    adjacency = _adjacency(nodes, out, control_edges)
    for u, vs in list(adjacency.items()):
        for v in vs:
            adjacency[v].add(u)
    group_of: dict[str, int] = {}
    groups: list[list[str]] = []
    for name in nodes:
        if name not in group_of:
            found = _reach(adjacency, [name])
            groups.append([n for n in nodes if n in found])
            group_of.update(dict.fromkeys(found, len(groups) - 1))
    if len(groups) < 2:
        return []
    shared = wiring.shared if wiring else ()
    # The groups each shared name would join if its producers fed its readers by name.
    joined = {i: {i} for i in range(len(groups))}
    for name in shared:
        touching = {group_of[n] for n, node in nodes.items() if name in node.data_outputs}
        if touching:
            touching |= {group_of[n] for n, node in nodes.items() if name in node.inputs}
        merged = set().union(*(joined[i] for i in touching))
        for i in merged:
            joined[i] = merged
    problems = []
    for split in {min(g): sorted(g) for g in joined.values() if len(g) > 1}.values():
        parts = [groups[i] for i in split]
        problems.append(
            message(
                f"Shared {fmt_names(shared)} leaves the graph in {len(parts)} unconnected groups",
                [f"group {i}: {fmt_names(g)}" for i, g in enumerate(parts, 1)],
                "shared names make no edges: order the groups with edges=[(source, target), "
                f"...] (e.g. ({parts[0][-1]!r}, {parts[1][0]!r})) or with emit=/wait_for=",
            )
        )
    return problems
