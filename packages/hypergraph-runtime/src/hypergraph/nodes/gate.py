"""v1.3 module path: gates (``route``, ``ifelse``) and ``END``."""

from __future__ import annotations

from hypergraph_graph import END as END
from hypergraph_graph import GateNode as GateNode
from hypergraph_graph import IfElseNode as IfElseNode
from hypergraph_graph import RouteNode as RouteNode
from hypergraph_graph import ifelse as ifelse
from hypergraph_graph import route as route

__all__ = ("END", "GateNode", "IfElseNode", "RouteNode", "ifelse", "route")
