"""v1.3 module path: every Hypergraph exception class."""

from __future__ import annotations

from hypergraph_types import ConflictError as ConflictError
from hypergraph_types import GraphConfigError as GraphConfigError
from hypergraph_types import HypergraphError as HypergraphError
from hypergraph_types import IncompatibleRunnerError as IncompatibleRunnerError
from hypergraph_types import InfiniteLoopError as InfiniteLoopError
from hypergraph_types import InvalidInputError as InvalidInputError
from hypergraph_types import MissingInputError as MissingInputError
from hypergraph_types import NodeCancelledError as NodeCancelledError
from hypergraph_types import OutputMismatchError as OutputMismatchError

# executors (issue 19)
from hypergraph_types import RemoteError as RemoteError
from hypergraph_types import RenameError as RenameError
from hypergraph_types import RunFailedError as RunFailedError
from hypergraph_types import UnknownInputError as UnknownInputError
from hypergraph_types import WorkerLostError as WorkerLostError

__all__ = (
    "ConflictError",
    "GraphConfigError",
    "HypergraphError",
    "IncompatibleRunnerError",
    "InfiniteLoopError",
    "InvalidInputError",
    "MissingInputError",
    "NodeCancelledError",
    "OutputMismatchError",
    # executors (issue 19)
    "RemoteError",
    "RenameError",
    "RunFailedError",
    "UnknownInputError",
    "WorkerLostError",
)
