"""v1.3 module path: the node classes, ``node`` and rename records."""

from __future__ import annotations

from hypergraph_graph import END as END
from hypergraph_graph import FunctionNode as FunctionNode
from hypergraph_graph import GateNode as GateNode
from hypergraph_graph import GraphNode as GraphNode
from hypergraph_graph import HyperNode as HyperNode
from hypergraph_graph import IfElseNode as IfElseNode
from hypergraph_graph import InterruptNode as InterruptNode
from hypergraph_graph import RouteNode as RouteNode
from hypergraph_graph import ifelse as ifelse
from hypergraph_graph import interrupt as interrupt
from hypergraph_graph import node as node
from hypergraph_graph import route as route
from hypergraph_types import RenameEntry as RenameEntry
from hypergraph_types import RenameError as RenameError

__all__ = (
    "END",
    "FunctionNode",
    "GateNode",
    "GraphNode",
    "HyperNode",
    "IfElseNode",
    "InterruptNode",
    "RenameEntry",
    "RenameError",
    "RouteNode",
    "ifelse",
    "interrupt",
    "node",
    "route",
)
