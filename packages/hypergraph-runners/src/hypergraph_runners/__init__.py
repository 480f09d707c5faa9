"""Hypergraph execution: one core driven by ``SyncRunner`` and ``AsyncRunner``."""

from __future__ import annotations

from ._async import AsyncRunner as AsyncRunner
from ._base import BaseRunner as BaseRunner
from ._events import AsyncEventProcessor as AsyncEventProcessor
from ._events import EventProcessor as EventProcessor
from ._otel import OpenTelemetryProcessor as OpenTelemetryProcessor
from ._progress import RichProgressProcessor as RichProgressProcessor
from ._sync import SyncRunner as SyncRunner
from ._tasks import DEFAULT_MAP_WORKERS as DEFAULT_MAP_WORKERS

# executors: map on Dask and concurrent.futures executors (issue 19)
from .executors import MapExecutor as MapExecutor

__all__ = (
    "DEFAULT_MAP_WORKERS",
    "AsyncEventProcessor",
    "AsyncRunner",
    "BaseRunner",
    "EventProcessor",
    # executors (issue 19)
    "MapExecutor",
    "OpenTelemetryProcessor",
    "RichProgressProcessor",
    "SyncRunner",
)
