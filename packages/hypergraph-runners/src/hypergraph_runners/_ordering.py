"""Run-time rules of the agent-loop wiring (issue 23): emits, waits, shared names, explicit
sources and entrypoints.

The graph package computes the wiring (``Structure.ordering_edges``, ``shared``, ``held``,
explicit edges); ``wire_plan`` turns it into ``NodePlan`` fields once per graph, and the core
calls the three functions below only for nodes whose ``ordered`` is set, so a graph without
the options never reaches this module. Versions carry everything:

- an *emit* (and an ordering-only edge's completion key) is a version key bumped each time
  its node completes; it never has a value, so ``RunResult.values`` never shows it;
- a *wait* is fresh when its key's version differs from the one the node consumed at its
  last run; the node runs only when every wait exists and is fresh (its first run needs
  them to exist only);
- a *shared* name is read like any value (the last committed write) but left out of the
  versions a node watches, so writing it makes nobody run again: ordering comes from edges;
- a name several nodes produce under explicit edges is versioned per producer
  (``"name@producer"``) and each consumer reads the latest write among its declared sources
  (each such producer's last commit is numbered under ``"@producer"`` from the ``"@"``
  counter: versions again, so a resumed run knows the order too);
- an *entrypoint* runs first even if it waits, is held or is a gate's target; the other
  nodes of its cycle are held until a node of the cycle feeding them has run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from hypergraph_types import GraphConfigError
from hypergraph_types._internal import fmt_names, is_same, message

if TYPE_CHECKING:
    from hypergraph_graph import Graph

    from ._core import Execution
    from ._plan import NodePlan, Plan
    from ._schedule import Supersteps

__all__ = [
    "CLOCK",
    "check_entry_select",
    "fed_names",
    "ordered_inputs",
    "ordered_ready",
    "signal",
    "signalled",
    "wire_plan",
]

_MISSING = object()


def source_key(name: str, source: str) -> str:
    """The version key of ``name`` as written by node ``source`` ('@' is in no value name)."""
    return f"{name}@{source}"


def fed_names(graph: Graph) -> dict[str, frozenset[str]]:
    """Node name -> the inputs an edge feeds (the rest are free: state, binding, default)."""
    structure = graph._structure
    fed: dict[str, set[str]] = {name: set() for name in structure.nodes}
    for _, consumer, value in structure.edges:
        fed[consumer].add(value)
    return {name: frozenset(values) for name, values in fed.items()}


def wire_plan(plan: Plan, graph: Graph) -> None:
    """Fill in the ``NodePlan`` fields of the wiring and adjust the plan's name sets."""
    structure = graph._structure
    nodes = plan.nodes
    index = {p.name: p.index for p in nodes}
    emits = frozenset(structure.emits)
    shared = structure.shared
    entry = set(structure.wiring.entrypoints or ()) if structure.wiring else set()
    declared: dict[tuple[str, str], list[str]] = {}
    for u, v, value in structure.edges:
        declared.setdefault((v, value), []).append(u)
    waits: dict[str, list[str]] = {}
    signalled: dict[str, set[str]] = {}
    for u, v, key in structure.ordering_edges:
        waits.setdefault(v, []).append(key)
        signalled.setdefault(u, set()).add(key)
    # A produced name that is also a caller's initial value (a nested loop's shared port):
    # a reader fed by an edge waits for that edge's write, never reading the initial value,
    # unless reader and writer share a cycle (then the initial value starts it, as a seed).
    initial = {name for name, kind in structure.input_order.items() if kind != "seed"}
    cycle_of = {name: i for i, group in enumerate(structure.cycles) for name in group}
    sourced_names: set[str] = set()
    waiters: dict[str, list[int]] = {}
    for p in nodes:
        node = p.node
        sources = {}
        for name in p.inputs:
            srcs = declared.get((p.name, name))
            if not srcs:
                continue
            waits_for_write = name in initial and any(
                cycle_of.get(src, -1) != cycle_of.get(p.name, -2) for src in srcs
            )
            if waits_for_write or set(srcs) != set(structure.producers[name]):
                sources[name] = tuple(index[s] for s in srcs)
                sourced_names.add(name)
        if sources:
            p.sources = sources
        p.waits = tuple(dict.fromkeys(waits.get(p.name, ())))
        for key in p.waits:
            waiters.setdefault(key, []).append(p.index)
        own = signalled.get(p.name, set())
        p.signals = tuple(dict.fromkeys([*node.emit, *(k for k in own if k not in node.emit)]))
        watch: list[str] = []
        for name in p.inputs:
            if name in shared or name in node.shared_ports:
                continue  # a shared write never makes a reader run again
            if name in sources:
                watch.extend(source_key(name, nodes[s].name) for s in sources[name])
            else:
                watch.append(name)
        p.watch = (*watch, *p.waits)
        p.entry = p.name in entry
        p.held = tuple(index[h] for h in structure.held.get(p.name, ()))
    for p in nodes:
        p.sourced_out = frozenset(o for o in p.outputs if o in sourced_names)
        p.ordered = bool(
            p.waits
            or p.signals
            or p.sources
            or p.sourced_out
            or p.entry
            or p.held
            or len(p.watch) != len(p.inputs)
        )
        p.once = False  # waits and shared names make re-runs that no static order shows
    plan.waiters = {k: tuple(v) for k, v in waiters.items()}
    plan.all_once = False
    plan.levels = ()
    plan.unchecked = shared | sourced_names
    if structure.wiring is not None and structure.wiring.edges is not None:
        # Explicit edges make several producers of a name legal: writes in one superstep are
        # applied in node order (the last wins), as for shared names, never a ConflictError.
        several = {name for name, ps in structure.producers.items() if len(ps) > 1}
        plan.unchecked |= several
    # A produced name that is also an input (shared, or a nested graph's shared port) is the
    # caller's initial value, never a bypass of its producers.
    order = structure.input_order
    plan.internal = frozenset(v for v in structure.producers if v not in order) - emits
    # Inputs of the nodes upstream of the entrypoints may be given: those nodes never run.
    left_out = [n for name, n in structure.all_nodes.items() if name not in structure.nodes]
    plan.known = (plan.known - emits) | {i for n in left_out for i in n.inputs}


