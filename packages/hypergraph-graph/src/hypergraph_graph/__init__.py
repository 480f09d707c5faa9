"""Hypergraph structure: nodes, graphs, validation and static analysis.

This package builds and checks graphs without running them; install ``hypergraph-runtime``
to execute them.
"""

from __future__ import annotations

from ._function import FunctionNode as FunctionNode
from ._function import node as node
from ._gate import END as END
from ._gate import GateNode as GateNode
from ._gate import IfElseNode as IfElseNode
from ._gate import RouteNode as RouteNode
from ._gate import ifelse as ifelse
from ._gate import route as route
from ._graph import Graph as Graph
from ._graph_node import GraphNode as GraphNode
from ._html import GraphView as GraphView
from ._interrupt import InterruptNode as InterruptNode
from ._interrupt import interrupt as interrupt
from ._mermaid import MermaidDiagram as MermaidDiagram
from ._node import HyperNode as HyperNode

__all__ = (
    "END",
    "FunctionNode",
    "GateNode",
    "Graph",
    "GraphNode",
    "GraphView",
    "HyperNode",
    "IfElseNode",
    "InterruptNode",
    "MermaidDiagram",
    "RouteNode",
    "ifelse",
    "interrupt",
    "node",
    "route",
)
