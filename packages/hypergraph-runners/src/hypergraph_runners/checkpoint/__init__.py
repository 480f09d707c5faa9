"""Checkpoint and resume: ``SqliteCheckpointer`` and ``MemoryCheckpointer`` (docs/durable-runs.md).

Imported only when a checkpointer is created: a run without one never loads this package
(nor ``sqlite3``).

Example:
    >>> from hypergraph_graph import Graph, node
    >>> from hypergraph_runners import SyncRunner
    >>> @node(output_name="y")
    ... def double(x: int) -> int:
    ...     return 2 * x
    >>> runner = SyncRunner(checkpointer=MemoryCheckpointer())
    >>> result = runner.run(Graph([double]), {"x": 2}, workflow_id="w1")
    >>> result["y"], result.workflow_id
    (4, 'w1')
    >>> runner.checkpointer.values("w1")["y"]
    4
"""

from __future__ import annotations

from hypergraph_types import Run as Run
from hypergraph_types import StepRecord as StepRecord
from hypergraph_types import WorkflowStatus as WorkflowStatus

from ._store import MemoryCheckpointer as MemoryCheckpointer
from ._store import SqliteCheckpointer as SqliteCheckpointer

__all__ = ("MemoryCheckpointer", "Run", "SqliteCheckpointer", "StepRecord", "WorkflowStatus")
