"""v1.3 module path: ``GraphNode``."""

from __future__ import annotations

from hypergraph_graph import GraphNode as GraphNode

__all__ = ("GraphNode",)
