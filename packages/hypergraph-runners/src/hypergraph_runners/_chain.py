"""One thread trip per run of sync work: ``def`` nodes that follow each other in a worker thread.

Under ``AsyncRunner`` a ``def`` body runs in a worker thread, and going from the event loop to
a thread and back costs far more than a trivial body (docs/performance.md has the numbers). In the
dataflow (acyclic graphs), when a ``def`` node finishes in its thread and it was the last
producer of exactly one node, and that node is a ``def`` FunctionNode too, the thread runs it
next instead of returning to the loop: a chain of ``def`` nodes costs one trip. The thread
never decides for the loop: it reads the loop's readiness counts, runs only nodes the loop
cannot start before this thread's outputs are applied, and hands everything back in order
(``Chained``), so the loop applies the outputs, starts the rest and sees one completion.

Where it stops, and why:
- several nodes became ready at once: the loop starts them, so they can run concurrently;
- the next node is async, a GraphNode (or anything but a ``def`` FunctionNode): the loop runs it;
- the next node has ``cache=True``: the loop runs it through the cache lookup (``cache``);
- ``stop`` is set (the run is stopping): at the next node boundary;
- a chained node failed: its failure travels back with what finished before it.
Event processors need the loop for each node's events, so a call with processors does not
chain (each ``def`` node is its own trip, as before).

Supersteps (cycles, gates, checkpointed runs) chain the same way (``run_sync_steps``): when a
superstep is one ``def`` node, its thread commits it and, while each next superstep is again one
``def`` node, runs and commits that one too, as the SyncRunner's loop would. The loop awaits that
thread and nothing else touches the execution meanwhile, so the thread may own it; a
checkpointed run's journal is then written from that thread (one superstep, one transaction, as
under the SyncRunner). It hands back the next superstep it computed but did not run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ._leaf import NodeFailure, Stop, run_sync_leaf
from ._plan import chainable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._core import Execution
    from ._plan import NodePlan
    from ._schedule import Dataflow
    from .checkpoint._journal import Journal

__all__ = ["Chained", "run_sync_chain", "run_sync_steps"]


class Chained(dict[str, Any]):
    """The first node's outputs, plus the nodes the same thread ran after it.

    Attributes:
        more: ``(node, outputs)`` of the nodes run after the first one, in the order they ran.
        failure: The chained node that failed and its failure, or ``None``.
    """

    __slots__ = ("failure", "more")

    def __init__(
        self,
        outputs: dict[str, Any],
        more: list[tuple[NodePlan, dict[str, Any]]],
        failure: tuple[NodePlan, NodeFailure] | None,
    ) -> None:
        super().__init__(outputs)
        self.more = more
        self.failure = failure


def run_sync_chain(
    ex: Execution, p: NodePlan, kwargs: dict[str, Any], stop: Stop
) -> dict[str, Any]:
    """Run ``p`` (a failure raises as from ``run_sync_leaf``), then the nodes only it fed."""
    outputs = run_sync_leaf(p, kwargs, stop)
    more: list[tuple[NodePlan, dict[str, Any]]] = []
    local: dict[str, Any] | None = None
    finished: dict[int, int] = {}
    flow = cast("Dataflow", ex.schedule)  # chains run only in the dataflow
    q = p
    while not stop.is_set():
        ready = flow.followers(ex, q, finished)
        if len(ready) != 1:
            break
        c = ready[0]
        if not chainable(c):
            break
        if local is None:
            local = dict(outputs)
        try:
            out = run_sync_leaf(c, ex.inputs_of(c, local)[0], stop)
        except NodeFailure as failure:
            return Chained(outputs, more, (c, failure))
        more.append((c, out))
        local.update(out)
        q = c
    if not more:
        return outputs
    return Chained(outputs, more, None)


def run_sync_steps(
    ex: Execution,
    steps: Execution | Journal,
    p: NodePlan,
    kwargs: dict[str, Any],
    versions: tuple[int, ...],
    stop: Stop,
) -> Sequence[NodePlan]:
    """Run the one-node superstep ``p`` and commit it, then each next superstep while it is one
    ``def`` node; return the next superstep, not run (``()``: the run is over or failed).

    ``steps`` is the execution, or the checkpoint journal that records its supersteps. A node
    failure is committed here as the loop would (the run's failure, nothing more runs).
    """
    while True:
        try:
            outputs = run_sync_leaf(p, kwargs, stop)
        except NodeFailure as failure:
            if stop.is_set():
                raise  # the loop is being cancelled: the failure is late (``in_thread``)
            ex.fail_node(p, failure)
            steps.commit([], False)
            return ()
        steps.commit([(p, outputs, versions)], ex.error is None)
        if ex.error is not None:  # a checkpoint write failed (durability "sync")
            return ()
        batch = steps.next_superstep()
        if len(batch) != 1 or stop.is_set() or not chainable(batch[0]):
            return batch
        p = batch[0]
        kwargs, versions = ex.inputs_of(p)
