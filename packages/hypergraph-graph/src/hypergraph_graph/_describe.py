"""Static analysis for users who install only this package.

``Graph.describe()`` renders a report; ``python -m hypergraph_graph describe module:attr``
imports a graph and prints it, or draws it (``--mermaid``, ``--html FILE``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._gate import END, GateNode, IfElseNode
from ._graph_node import GraphNode
from ._wiring import completion_key

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
        if isinstance(n, GateNode) and n.multi_target:
            flags.append("multi_target")
        if type(n)._is_interrupt:
            flags.append(f"interrupt: asks for {n.outputs[0]}")
        if name in s.cyclic:
            flags.append("cyclic")
        if n.emit:
            flags.append(f"emit={','.join(n.emit)}")
        if n.wait_for:
            flags.append(f"wait_for={','.join(n.wait_for)}")
        suffix = f" [{', '.join(flags)}]" if flags else ""
        ins = ", ".join(n.inputs)
        outs = ", ".join(n.data_outputs) or "-"
        lines.append(f"  {name}: {kind}({ins}) -> {outs}{suffix}")
    lines.append(f"Edges ({len(s.edges)}):")
    lines.extend(f"  {u} -> {v} ({value})" for u, v, value in s.edges)
    if s.wired:
        lines.extend(_wiring_lines(graph))
    gates = [n for n in s.nodes.values() if isinstance(n, GateNode)]
    if gates:  # the section appears only in graphs with gates
        control = [line for gate in gates for line in _control_lines(gate)]
        lines.append(f"Control edges ({len(control)}):")
        lines.extend(control)
    # Cycles over data and control edges: a gate-first loop is one cycle, not two.
    cycles = s.cycles
    lines.append(f"Cycles: {'; '.join(', '.join(c) for c in cycles) if cycles else 'none'}")
    return "\n".join(lines)


def _wiring_lines(graph: Graph) -> list[str]:
    """Ordering edges, shared names and entrypoints: only for graphs that use them."""
    s = graph._structure
    lines = [f"Ordering edges ({len(s.ordering_edges)}):"]
    for u, v, key in s.ordering_edges:
        note = "after" if key == completion_key(u) else f"wait_for {key}"
        lines.append(f"  {u} -> {v} ({note})")
    if s.shared:
        lines.append(f"Shared: {', '.join(graph.shared)}")
    entry = graph.entrypoints_config
    if entry:
        lines.append(f"Entrypoints: {', '.join(entry)}")
        left_out = [n for n in s.all_nodes if n not in s.nodes]
        lines.append(f"  upstream, never run: {', '.join(left_out) or '-'}")
    return lines


def _control_lines(gate: GateNode) -> list[str]:
    """``gate -> target`` for every target, with ``(True)``/``(False)`` or ``(fallback)``."""
    out = []
    for t in gate.targets:
        note = ""
        if isinstance(gate, IfElseNode):
            note = " (True)" if t == gate.when_true else " (False)"
        elif gate.fallback is not None and t == gate.fallback:
            note = " (fallback)"
        out.append(f"  {gate.name} -> {'END' if t is END else t}{note}")
    return out


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
    drawing = cmd.add_mutually_exclusive_group()
    drawing.add_argument(
        "--mermaid", action="store_true", help="print the graph as Mermaid flowchart text"
    )
    drawing.add_argument(
        "--html", metavar="FILE", help="write an interactive, offline HTML picture to FILE"
    )
    cmd.add_argument(
        "--depth",
        type=int,
        default=0,
        metavar="N",
        help="levels of nested graphs drawn open (--mermaid, --html; default 0)",
    )
    args = parser.parse_args(argv)
    if args.depth < 0:
        parser.error(f"--depth must be 0 or more, got {args.depth}")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        graph = load_graph(args.target)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.mermaid:
        print(graph.to_mermaid(depth=args.depth))
    elif args.html:
        try:
            path = graph.visualize(depth=args.depth).save(args.html)
        except OSError as exc:
            print(f"error: cannot write {args.html!r}: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {path}")
    else:
        print(describe(graph))
    return 0
