"""Checking the keys of ``values`` against a graph (SPEC §6.5 steps 4-7, §4.6, NEST-05).

``prepare`` splits the caller's values into plain values, values addressed to nested graphs
(``"rag.top_k"``) and the set of producers bypassed by values given for their outputs, raising
every validation error before any node runs. ``prepare_nested`` does the cheap part of the
same work for a nested run, whose values the parent already checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from hypergraph_graph import Graph, GraphNode
from hypergraph_types import InvalidInputError, UnknownInputError
from hypergraph_types._internal import (
    CallSite,
    Suggester,
    did_you_mean,
    fmt_names,
    message,
    missing_input_error,
    quote,
)

from ._plan import Plan, plan_of

__all__ = ["NO_BYPASS", "Prepared", "addressed_ports", "item_prepared", "prepare", "prepare_nested"]


class Prepared(msgspec.Struct, frozen=True):
    """Validated run inputs.

    Attributes:
        values: Plain names -> values (graph inputs and bypass values).
        addressed: GraphNode name -> {inner name or deeper address: value}.
        bypassed: Indices of the nodes that must not run (their outputs were supplied).
    """

    values: dict[str, Any]
    addressed: dict[str, dict[str, Any]]
    bypassed: frozenset[int]


NO_BYPASS: frozenset[int] = frozenset()


def prepare_nested(graph: Graph, values: dict[str, Any]) -> Prepared:
    """Split a nested run's values; the parent validated them already."""
    plan = plan_of(graph)
    addressed: dict[str, dict[str, Any]] = {}
    bypassed = NO_BYPASS
    internal = plan.internal
    for key in values:
        if "." in key:
            head, _, rest = key.partition(".")
            addressed.setdefault(head, {})[rest] = values[key]
        elif key in internal:
            bypassed = bypassed | set(plan.producers[key])
    if addressed:
        values = {k: v for k, v in values.items() if "." not in k}
    return Prepared(values, addressed, bypassed)


def item_prepared(base: Prepared, values: dict[str, Any]) -> Prepared:
    """One resumed map item's inputs: the map's shared ones (``base``) plus the item's own,
    among them the answers given by address (``answers={i: {"batch.approved": True}}``,
    ``_interrupt``), which join the addressed ones. (Other maps merge the two inline: their
    items' names are plain, ``map_over`` refuses addresses.)
    """
    for key in values:
        if "." in key:
            return _with_addresses(base, values)
    return Prepared({**base.values, **values}, base.addressed, base.bypassed)


def _with_addresses(base: Prepared, values: dict[str, Any]) -> Prepared:
    plain = dict(base.values)
    addressed = {head: dict(inner) for head, inner in base.addressed.items()}
    for key, value in values.items():
        head, dot, rest = key.partition(".")
        if dot:
            addressed.setdefault(head, {})[rest] = value
        else:
            plain[key] = value
    return Prepared(plain, addressed, base.bypassed)


def prepare(graph: Graph, values: dict[str, Any], *, warn_internal: bool = True) -> Prepared:
    """Validate ``values`` for ``graph`` (§6.5 steps 4-7) and split them."""
    plan = plan_of(graph)
    plain: dict[str, Any] = {}
    addresses: dict[str, tuple[str, Any]] = {}
    for key, value in values.items():
        if "." in key or "/" in key:
            addresses[key] = (key.replace("/", "."), value)
        else:
            plain[key] = value
    addressed = _check_addresses(graph, addresses)
    _check_unknown(graph, plan, plain, addressed)
    bypassed = _bypassed(plan, plain, warn_internal)
    _check_missing(graph, plan, plain, addressed, bypassed)
    return Prepared(plain, addressed, bypassed)


def _check_addresses(
    graph: Graph, addresses: dict[str, tuple[str, Any]]
) -> dict[str, dict[str, Any]]:
    addressed: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    for key, (address, value) in addresses.items():
        if any(not seg for seg in address.split(".")):
            raise InvalidInputError(
                message(
                    f"Malformed address {quote(key)}: it has an empty segment",
                    ["addresses look like 'graph_node.input' or 'outer.inner.input'"],
                    "remove the extra '.' or '/'",
                )
            )
        if address in seen:
            raise InvalidInputError(
                message(
                    f"The same address is given twice: {quote(seen[address])} and {quote(key)}",
                    ["'/' and '.' are equivalent in addresses"],
                    "pass each address once",
                )
            )
        seen[address] = key
        _resolve_address(graph, address, key)
        head, _, rest = address.partition(".")
        addressed.setdefault(head, {})[rest] = value
    for head, values in addressed.items():
        gn = plan_of(graph).by_name[head].graph_node
        assert gn is not None  # resolved above
        _check_addressed_cover(gn.graph, values, f"{head}.")
    return addressed


