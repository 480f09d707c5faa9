"""v1.3 module path: the runners and the records a run produces."""

from __future__ import annotations

from hypergraph_runners import AsyncRunner as AsyncRunner
from hypergraph_runners import BaseRunner as BaseRunner
from hypergraph_runners import SyncRunner as SyncRunner
from hypergraph_types import GraphState as GraphState
from hypergraph_types import MapResult as MapResult
from hypergraph_types import NodeExecution as NodeExecution
from hypergraph_types import RunnerCapabilities as RunnerCapabilities
from hypergraph_types import RunResult as RunResult
from hypergraph_types import RunStatus as RunStatus

__all__ = (
    "AsyncRunner",
    "BaseRunner",
    "GraphState",
    "MapResult",
    "NodeExecution",
    "RunResult",
    "RunStatus",
    "RunnerCapabilities",
    "SyncRunner",
)
