"""Checkpoint and resume: durable runs on SQLite (docs/durable-runs.md).

Example:
    >>> from hypergraph import Graph, SyncRunner, node
    >>> from hypergraph.checkpointers import MemoryCheckpointer
    >>> @node(output_name="y")
    ... def double(x: int) -> int:
    ...     return 2 * x
    >>> runner = SyncRunner(checkpointer=MemoryCheckpointer())
    >>> runner.run(Graph([double]), x=2, workflow_id="demo")["y"]
    4
"""

from __future__ import annotations

from hypergraph_runners.checkpoint import MemoryCheckpointer as MemoryCheckpointer
from hypergraph_runners.checkpoint import Run as Run
from hypergraph_runners.checkpoint import SqliteCheckpointer as SqliteCheckpointer
from hypergraph_runners.checkpoint import StepRecord as StepRecord
from hypergraph_runners.checkpoint import WorkflowStatus as WorkflowStatus

__all__ = ("MemoryCheckpointer", "Run", "SqliteCheckpointer", "StepRecord", "WorkflowStatus")