def _resolve_address(graph: Graph, address: str, key: str) -> None:
    head, _, rest = address.partition(".")
    nodes = graph._nodes
    plan = plan_of(graph)
    graph_node_names = [gn.name for gn in plan.graph_nodes]
    if head not in nodes:
        raise UnknownInputError(
            [key],
            graph_node_names,
            message(
                f"Unknown address {quote(key)}: no graph node {quote(head)}",
                [
                    did_you_mean(head, graph_node_names),
                    f"Graph nodes: {fmt_names(graph_node_names)}",
                ],
                "address a nested graph by its node name, e.g. 'rag.top_k'",
            ),
        )
    gn = plan.by_name[head].graph_node
    if gn is None:
        raise UnknownInputError(
            [key],
            graph_node_names,
            message(
                f"Unknown address {quote(key)}: {quote(head)} is not a graph node",
                [f"Graph nodes: {fmt_names(graph_node_names)}"],
                f"pass {head}'s inputs by their plain names instead",
            ),
        )
    inner = gn.graph
    if "." in rest:
        _resolve_address(inner, rest, key)
        return
    inner_plan = plan_of(inner)
    if (
        rest not in inner.inputs.all
        and rest not in inner_plan.internal
        and rest not in inner_plan.answer_keys
    ):
        valid = inner.inputs.all
        raise UnknownInputError(
            [key],
            list(valid),
            message(
                f"Unknown address {quote(key)}: {quote(rest)} is not an input of nested "
                f"graph {quote(head)}",
                [did_you_mean(rest, valid), f"Inputs of {quote(head)}: {fmt_names(valid)}"],
                "use the nested graph's own input names (not renamed ports)",
            ),
        )


def _check_unknown(
    graph: Graph, plan: Plan, plain: Mapping[str, Any], addressed: Mapping[str, Any]
) -> None:
    known = plan.known
    unknown = [k for k in plain if k not in known]
    if not unknown:
        return
    valid = graph.inputs.all
    hints: list[str | None] = []
    answers = list(plan.answer_keys)  # interrupts' answers (issue 18) are valid names too
    pool = Suggester([*valid, *sorted(plan.internal), *answers])  # built once for every unknown
    for name in unknown:
        hint = pool.did_you_mean(name)
        hints.append(f"{quote(name)}: {hint}" if hint else None)
        if name in plan.by_name and plan.by_name[name].graph_node is not None:
            hints.append(f"{quote(name)} is a graph node: address its inputs as '{name}.<input>'")
    hints.append(f"Valid inputs: {fmt_names(valid)}")
    if answers:
        hints.append(f"Answers to interrupts (response keys): {fmt_names(answers)}")
    missing = _missing_names(graph, plan, plain, addressed, NO_BYPASS)
    if missing[0] or missing[1]:
        hints.append(f"Missing inputs: {fmt_names([*missing[0], *missing[1]])}")
    raise UnknownInputError(
        unknown,
        list(valid),
        message(
            f"Unknown input names: {fmt_names(unknown)}",
            hints,
            "fix the spelling, or remove names the graph does not use",
        ),
    )


def _bypassed(plan: Plan, plain: Mapping[str, Any], warn: bool) -> frozenset[int]:
    internal = [k for k in plain if k in plan.internal]
    if not internal:
        return NO_BYPASS
    bypassed = _covered_producers(plan, internal, plain, "")
    if warn:
        pairs = ", ".join(
            f"{k!r} (from node {', '.join(repr(plan.nodes[i].name) for i in plan.producers[k])})"
            for k in internal
        )
        CallSite().warn(
            f"Values given for internal names {pairs}: their producers will not run and the "
            "given values stand in for their outputs.",
            UserWarning,
        )
    return frozenset(bypassed)


