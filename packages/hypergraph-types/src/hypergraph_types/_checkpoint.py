"""The records a checkpointer's read API returns: ``WorkflowStatus``, ``Run``, ``StepRecord``.

Graph-free, so they live here with the other records; the checkpointers themselves live in
``hypergraph_runners.checkpoint``.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = ["Run", "StepRecord", "WorkflowStatus"]


class WorkflowStatus(enum.Enum):
    """Where a checkpointed workflow stands.

    ``RUNNING`` is also what a killed process leaves behind: resume treats a running workflow
    whose lock is free as interrupted. ``INTERRUPTED`` is written when a run stops on a
    ``BaseException`` (Ctrl-C, cancellation). ``PAUSED`` is for durable interrupts (a
    workflow waiting for a value from outside).
    """

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    PAUSED = "paused"


class Run(msgspec.Struct, frozen=True, kw_only=True):
    """One workflow as stored.

    Attributes:
        workflow_id: The id (``run-YYYYMMDD-xxxxxx`` when generated; children are
            ``<parent>/<node>``, map items ``<map>/<i>``).
        status: Its ``WorkflowStatus``.
        kind: ``"run"``, ``"map"``, ``"item"`` (a map item) or ``"nested"`` (a GraphNode's run).
        graph_name: The graph's name, if it has one.
        parent: The enclosing workflow of a child, else ``None``.
        forked_from: The workflow this one was forked from, else ``None``.
        fork_superstep: The source superstep of a fork.
        supersteps: Committed supersteps so far.
        run_id: The ``RunResult.run_id`` of the latest execution.
        created: Creation time (seconds since the epoch).
        updated: Time of the last write.
        error: ``"Type: message"`` of the failure, for a failed workflow.
    """

    workflow_id: str
    status: WorkflowStatus
    kind: str
    graph_name: str | None
    parent: str | None = None
    forked_from: str | None = None
    fork_superstep: int | None = None
    supersteps: int = 0
    run_id: str | None = None
    created: float = 0.0
    updated: float = 0.0
    error: str | None = None


class StepRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One node execution recorded in a workflow's journal.

    Attributes:
        superstep: The superstep it belongs to (1-based).
        node_name: The node's name.
        input_versions: Input name -> the version consumed.
        outputs: The names the node wrote (values: ``checkpointer.values``).
        written: Name -> version for the values that superstep changed because of this node.
        decision: For a gate, the names of the nodes it chose.
        fingerprint: The node's code fingerprint at that execution.
        committed: ``False`` for the completion of a superstep that never committed (the
            process died): such a record is replayed on resume when nothing changed.
    """

    superstep: int
    node_name: str
    input_versions: dict[str, int]
    outputs: tuple[str, ...]
    written: dict[str, int]
    decision: tuple[str, ...] | None = None
    fingerprint: str = ""
    committed: bool = True
