"""Who runs next: the three schedules an ``Execution`` can follow.

An ``Execution`` (``_core``) owns a run's state; its schedule decides which nodes run next and
allocates only the bookkeeping that decision needs:

- ``Fixed``: an acyclic, gate-free graph with nothing bypassed or addressed. Its supersteps
  are the plan's precomputed levels; no readiness check, no versions (every value is written
  once). The common nested run.
- ``Dataflow``: the same graphs under ``AsyncRunner`` (RUN-06): a node starts as soon as the
  nodes feeding it have finished, with no barrier between supersteps. One counter per node.
- ``Supersteps``: everything else (cycles, gates, bypassed producers, addressed values, a
  resumed run): the general readiness rules of SPEC §4.2 and §4.4, incrementally (after a
  superstep only the consumers of what changed are examined again).

The drivers never look inside a schedule: they ask the execution for the next superstep
(``Execution.next_superstep``) or, in the dataflow, hand finished nodes to ``Dataflow``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_types import InfiniteLoopError

from ._chain import Chained
from ._ordering import ordered_ready

if TYPE_CHECKING:
    from ._core import Execution
    from ._leaf import NodeFailure
    from ._plan import NodePlan, Plan

__all__ = ["FIXED", "Dataflow", "Fixed", "Supersteps"]

#: ``ports`` of a run without addressed values. Never written.
_NO_PORTS: dict[int, frozenset[str]] = {}


class Fixed:
    """The plan's levels, in order; a level loses the nodes a missing value keeps out.

    Stateless (the position is the execution's ``levels`` iterator), so one instance,
    ``FIXED``, serves every run. ``Execution.next_superstep`` takes the next level itself
    while nothing is missing; a nested run may leave an output of its GraphNode unwritten (a
    gate chose END): the execution then has ``holes``, and here the consumers of what is
    missing are dropped, as under the general rules (a level left empty is skipped).
    """

    __slots__ = ()

    def next(self, ex: Execution) -> Sequence[NodePlan]:
        values = ex.values
        for level in ex.levels:
            runnable = [p for p in level if all(n in values for n in p.edge_fed)]
            if runnable:
                return runnable
        return ()


FIXED = Fixed()


class Dataflow:
    """A fixed-schedule graph run eagerly: per node, how many of its producers are unfinished.

    Each node still runs once with the inputs it has under supersteps, so values and results
    are those of superstep semantics; only the interleaving differs. Only the event loop
    writes ``waiting``; a worker thread reads it (``followers``).
    """

    __slots__ = ("waiting",)

    def __init__(self, plan: Plan) -> None:
        self.waiting = list(plan.waiting)

    def first_ready(self, ex: Execution) -> list[NodePlan]:
        """The nodes fed by no other node."""
        return list(ex.plan.roots)

    def finished(self, ex: Execution, p: NodePlan, outputs: dict[str, Any]) -> list[NodePlan]:
        """Commit one node's outputs; the nodes whose inputs just became final."""
        ex.commit_node(p, outputs)
        waiting = self.waiting
        nodes = ex.plan.nodes
        newly = []
        if ex.holes and len(outputs) != len(p.outputs):
            for c in p.consumers:
                if any(n not in ex.values for n in nodes[c].edge_fed if n in p.outputs):
                    waiting[c] = -1  # it never runs: below zero, the count never reaches 0
        for c in p.consumers:
            waiting[c] -= 1
            if not waiting[c]:
                newly.append(nodes[c])
        return newly

    def followers(self, ex: Execution, q: NodePlan, finished: dict[int, int]) -> list[NodePlan]:
        """From a worker thread: the consumers ``q`` was the last one to feed (``_chain``).

        ``finished`` counts, per node, its producers that the calling thread has run but the
        loop has not yet applied; it is updated here. A node counted ready here is never
        ready for the loop before this thread's outputs are applied, so the two never start
        the same node.
        """
        waiting = self.waiting
        nodes = ex.plan.nodes
        ready = []
        for c in q.consumers:
            n = finished[c] = finished.get(c, 0) + 1
            if waiting[c] == n:
                ready.append(nodes[c])
        return ready

    def apply(
        self,
        ex: Execution,
        outcomes: Sequence[tuple[NodePlan, Any]],
        errors: Sequence[BaseException | None],
        ready: list[NodePlan],
    ) -> list[tuple[NodePlan, NodeFailure]]:
        """Commit a wave's finished nodes (adding what they made ready to ``ready``).

        ``outcomes``: ``(node, finished task)`` in node order; ``errors``: each task's
        exception (``NodeFailure`` or ``None``). Returns the wave's node failures.
        """
        failures: list[tuple[NodePlan, NodeFailure]] = []
        for (p, task), exc in zip(outcomes, errors):
            if exc is None:
                outputs = task.result()
                newly = self.finished(ex, p, outputs)
                if type(outputs) is Chained:  # a thread ran more nodes after it
                    newly, failed = self.absorb(ex, outputs, newly)
                    if failed is not None:
                        failures.append(failed)
                ready.extend(newly)
            else:
                failures.append((p, exc))  # type: ignore[arg-type]  # a NodeFailure
        return failures

    def absorb(
        self, ex: Execution, outputs: Chained, newly: list[NodePlan]
    ) -> tuple[list[NodePlan], tuple[NodePlan, NodeFailure] | None]:
        """After a thread's first node, commit the nodes it ran after it (``_chain.Chained``).

        ``newly`` are the nodes the first node made ready; returns all that became ready
        (without the ones the thread already ran) and the chained node that failed, if any.
        """
        ran = {q.index for q, _ in outputs.more}
        if outputs.failure is not None:
            ran.add(outputs.failure[0].index)
        for q, out in outputs.more:
            newly.extend(self.finished(ex, q, out))
        return [c for c in newly if c.index not in ran], outputs.failure


class Supersteps:
    """The general readiness rules (SPEC §4.2, §4.4, docs/spec-gates.md).

    Attributes:
        pending: Indices of the nodes to examine at the next superstep (consumers of what
            changed, gate targets decided for); everything else cannot have become ready.
        last: Per node, the input versions it consumed at its last execution (``None``:
            never ran; ``()`` for a node that runs at most once).
        ports: GraphNode index -> its addressed inputs (a value addressed into the nested
            graph stands in for the port, which may then run before its producer).
        decisions: Gate index -> the targets its latest decision activated.
        activation: Per node, how many times a gate decided for it (gated graphs only).
        seen: Per node, the activation count it had seen when it last ran.
        cycle_steps: Supersteps with a node on a cycle, against ``max_iterations``.
    """

    __slots__ = ("activation", "cycle_steps", "decisions", "last", "pending", "ports", "seen")

    def __init__(self, plan: Plan, ports: dict[int, frozenset[str]] | None) -> None:
        n = len(plan.nodes)
        self.ports = ports or _NO_PORTS
        self.last: list[tuple[int, ...] | None] = [None] * n
        self.pending = set(plan.all_indices)
        self.decisions: dict[int, frozenset[int]] = {}
        self.activation = [0] * n if plan.has_gates else []
        self.seen = [0] * n if plan.has_gates else []
        self.cycle_steps = 0

    def is_ready(self, ex: Execution, p: NodePlan) -> bool:
        values = ex.values
        skip = self.ports.get(p.index, ()) if self.ports else ()
        for name in p.edge_fed:
            if name not in values and name not in skip:
                return False
        bound = ex.bound
        for name in p.free:
            if (
                name not in values
                and name not in bound
                and name not in p.defaulted
                and name not in skip
            ):
                return False
        if p.ordered:
            return ordered_ready(ex, p)  # waits, shared names, sources, entrypoints
        last = self.last[p.index]
        if last is None:
            return True
        if p.once:
            return False
        if p.controllers and self.activation[p.index] != self.seen[p.index]:
            return True  # a gate decided for it again
        versions = ex.versions
        for name, version in zip(p.inputs, last):
            if versions.get(name, 0) != version and name not in skip:
                return True
        return False

    def next(self, ex: Execution) -> list[NodePlan]:
        """The ready nodes in node order; raises ``InfiniteLoopError`` when the budget is spent."""
        pending = self.pending
        if ex.bypassed:
            pending -= ex.bypassed  # bypassed producers never run (§4.6)
        if not pending:
            return []
        plan = ex.plan
        nodes = plan.nodes
        order = sorted(pending) if len(pending) > 1 else pending
        ready = [nodes[i] for i in order if self.is_ready(ex, nodes[i])]
        pending.clear()
        if plan.has_gates and ready:
            ready = self.gated(ready)
        for p in ready:
            if p.cyclic:
                if self.cycle_steps >= ex.max_iterations:
                    raise InfiniteLoopError(
                        ex.max_iterations, nodes=[q.name for q in ready if q.cyclic]
                    )
                self.cycle_steps += 1
                break
        return ready

    def gated(self, ready: list[NodePlan]) -> list[NodePlan]:
        """Drop gate targets no gate has decided for (the routing rules in docs/spec-gates.md).

        A gate that runs in this superstep first loses its previous decision, so its targets
        wait for the new one (a loop "increment until count >= 3" ends at 3, not 4). Which
        gates run depends on which targets survive, since a gate may itself be a target:
        ``running(clearing)`` (the gates that survive when the gates in ``clearing`` have
        lost their decisions) shrinks as ``clearing`` grows, so iterating it from the empty
        set gives an increasing sequence (even steps) below a decreasing one (odd steps).
        Both settle within (number of gates + 1) steps. When they meet, that is the answer;
        when they do not (gates choosing each other, all ready at once), the smaller set
        loses its decisions: the decisions in force at the start of the superstep stand for
        the gates caught in that circle. Nothing here depends on the non-gate nodes that
        happen to be ready, so unrelated nodes never change which nodes run.
        """
        decisions = self.decisions
        last = self.last

        def survivors_of(clearing: frozenset[int]) -> list[NodePlan]:
            return [
                p
                for p in ready
                if not p.controllers
                or (p.entry and last[p.index] is None)  # an entrypoint starts the run
                or any(g not in clearing and p.index in decisions.get(g, ()) for g in p.controllers)
            ]

        def running(clearing: frozenset[int]) -> frozenset[int]:
            return frozenset([p.index for p in survivors_of(clearing) if p.gate is not None])

        low: frozenset[int] = frozenset()  # even steps: increasing
        high = running(low)  # odd steps: decreasing
        while True:
            nxt_low = running(high)
            nxt_high = running(nxt_low)
            if nxt_low == low and nxt_high == high:
                break
            low, high = nxt_low, nxt_high
        survivors = survivors_of(low)
        for p in survivors:
            if p.gate is not None:
                decisions.pop(p.index, None)  # a gate that runs decides anew
        return survivors

    def decide(self, gate: NodePlan, targets: frozenset[int]) -> None:
        """A gate's new decision: its targets are activated and examined next."""
        self.decisions[gate.index] = targets
        for t in targets:
            self.activation[t] += 1
        self.pending.update(targets)
