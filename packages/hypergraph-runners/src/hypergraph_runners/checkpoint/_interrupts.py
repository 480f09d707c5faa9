"""Durable interrupts: what a checkpointed run does when it pauses, and how it resumes.

- The superstep that pauses commits like any other, in one transaction, with one ``pause``
  record per paused interrupt (the ``PauseInfo``, through the value codec) in the
  ``records`` table; the interrupt itself is no node execution (it runs again on resume). The
  workflow's status then becomes ``paused``.
- A resume under the same ``workflow_id`` needs only the answers: they are never stored as
  the workflow's inputs (so they do not count as "other values", and an old answer is never
  replayed), and a child workflow is matched without them (a paused nested run or map item
  resumes from its own state, whatever superstep its parent resumes in).
- The stored result of a paused workflow is PAUSED with its pauses
  (``checkpointer.result(workflow_id)``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_types import PauseInfo

from .._codec import decode, encode
from .._interrupt import Paused, is_answer, record_pauses
from .._plan import plan_of

if TYPE_CHECKING:
    from hypergraph_graph import Graph

    from .._core import Done, Execution

__all__ = [
    "PAUSE",
    "addressed_without_answers",
    "answer_names",
    "is_paused",
    "pause_records",
    "stored_pauses",
    "without_answers",
]

#: The ``records.kind`` of a pause.
PAUSE = "pause"


def pause_records(
    ex: Execution, done: Sequence[Done]
) -> tuple[Sequence[Done], list[tuple[str, str, bytes | None]]]:
    """A superstep's completions without its paused nodes, and the record of its pauses.

    One record holds the superstep's ``PauseInfo``s in node order. A question the codec
    cannot store is left out (``value=None``): a resume asks again anyway, the question is
    never restored.
    """
    if not ex.plan.pausable:
        return done, []
    before = len(ex.pauses)
    done = record_pauses(ex, done)
    pauses = ex.pauses[before:]
    if not pauses:
        return done, []
    try:
        data = encode(pauses)
    except Exception:
        data = encode(tuple(PauseInfo(p.node_name, None, p.response_key) for p in pauses))
    return done, [(PAUSE, "", data)]


def is_paused(outputs: Mapping[str, Any]) -> bool:
    """The outputs of a node that paused (never recorded as a completion)."""
    return type(outputs) is Paused


def answer_names(graph: Graph, keys: Iterable[str]) -> set[str]:
    """The ``keys`` of ``values`` that answer the graph's interrupts (addresses included)."""
    plan = plan_of(graph)
    return {k for k in keys if is_answer(plan, k)} if plan.pausable else set()


def without_answers(graph: Graph, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the answers: what a workflow stores, and what identifies a child."""
    plan = plan_of(graph)
    if not plan.pausable:
        return dict(values)
    return {k: v for k, v in values.items() if not is_answer(plan, k)}


def addressed_without_answers(
    graph: Graph, addressed: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """Addressed values (GraphNode -> {inner address: value}) without the answers among them
    (``{"batch": {"approved": True}}``): a resumed map item is the same child with them."""
    plan = plan_of(graph)
    if not plan.pausable:
        return dict(addressed)
    kept: dict[str, Mapping[str, Any]] = {}
    for head, inner in addressed.items():
        rest = {k: v for k, v in inner.items() if not is_answer(plan, f"{head}.{k}")}
        if rest:
            kept[head] = rest
    return kept


def stored_pauses(conn: sqlite3.Connection, workflow_id: str) -> tuple[PauseInfo, ...]:
    """Writer thread: the pauses recorded with the workflow's last committed superstep."""
    row = conn.execute(
        "SELECT data FROM records WHERE workflow_id = ? AND kind = ? AND superstep = "
        "(SELECT MAX(superstep) FROM steps WHERE workflow_id = ?)",
        (workflow_id, PAUSE, workflow_id),
    ).fetchone()
    if row is None:
        return ()
    pauses = decode(row[0])
    return tuple(pauses) if isinstance(pauses, (tuple, list)) else ()
