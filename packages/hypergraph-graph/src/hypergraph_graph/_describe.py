"""Static analysis for users who install only this package.

``Graph.describe()`` renders a report; ``python -m hypergraph_graph describe module:attr``
imports a graph and prints it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._graph_node import GraphNode

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["describe", "load_graph", "main"]


def describe(graph: Graph) -> str:
    """The report behind ``Graph.describe()``."""
    s = graph._structure
    spec = graph.inputs
    lines = [f"Graph {graph.name!r}" if graph.name else "Graph (unnamed)"]
    lines.append(f"  definition hash: {graph.definition_hash}")
    lines.append("Inputs:")
    lines.append(f"  required: {', '.join(spec.required) or '-'}")
    optional = [f"{n} (bound)" if n in spec.bound else n for n in spec.optional]
    lines.append(f"  optional: {', '.join(optional) or '-'}")
    lines.append(f"  seeds:    {', '.join(spec.seeds) or '-'}")
    lines.append(f"Outputs: {', '.join(graph.outputs) or '-'}")
    lines.append(f"  leaf outputs: {', '.join(graph.leaf_outputs) or '-'}")
    lines.append(f"Nodes ({len(s.nodes)}):")
    for name, n in s.nodes.items():
        kind = type(n).__name__
        flags = [f for f, on in (("async", n.is_async), ("generator", n.is_generator)) if on]
        if isinstance(n, GraphNode) and n.map_config is not None:
            params, mode = n.map_config
            flags.append(f"map_over={','.join(params)} ({mode})")
        if name in s.cyclic:
            flags.append("cyclic")
        suffix = f" [{', '.join(flags)}]" if flags else ""
        ins = ", ".join(n.inputs)
        outs = ", ".join(n.outputs) or "-"
        lines.append(f"  {name}: {kind}({ins}) -> {outs}{suffix}")
    lines.append(f"Edges ({len(s.edges)}):")
    lines.extend(f"  {u} -> {v} ({value})" for u, v, value in s.edges)
    cycles = _cycle_groups(graph)
    lines.append(f"Cycles: {'; '.join(', '.join(c) for c in cycles) if cycles else 'none'}")
    return "\n".join(lines)


def _cycle_groups(graph: Graph) -> list[list[str]]:
    s = graph._structure
    groups: dict[int, list[str]] = {}
    for name in s.nodes:
        if name in s.cyclic:
            groups.setdefault(s.component[name], []).append(name)
    return list(groups.values())


def load_graph(target: str) -> Graph:
    """Import ``package.module:attribute`` and return it; it must be a ``Graph``."""
    from ._graph import Graph

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(
            f"Bad target {target!r}: expected 'package.module:attribute', e.g. 'app.flows:graph'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"Cannot import module {module_name!r}: {exc}") from exc
    except Exception as exc:  # a broken graph definition fails the import: report it cleanly
        raise ValueError(
            f"Importing {module_name!r} failed with {type(exc).__name__}:\n{exc}"
        ) from exc
    obj: object = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"Module {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(obj, Graph):
        raise ValueError(f"{target!r} is a {type(obj).__name__}, not a Graph")
    return obj


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m hypergraph_graph describe package.module:graph``."""
    parser = argparse.ArgumentParser(
        prog="python -m hypergraph_graph", description="Static analysis of Hypergraph graphs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("describe", help="print a graph's inputs, outputs, nodes and edges")
    cmd.add_argument("target", help="where the graph lives, as package.module:attribute")
    args = parser.parse_args(argv)
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        graph = load_graph(args.target)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(describe(graph))
    return 0
