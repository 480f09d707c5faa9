"""Construction-time validation of a graph (SPEC §6.4, checks 1-14).

Check 1 raises ``TypeError`` at once. Checks 2-12 all run and every problem they find is
reported together in one ``GraphConfigError``; the ``strict_types`` checks 13-14 run only when
nothing else was found, and likewise report all their problems together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hypergraph_types import GraphConfigError
from hypergraph_types._internal import did_you_mean, fmt_names, is_same, message, quote, short_repr

from ._gate import END, GateNode
from ._names import identifier_problem, valid_identifiers
from ._node import HyperNode
from ._structure import Structure
from ._typecheck import is_compatible

__all__ = ["check_items", "check_types", "construction_problems", "raise_problems"]

RESERVED_NODE_NAMES = frozenset({"END"})


def _is_graph_node(n: HyperNode) -> bool:
    return type(n)._is_graph_node


def check_items(nodes: Iterable[Any]) -> list[HyperNode]:
    """Check 1: consume ``nodes`` once; every item must be a ``HyperNode``."""
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise TypeError(
            f"Graph expects an iterable of nodes, got {type(nodes).__name__}. "
            "How to fix: pass a list, e.g. Graph([f, g])."
        )
    items = list(nodes)
    # One isinstance per distinct class (an ABC check is slow, and this runs per node).
    if all(issubclass(cls, HyperNode) for cls in {type(item) for item in items}):
        return items
    bad = [(i, item) for i, item in enumerate(items) if not isinstance(item, HyperNode)]
    if bad:
        lines = [f"item #{i}: {short_repr(item)} ({type(item).__name__})" for i, item in bad]
        raise TypeError(
            message(
                f"Graph items must be nodes; {len(bad)} item(s) are not",
                lines,
                "decorate functions with @node (e.g. @node(output_name='y')) "
                "or wrap graphs with graph.as_node()",
            )
        )
    return items


def raise_problems(problems: Sequence[str], graph_name: str | None) -> None:
    """Raise one ``GraphConfigError`` reporting every problem, or nothing if there is none."""
    if not problems:
        return
    if len(problems) == 1:
        raise GraphConfigError(problems[0])
    where = f" in graph {quote(graph_name)}" if graph_name else ""
    blocks = [f"[{i}] {p}" for i, p in enumerate(problems, 1)]
    raise GraphConfigError(f"{len(problems)} problems found{where}:\n\n" + "\n\n".join(blocks))


def construction_problems(
    graph_name: str | None, items: Sequence[HyperNode], s: Structure
) -> list[str]:
    """Checks 2-12, in order."""
    problems: list[str] = []
    problems += _duplicate_names(items, s)
    problems += _multiple_producers(items, s)
    problems += _gate_targets(s)
    problems += s.wiring_problems
    problems += _graph_name(graph_name)
    problems += _node_names(s)
    problems += _port_names(s)
    problems += _graph_node_collisions(s)
    problems += _inconsistent_defaults(s)
    problems += _interrupt_questions(s)
    return problems


def _interrupt_questions(s: Structure) -> list[str]:
    """Every interrupt's question class names its ``answer_type`` (the answer's port type)."""
    problems = []
    for n in s.interrupts:
        problem = n.question_problem()  # type: ignore[attr-defined]
        if problem is not None:
            problems.append(problem)
    return problems


def _duplicate_names(items: Sequence[HyperNode], s: Structure) -> list[str]:
    if len(s.nodes) == len(items):  # the structure keeps one node per name
        return []
    by_name: dict[str, list[HyperNode]] = {}
    for n in items:
        by_name.setdefault(n.name, []).append(n)
    return [
        message(
            f"Duplicate node name: {quote(name)}",
            [f"node #{i + 1}: {short_repr(n)}" for i, n in enumerate(group)],
            "give each node a unique name, e.g. node.with_name('other'); "
            "list each node object once",
        )
        for name, group in by_name.items()
        if len(group) > 1
    ]


def _multiple_producers(items: Sequence[HyperNode], s: Structure) -> list[str]:
    if len(s.nodes) == len(items) and all(len(ps) == 1 for ps in s.producers.values()):
        return []  # distinct names, so the structure's producers are those of every item
    wiring = s.wiring
    if wiring is not None and wiring.edges is not None and not wiring.shared:
        return []  # explicit edges say which producer feeds each consumer
    shared = s.shared
    unique = list({id(n): n for n in items}.values())
    producers: dict[str, list[HyperNode]] = {}
    for n in unique:
        for out in n.data_outputs:
            if out not in shared:  # shared names: several writers, the last write wins
                producers.setdefault(out, []).append(n)
    # Producers of one name are legal when one single-target gate chooses between them all:
    # at most one of them is active at a time (GRAPH-07, mutually exclusive outputs).
    exclusive = [set(g.targets) for g in unique if type(g)._is_gate and g.exclusive]  # type: ignore[attr-defined]
    return [
        message(
            f"Multiple nodes produce {quote(out)}",
            [f"producers: {fmt_names(n.name for n in group)}"],
            "every output needs exactly one producer: rename one of them with "
            f".rename_outputs({_short(out)}='...'), or make them the targets of one "
            "route/ifelse gate so only one runs" + _state_hint(out, group),
        )
        for out, group in producers.items()
        if len(group) > 1 and not any({n.name for n in group} <= ts for ts in exclusive)
    ]


def _state_hint(out: str, group: Sequence[HyperNode]) -> str:
    """When a producer also reads the name, it is a loop's state (an agent's messages):
    point to the option made for it."""
    if not any(out in n.inputs for n in group):
        return ""
    return (
        f"; if the nodes take turns updating {quote(out)} in a loop, declare it shared: "
        f"Graph([...], shared=[{out!r}]) and order them with edges= or emit=/wait_for= "
        "(docs: Agent loops)"
    )


def _gate_targets(s: Structure) -> list[str]:
    problems = []
    names = list(s.all_nodes)
    for name, n in s.all_nodes.items():
        if not type(n)._is_gate:
            continue
        assert isinstance(n, GateNode)
        for target in n.targets:
            if target is END:
                continue
            if target == name:
                problems.append(
                    message(
                        f"Gate {quote(name)} cannot target itself",
                        [f"targets: {', '.join(map(str, n.targets))}"],
                        "a gate cannot choose itself; route to the node that should run next",
                    )
                )
            elif target not in s.all_nodes:
                problems.append(
                    message(
                        f"Gate {quote(name)} targets unknown node {quote(target)}",
                        [did_you_mean(target, names), f"Graph nodes: {fmt_names(names)}"],
                        "add that node to the graph, or fix the target's name",
                    )
                )
    return problems


def _short(name: str) -> str:
    """``name`` unquoted, shortened like ``quote`` does (SPEC §6.1: 100 characters)."""
    return quote(name)[1:-1]


def _short_tuple(names: tuple[str, ...]) -> str:
    """``repr(names)``, with names over 100 characters shortened."""
    if all(len(n) <= 100 for n in names):
        return repr(names)
    return "(" + ", ".join(quote(n) for n in names) + ("," if len(names) == 1 else "") + ")"


def _graph_name(name: str | None) -> list[str]:
    if name is None:
        return []
    return [
        message(
            f"Invalid graph name {quote(name)}: cannot contain {ch!r}",
            ["'.' and '/' separate the segments of nested input addresses ('inner.x')"],
            "choose a name without '.' or '/', e.g. with '_' or '-'",
        )
        for ch in (".", "/")
        if ch in name
    ]


def _node_names(s: Structure) -> list[str]:
    """Checks 5, 6 and 7, each over all nodes, so problems come out in check order."""
    if valid_identifiers(s.nodes) and RESERVED_NODE_NAMES.isdisjoint(s.nodes):
        return []  # GraphNode names that are identifiers have no '.' or '/' either
    reserved, invalid, graph_nodes = [], [], []
    for name, n in s.nodes.items():
        if name in RESERVED_NODE_NAMES:
            reserved.append(
                message(
                    f"Invalid node name {quote(name)}: {name} is reserved for routing",
                    [f"node: {short_repr(n)}"],
                    f"rename the node, e.g. node.with_name('{name.lower()}_node')",
                )
            )
        elif _is_graph_node(n):
            bad = [ch for ch in (".", "/") if ch in name]
            if bad or not name:
                graph_nodes.append(
                    message(
                        f"Invalid node name {quote(name)}: GraphNode names must be non-empty "
                        "and cannot contain '.' or '/'",
                        [
                            f"Reserved characters: {fmt_names(bad)}"
                            if bad
                            else "the name is empty (Reserved characters: '.' and '/')"
                        ],
                        "rename it with .with_name('...') or as_node(name='...')",
                    )
                )
        else:
            reason = identifier_problem(name)
            if reason:
                invalid.append(
                    message(
                        f"Invalid node name {quote(name)}: {reason}",
                        [f"node: {short_repr(n)}"],
                        "rename it with .with_name('valid_name') (lambdas need a name too)",
                    )
                )
    return reserved + invalid + graph_nodes


def _port_names(s: Structure) -> list[str]:
    if valid_identifiers(s.producers) and valid_identifiers(s.consumers):
        return []
    problems = []
    for kind, attr in (("output", "outputs"), ("input", "inputs")):
        for n in s.nodes.values():
            for port in getattr(n, attr):
                reason = identifier_problem(port)
                if reason:
                    problems.append(
                        message(
                            f"Invalid {kind} name {quote(port)} of node {quote(n.name)}: {reason}",
                            [f"{attr} of {quote(n.name)}: {_short_tuple(getattr(n, attr))}"],
                            f"rename it with .rename_{attr}({{{quote(port)}: 'valid_name'}})",
                        )
                    )
    return problems


def _graph_node_collisions(s: Structure) -> list[str]:
    """Checks 10 and 11, each over all nodes, so problems come out in check order."""
    with_output, with_input = [], []
    for name, n in s.nodes.items():
        if not _is_graph_node(n):
            continue
        others = [p for p in s.producers.get(name, ()) if p != name]
        if others:
            with_output.append(
                message(
                    f"GraphNode name {quote(name)} collides with output of node "
                    f"{fmt_names(others)}",
                    ["the nested RunResult is stored under the GraphNode's name"],
                    "rename the GraphNode (.with_name) or the output (.rename_outputs)",
                )
            )
        if s.input_order.get(name) in ("required", "optional"):
            with_input.append(
                message(
                    f"GraphNode name {quote(name)} collides with input {quote(name)} "
                    + (
                        f"of node(s) {fmt_names(others_in)}"
                        if (others_in := [c for c in s.consumers[name] if c != name])
                        else "(its own input)"
                    ),
                    ["the nested RunResult is stored under the GraphNode's name"],
                    "rename the GraphNode (.with_name) or the input (.rename_inputs)",
                )
            )
    return with_output + with_input


def _inconsistent_defaults(s: Structure) -> list[str]:
    problems = []
    for param, consumers in s.consumers.items():
        # Defaults of a produced name never apply (an edge feeds it, GRAPH-03), so only graph
        # inputs are compared; their fix, graph.bind(...), also works only for inputs.
        if len(consumers) < 2 or param in s.producers or param in s.shared:
            continue
        nodes = [s.nodes[c] for c in consumers]
        with_default = [n for n in nodes if n.has_default_for(param)]
        if not with_default:
            continue
        without = [n.name for n in nodes if not n.has_default_for(param)]
        if without:
            details = [
                f"with default: {fmt_names(n.name for n in with_default)}",
                f"without default: {fmt_names(without)}",
            ]
        else:
            values = [(n.name, n.get_default_for(param)) for n in with_default]
            first = values[0][1]
            if all(is_same(first, v) for _, v in values[1:]):
                continue
            details = [f"node {quote(name)} has default {short_repr(v)}" for name, v in values]
        problems.append(
            message(
                f"Inconsistent defaults for {quote(param)}",
                details,
                f"give every consumer the same default, or bind one value for all: "
                f"graph.bind({param}=...)",
            )
        )
    return problems


def check_types(s: Structure) -> list[str]:
    """Checks 13-14 (``strict_types``): every edge has both types and they are compatible."""
    problems = []
    for producer, consumer, value in s.edges:
        out_t = s.nodes[producer].get_output_type(value)
        in_t = s.nodes[consumer].get_input_type(value)
        if out_t is None or in_t is None:
            side = [
                f"output {quote(value)} of node {quote(producer)} has no annotation"
                if out_t is None
                else None,
                f"input {quote(value)} of node {quote(consumer)} has no annotation"
                if in_t is None
                else None,
            ]
            problems.append(
                message(
                    f"Missing type annotation on edge {quote(producer)} -> {quote(consumer)} "
                    f"({quote(value)})",
                    side,
                    "annotate both the producer's return type and the consumer's parameter, "
                    "or build the graph with strict_types=False",
                )
            )
        elif not is_compatible(out_t, in_t):
            problems.append(
                message(
                    f"Type mismatch on {quote(value)}: node {quote(producer)} produces "
                    f"{_type_name(out_t)}, node {quote(consumer)} expects {_type_name(in_t)}",
                    [f"edge: {producer} -> {consumer} ({value})"],
                    "make the annotations agree, or convert the value in a node between them",
                )
            )
    return problems


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else short_repr(tp)
