"""Hypergraph: run graphs of plain Python functions.

The full install. This facade re-exports the public API of hypergraph-types,
hypergraph-graph and hypergraph-runners and has no logic of its own.
"""

from __future__ import annotations

from hypergraph_graph import END as END
from hypergraph_graph import FunctionNode as FunctionNode
from hypergraph_graph import GateNode as GateNode
from hypergraph_graph import Graph as Graph
from hypergraph_graph import GraphNode as GraphNode
from hypergraph_graph import GraphView as GraphView
from hypergraph_graph import HyperNode as HyperNode
from hypergraph_graph import IfElseNode as IfElseNode

# issue 18: interrupts
from hypergraph_graph import InterruptNode as InterruptNode
from hypergraph_graph import MermaidDiagram as MermaidDiagram
from hypergraph_graph import RouteNode as RouteNode
from hypergraph_graph import ifelse as ifelse
from hypergraph_graph import interrupt as interrupt
from hypergraph_graph import node as node
from hypergraph_graph import route as route
from hypergraph_runners import AsyncEventProcessor as AsyncEventProcessor
from hypergraph_runners import AsyncRunner as AsyncRunner
from hypergraph_runners import BaseRunner as BaseRunner
from hypergraph_runners import EventProcessor as EventProcessor

# executors: map on Dask and concurrent.futures executors (issue 19)
from hypergraph_runners import MapExecutor as MapExecutor
from hypergraph_runners import OpenTelemetryProcessor as OpenTelemetryProcessor
from hypergraph_runners import RichProgressProcessor as RichProgressProcessor
from hypergraph_runners import SyncRunner as SyncRunner
from hypergraph_types import AnyEvent as AnyEvent
from hypergraph_types import CacheHitEvent as CacheHitEvent

# -- checkpoint and resume (issue 17); the checkpointers: hypergraph.checkpointers -------------
from hypergraph_types import CheckpointError as CheckpointError
from hypergraph_types import CheckpointIntegrityError as CheckpointIntegrityError
from hypergraph_types import CheckpointStorageError as CheckpointStorageError
from hypergraph_types import CheckpointValueError as CheckpointValueError
from hypergraph_types import ConflictError as ConflictError
from hypergraph_types import Event as Event
from hypergraph_types import EventStatus as EventStatus
from hypergraph_types import GraphChangedError as GraphChangedError
from hypergraph_types import GraphConfigError as GraphConfigError
from hypergraph_types import GraphState as GraphState
from hypergraph_types import HypergraphError as HypergraphError
from hypergraph_types import IncompatibleRunnerError as IncompatibleRunnerError
from hypergraph_types import InfiniteLoopError as InfiniteLoopError
from hypergraph_types import InputOverrideRequiresForkError as InputOverrideRequiresForkError
from hypergraph_types import InputSpec as InputSpec
from hypergraph_types import InterruptEvent as InterruptEvent
from hypergraph_types import InvalidInputError as InvalidInputError
from hypergraph_types import MapItemEndEvent as MapItemEndEvent
from hypergraph_types import MapItemStartEvent as MapItemStartEvent
from hypergraph_types import MapResult as MapResult
from hypergraph_types import MissingInputError as MissingInputError
from hypergraph_types import NodeCancelledError as NodeCancelledError
from hypergraph_types import NodeEndEvent as NodeEndEvent
from hypergraph_types import NodeErrorEvent as NodeErrorEvent
from hypergraph_types import NodeExecution as NodeExecution
from hypergraph_types import NodeStartEvent as NodeStartEvent
from hypergraph_types import OutputMismatchError as OutputMismatchError
from hypergraph_types import PauseInfo as PauseInfo
from hypergraph_types import RemoteError as RemoteError
from hypergraph_types import RenameEntry as RenameEntry
from hypergraph_types import RenameError as RenameError
from hypergraph_types import Run as Run
from hypergraph_types import RunEndEvent as RunEndEvent
from hypergraph_types import RunFailedError as RunFailedError
from hypergraph_types import RunnerCapabilities as RunnerCapabilities
from hypergraph_types import RunResult as RunResult
from hypergraph_types import RunStartEvent as RunStartEvent
from hypergraph_types import RunStatus as RunStatus
from hypergraph_types import StepRecord as StepRecord
from hypergraph_types import SuperstepStartEvent as SuperstepStartEvent
from hypergraph_types import UnknownInputError as UnknownInputError
from hypergraph_types import WorkerLostError as WorkerLostError
from hypergraph_types import WorkflowAlreadyCompletedError as WorkflowAlreadyCompletedError
from hypergraph_types import WorkflowAlreadyRunningError as WorkflowAlreadyRunningError
from hypergraph_types import WorkflowStatus as WorkflowStatus

__version__ = "0.1.0"

# Tracebacks print ``module.Name``: show the name users import (hypergraph.MissingInputError),
# not where it is defined. Set here rather than in hypergraph_types because an install of
# hypergraph-graph alone has no ``hypergraph`` module; there the errors keep their importable
# home. Pickles do not depend on it (hypergraph_types pickles its errors by class name).
for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, HypergraphError):
        _cls.__module__ = __name__
del _cls

__all__ = (
    "END",
    "AnyEvent",
    "AsyncEventProcessor",
    "AsyncRunner",
    "BaseRunner",
    "CacheHitEvent",
    # checkpoint and resume (issue 17)
    "CheckpointError",
    "CheckpointIntegrityError",
    "CheckpointStorageError",
    "CheckpointValueError",
    "ConflictError",
    "Event",
    "EventProcessor",
    "EventStatus",
    "FunctionNode",
    "GateNode",
    "Graph",
    "GraphChangedError",
    "GraphConfigError",
    "GraphNode",
    "GraphState",
    "GraphView",
    "HyperNode",
    "HypergraphError",
    "IfElseNode",
    "IncompatibleRunnerError",
    "InfiniteLoopError",
    "InputOverrideRequiresForkError",
    "InputSpec",
    "InterruptEvent",
    "InterruptNode",
    "InvalidInputError",
    # executors (issue 19)
    "MapExecutor",
    "MapItemEndEvent",
    "MapItemStartEvent",
    "MapResult",
    "MermaidDiagram",
    "MissingInputError",
    "NodeCancelledError",
    "NodeEndEvent",
    "NodeErrorEvent",
    "NodeExecution",
    "NodeStartEvent",
    "OpenTelemetryProcessor",
    "OutputMismatchError",
    "PauseInfo",
    "RemoteError",
    "RenameEntry",
    "RenameError",
    "RichProgressProcessor",
    "RouteNode",
    "Run",
    "RunEndEvent",
    "RunFailedError",
    "RunResult",
    "RunStartEvent",
    "RunStatus",
    "RunnerCapabilities",
    "StepRecord",
    "SuperstepStartEvent",
    "SyncRunner",
    "UnknownInputError",
    "WorkerLostError",
    "WorkflowAlreadyCompletedError",
    "WorkflowAlreadyRunningError",
    "WorkflowStatus",
    "__version__",
    "ifelse",
    "interrupt",
    "node",
    "route",
)
