"""Hypergraph structure: nodes, graphs, validation and static analysis.

This package builds and checks graphs without running them; install ``hypergraph-runtime``
to execute them.
"""

from __future__ import annotations

from ._function import FunctionNode as FunctionNode
from ._function import node as node
from ._graph import Graph as Graph
from ._graph_node import GraphNode as GraphNode
from ._node import HyperNode as HyperNode

__all__ = ("FunctionNode", "Graph", "GraphNode", "HyperNode", "node")