def _covered_producers(
    plan: Plan, internal: list[str], given: Mapping[str, Any], prefix: str
) -> set[int]:
    """The producers bypassed by values given for ``internal`` names; each must be covered.

    A value for some outputs of a node but not all is an ``InvalidInputError``: the node
    could neither run (its outputs are partly given) nor be skipped (some are missing).
    ``prefix`` is the address of a nested graph (``"rag."``) whose values these are.
    """
    bypassed: set[int] = set()
    for key in internal:
        for index in plan.producers[key]:
            producer = plan.nodes[index]
            supplied = [o for o in producer.outputs if o in given]
            if len(supplied) != len(producer.outputs):
                name = prefix + producer.name
                raise InvalidInputError(
                    message(
                        f"Values cover only some outputs of node {name!r}",
                        [
                            f"outputs of {name!r}: "
                            f"{fmt_names([prefix + o for o in producer.outputs])}",
                            f"supplied: {fmt_names([prefix + o for o in supplied])}",
                        ],
                        "supply all of them to skip the node, or none to let it run",
                    )
                )
            bypassed.add(index)
    return bypassed


def _check_addressed_cover(graph: Graph, addressed: Mapping[str, Any], prefix: str) -> None:
    """Addressed values follow the bypass rule inside their nested graph, at every depth."""
    plan = plan_of(graph)
    deeper: dict[str, dict[str, Any]] = {}
    internal = []
    for key, value in addressed.items():
        if "." in key:
            head, _, rest = key.partition(".")
            deeper.setdefault(head, {})[rest] = value
        elif key in plan.internal:
            internal.append(key)
    if internal:
        _covered_producers(plan, internal, addressed, prefix)
    for head, values in deeper.items():
        gn = plan.by_name[head].graph_node
        assert gn is not None  # resolved by _resolve_address
        _check_addressed_cover(gn.graph, values, f"{prefix}{head}.")


def port_covered(gn: GraphNode, port: str, addressed: Mapping[str, Any]) -> bool:
    """True if addressed values supply everything behind ``gn``'s input ``port`` (NEST-05.7).

    ``addressed`` holds the values addressed to ``gn`` (inner names or deeper addresses). A
    port is covered when its inner name is addressed directly, or when every inner consumer
    of it is a GraphNode whose own port is covered by a deeper address.
    """
    inner = next(iter(gn.map_inputs_to_params({port: None})))
    if inner in addressed:
        return True
    deeper: dict[str, dict[str, Any]] = {}
    for key, value in addressed.items():
        if "." in key:
            head, _, rest = key.partition(".")
            deeper.setdefault(head, {})[rest] = value
    if not deeper:
        return False
    plan = plan_of(gn.graph)
    consumers = [plan.nodes[i] for i in plan.consumers.get(inner, ())]
    return bool(consumers) and all(
        c.graph_node is not None
        and c.name in deeper
        and port_covered(c.graph_node, inner, deeper[c.name])
        for c in consumers
    )


def addressed_ports(
    plan: Plan, addressed: Mapping[str, Mapping[str, Any]]
) -> dict[int, frozenset[str]]:
    """GraphNode index -> its ports covered by addressed values (always available)."""
    ports: dict[int, frozenset[str]] = {}
    for name, values in addressed.items():
        p = plan.by_name[name]
        gn = p.graph_node
        if gn is not None:
            ports[p.index] = frozenset(port for port in gn.inputs if port_covered(gn, port, values))
    return ports


def _missing_names(
    graph: Graph,
    plan: Plan,
    plain: Mapping[str, Any],
    addressed: Mapping[str, Mapping[str, Any]],
    bypassed: frozenset[int],
) -> tuple[list[str], list[str]]:
    spec = graph.inputs
    absent = [n for n in spec.required if n not in plain]
    absent_seeds = [n for n in spec.seeds if n not in plain]
    if not absent and not absent_seeds:
        return absent, absent_seeds  # the common case: every input was given
    covered = addressed_ports(plan, addressed) if addressed else {}

    def needed(name: str) -> bool:
        return any(
            i not in bypassed and name not in covered.get(i, ())
            for i in plan.consumers.get(name, ())
        )

    return [n for n in absent if needed(n)], [n for n in absent_seeds if needed(n)]


def _check_missing(
    graph: Graph,
    plan: Plan,
    plain: Mapping[str, Any],
    addressed: Mapping[str, Mapping[str, Any]],
    bypassed: frozenset[int],
) -> None:
    required, seeds = _missing_names(graph, plan, plain, addressed, bypassed)
    if required or seeds:
        raise missing_input_error(required, seeds, list(plain))
