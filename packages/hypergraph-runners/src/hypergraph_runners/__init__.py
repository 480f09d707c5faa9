"""Hypergraph execution: one core driven by SyncRunner and AsyncRunner."""

from __future__ import annotations

__all__ = ()