#: The version key counting the commits of producers that share a name ('@' is in no name).
CLOCK = "@"


def _written(ex: Execution, name: str, sources: tuple[int, ...]) -> bool:
    outputs_of = ex.outputs_of
    for s in sources:
        out = outputs_of[s]
        if out is not None and name in out:
            return True
    return name in ex.values and all(s in ex.bypassed for s in sources)


def ordered_ready(ex: Execution, p: NodePlan) -> bool:
    """Readiness after the availability checks, for a node with wiring (``p.ordered``)."""
    for name, srcs in p.sources.items():
        if not _written(ex, name, srcs):
            return False
    sched = cast("Supersteps", ex.schedule)  # ordered nodes never take a fixed schedule
    i = p.index
    last = sched.last[i]
    versions = ex.versions
    if last is None:
        if p.entry:
            return True
        if p.held and all(ex.outputs_of[h] is None for h in p.held):
            return False  # the entrypoint's cycle starts at the entrypoint
        return all(versions.get(key, 0) for key in p.waits)
    n = len(p.waits)
    if n:
        # Every wait fresh: produced again since this node last ran (then it runs again).
        return all(versions.get(key, 0) != v for key, v in zip(p.waits, last[-n:]))
    if p.controllers and sched.activation[i] != sched.seen[i]:
        return True  # a gate decided for it again
    return any(versions.get(key, 0) != v for key, v in zip(p.watch, last))


def _latest(ex: Execution, name: str, sources: tuple[int, ...]) -> Any:
    versions, nodes = ex.versions, ex.plan.nodes
    best, value = -1, _MISSING
    for s in sources:
        out = ex.outputs_of[s]
        stamp = versions.get(CLOCK + nodes[s].name, 0)
        if out is not None and name in out and stamp > best:
            best, value = stamp, out[name]
    return value


def ordered_inputs(ex: Execution, p: NodePlan) -> tuple[dict[str, Any], tuple[int, ...]]:
    """Resolved inputs (a sourced name from its latest declared source) and watched versions."""
    values, bound = ex.values, ex.bound
    kwargs: dict[str, Any] = {}
    for name in p.inputs:
        srcs = p.sources.get(name)
        if srcs is not None:
            value = _latest(ex, name, srcs)
            if value is not _MISSING:
                kwargs[name] = value
                continue
        if name in values:
            kwargs[name] = values[name]
        elif name in bound:
            kwargs[name] = bound[name]
    versions = ex.versions
    return kwargs, tuple([versions.get(key, 0) for key in p.watch])


def signal(ex: Execution, p: NodePlan, outputs: dict[str, Any]) -> None:
    """A completion: bump its signals and per-producer versions (before ``outputs_of``)."""
    sched = cast("Supersteps", ex.schedule)  # ordered nodes never take a fixed schedule
    versions, pending = ex.versions, sched.pending
    waiters = ex.plan.waiters
    for key in p.signals:
        versions[key] = versions.get(key, 0) + 1
        pending.update(waiters.get(key, ()))
    if p.sourced_out:
        previous = ex.outputs_of[p.index]
        consumers = ex.plan.consumers
        for name in p.sourced_out:
            if name not in outputs:
                continue
            if (
                previous is None
                or name not in previous
                or not is_same(previous[name], outputs[name])
            ):
                key = source_key(name, p.name)
                versions[key] = versions.get(key, 0) + 1
                pending.update(consumers.get(name, ()))
        versions[CLOCK] = versions[CLOCK + p.name] = versions.get(CLOCK, 0) + 1


def signalled(ex: Execution, p: NodePlan) -> dict[str, int]:
    """The keys ``signal`` bumped for ``p``, with their versions (a ``Delta``'s ``written``)."""
    versions = ex.versions
    keys = [*p.signals, *(source_key(n, p.name) for n in p.sourced_out)]
    if p.sourced_out:
        keys += [CLOCK, CLOCK + p.name]
    return {k: versions[k] for k in keys if k in versions}


def check_entry_select(graph: Graph, select: tuple[str, ...] | None) -> None:
    """Selecting a value only the nodes upstream of the entrypoints produce is an error."""
    if select is None or graph.entrypoints_config is None:
        return
    s = graph._structure
    active = s.producers
    upstream: dict[str, list[str]] = {}
    for name, n in s.all_nodes.items():
        if name not in s.nodes:
            for o in n.data_outputs:
                if o not in active:
                    upstream.setdefault(o, []).append(name)
    bad = [name for name in select if name in upstream]
    if bad:
        raise GraphConfigError(
            message(
                f"Cannot select {fmt_names(bad)}: not produced from the entrypoints "
                f"{fmt_names(graph.entrypoints_config)}",
                [
                    f"{name!r} is produced by {fmt_names(upstream[name])}, upstream of them"
                    for name in bad
                ],
                "select values the active graph produces, or start earlier with "
                "graph.with_entrypoint(...)",
            )
        )
