"""v1.3 module path: ``HyperNode``."""

from __future__ import annotations

from hypergraph_graph import HyperNode as HyperNode

__all__ = ("HyperNode",)
