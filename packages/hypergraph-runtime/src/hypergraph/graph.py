"""v1.3 module path: ``Graph`` and what it raises or returns."""

from __future__ import annotations

from hypergraph_graph import Graph as Graph
from hypergraph_types import GraphConfigError as GraphConfigError
from hypergraph_types import InputSpec as InputSpec

__all__ = ("Graph", "GraphConfigError", "InputSpec")
