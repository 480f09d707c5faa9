"""v1.3 module path: ``AsyncRunner``."""

from __future__ import annotations

from hypergraph_runners import AsyncRunner as AsyncRunner

__all__ = ("AsyncRunner",)
