"""Hypergraph execution: one core driven by ``SyncRunner`` and ``AsyncRunner``."""

from __future__ import annotations

from ._async import AsyncRunner as AsyncRunner
from ._base import BaseRunner as BaseRunner
from ._sync import SyncRunner as SyncRunner
from ._tasks import DEFAULT_MAP_WORKERS as DEFAULT_MAP_WORKERS

__all__ = ("DEFAULT_MAP_WORKERS", "AsyncRunner", "BaseRunner", "SyncRunner")
