"""v1.3 module path: ``FunctionNode`` and ``node``."""

from __future__ import annotations

from hypergraph_graph import FunctionNode as FunctionNode
from hypergraph_graph import node as node

__all__ = ("FunctionNode", "node")
