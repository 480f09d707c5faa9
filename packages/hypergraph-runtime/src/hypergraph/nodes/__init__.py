"""v1.3 module path: the node classes, ``node`` and rename records."""

from __future__ import annotations

from hypergraph_graph import FunctionNode as FunctionNode
from hypergraph_graph import GraphNode as GraphNode
from hypergraph_graph import HyperNode as HyperNode
from hypergraph_graph import node as node
from hypergraph_types import RenameEntry as RenameEntry
from hypergraph_types import RenameError as RenameError

__all__ = ("FunctionNode", "GraphNode", "HyperNode", "RenameEntry", "RenameError", "node")
