"""Hypergraph structure: nodes, graphs, validation and static analysis."""

from __future__ import annotations

__all__ = ()
