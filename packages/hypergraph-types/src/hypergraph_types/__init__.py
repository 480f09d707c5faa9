"""Records, enums and errors shared by the Hypergraph packages.

This is the bottom layer: it depends only on msgspec, and every other Hypergraph package
imports from it.
"""

from __future__ import annotations

# -- checkpoint and resume (issue 17) ---------------------------------------------------------
from ._checkpoint import Run as Run
from ._checkpoint import StepRecord as StepRecord
from ._checkpoint import WorkflowStatus as WorkflowStatus
from ._errors import CheckpointError as CheckpointError
from ._errors import CheckpointIntegrityError as CheckpointIntegrityError
from ._errors import CheckpointStorageError as CheckpointStorageError
from ._errors import CheckpointValueError as CheckpointValueError
from ._errors import ConflictError as ConflictError
from ._errors import GraphChangedError as GraphChangedError
from ._errors import GraphConfigError as GraphConfigError
from ._errors import HypergraphError as HypergraphError
from ._errors import IncompatibleRunnerError as IncompatibleRunnerError
from ._errors import InfiniteLoopError as InfiniteLoopError
from ._errors import InputOverrideRequiresForkError as InputOverrideRequiresForkError
from ._errors import InvalidInputError as InvalidInputError
from ._errors import MissingInputError as MissingInputError
from ._errors import NodeCancelledError as NodeCancelledError
from ._errors import OutputMismatchError as OutputMismatchError
from ._errors import RemoteError as RemoteError
from ._errors import RenameError as RenameError
from ._errors import RunFailedError as RunFailedError
from ._errors import UnknownInputError as UnknownInputError
from ._errors import WorkerLostError as WorkerLostError
from ._errors import WorkflowAlreadyCompletedError as WorkflowAlreadyCompletedError
from ._errors import WorkflowAlreadyRunningError as WorkflowAlreadyRunningError
from ._events import AnyEvent as AnyEvent
from ._events import CacheHitEvent as CacheHitEvent
from ._events import Event as Event
from ._events import EventStatus as EventStatus

# issue 18: interrupts
from ._events import InterruptEvent as InterruptEvent
from ._events import MapItemEndEvent as MapItemEndEvent
from ._events import MapItemStartEvent as MapItemStartEvent
from ._events import NodeEndEvent as NodeEndEvent
from ._events import NodeErrorEvent as NodeErrorEvent
from ._events import NodeStartEvent as NodeStartEvent
from ._events import RunEndEvent as RunEndEvent
from ._events import RunStartEvent as RunStartEvent
from ._events import SuperstepStartEvent as SuperstepStartEvent
from ._map_result import MapResult as MapResult
from ._records import InputSpec as InputSpec
from ._records import RenameEntry as RenameEntry
from ._records import RunnerCapabilities as RunnerCapabilities
from ._result import PauseInfo as PauseInfo
from ._result import RunResult as RunResult
from ._result import RunStatus as RunStatus
from ._state import GraphState as GraphState
from ._state import NodeExecution as NodeExecution

__all__ = (
    "AnyEvent",
    "CacheHitEvent",
    # checkpoint and resume (issue 17)
    "CheckpointError",
    "CheckpointIntegrityError",
    "CheckpointStorageError",
    "CheckpointValueError",
    "ConflictError",
    "Event",
    "EventStatus",
    "GraphChangedError",
    "GraphConfigError",
    "GraphState",
    "HypergraphError",
    "IncompatibleRunnerError",
    "InfiniteLoopError",
    "InputOverrideRequiresForkError",
    "InputSpec",
    "InterruptEvent",
    "InvalidInputError",
    "MapItemEndEvent",
    "MapItemStartEvent",
    "MapResult",
    "MissingInputError",
    "NodeCancelledError",
    "NodeEndEvent",
    "NodeErrorEvent",
    "NodeExecution",
    "NodeStartEvent",
    "OutputMismatchError",
    "PauseInfo",
    # executors (issue 19)
    "RemoteError",
    "RenameEntry",
    "RenameError",
    "Run",
    "RunEndEvent",
    "RunFailedError",
    "RunResult",
    "RunStartEvent",
    "RunStatus",
    "RunnerCapabilities",
    "StepRecord",
    "SuperstepStartEvent",
    "UnknownInputError",
    "WorkerLostError",
    "WorkflowAlreadyCompletedError",
    "WorkflowAlreadyRunningError",
    "WorkflowStatus",
)
