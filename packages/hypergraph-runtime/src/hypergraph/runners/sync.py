"""v1.3 module path: ``SyncRunner``."""

from __future__ import annotations

from hypergraph_runners import SyncRunner as SyncRunner

__all__ = ("SyncRunner",)
