"""Capability validation before any node runs (RUN-09) and the choice of a nested runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypergraph_graph import Graph
from hypergraph_types import IncompatibleRunnerError, RunnerCapabilities
from hypergraph_types._internal import fmt_names, message

from ._plan import plan_of

if TYPE_CHECKING:
    from ._base import BaseRunner

__all__ = ["check_capabilities", "covers"]


def covers(caps: RunnerCapabilities, graph: Graph) -> bool:
    """True if a runner with ``caps`` can execute the graph's own nodes itself (NEST-03 step 2)."""
    plan = plan_of(graph)
    if plan.async_leaves and not caps.supports_async_nodes:
        return False
    return caps.supports_cycles or not plan.has_cycles


def check_capabilities(runner: BaseRunner, graph: Graph) -> None:
    """Raise ``IncompatibleRunnerError`` if ``runner`` cannot execute ``graph``.

    A graph is immutable, so a success is remembered in its plan for those capabilities.
    """
    caps = runner.capabilities
    plan = plan_of(graph)
    if caps not in plan.capable:
        _check(caps, graph, "")
        plan.capable.add(caps)


def _check(caps: RunnerCapabilities, graph: Graph, prefix: str) -> None:
    plan = plan_of(graph)
    where = f"nested graph {prefix[:-1]!r} run by an explicit runner" if prefix else "the graph"
    if plan.async_leaves and not caps.supports_async_nodes:
        paths = [prefix + name for name in plan.async_leaves]
        raise IncompatibleRunnerError(
            message(
                f"Async nodes {fmt_names(paths)} in {where} need a runner that supports them",
                ["capability: supports_async_nodes"],
                "use AsyncRunner: `await AsyncRunner().run(graph, values)` "
                "(asyncio.run(...) in scripts)",
            ),
            node_name=paths[0],
            capability="supports_async_nodes",
        )
    if plan.has_cycles and not caps.supports_cycles:
        raise IncompatibleRunnerError(
            message(
                f"{where.capitalize()} has cycles, which the runner does not support",
                ["capability: supports_cycles"],
                "use SyncRunner or AsyncRunner, which run cycles",
            ),
            node_name=prefix[:-1] or None,
            capability="supports_cycles",
        )
    for foreign in plan.foreign:
        path = prefix + foreign.name
        raise IncompatibleRunnerError(
            message(
                f"Node {path!r} is a {type(foreign).__name__}, which the runner cannot execute",
                ["executable node classes: FunctionNode, GraphNode"],
                "wrap the logic in a function with @node, or a graph with as_node()",
            ),
            node_name=path,
            capability="node_type",
        )
    for gn in plan.graph_nodes:
        inner_prefix = f"{prefix}{gn.name}."
        if gn.runner is not None:
            _check(gn.runner.capabilities, gn.graph, inner_prefix)
        else:
            # Inherit, or be delegated to an AsyncRunner: only node classes can fail below.
            _check(_ANY, gn.graph, inner_prefix)


_ANY = RunnerCapabilities(supports_cycles=True, supports_async_nodes=True)
