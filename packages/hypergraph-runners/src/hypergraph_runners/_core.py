"""The execution core: one run of one graph as a state machine without I/O.

Both runners drive the same ``Execution``::

    ex = Execution(...)
    while batch := ex.next_superstep():      # the ready nodes, in node order
        done = [(p, outputs, versions) for each p in batch, executed however the driver likes]
        ex.commit(done)                      # apply outputs in node order, check conflicts
    result = ex.result(select)

The core owns readiness (SPEC §4.2), input resolution (§4.3), supersteps (§4.4), versions and
the cycle budget (§4.5), conflict detection (ERR-04), failure bookkeeping (§4.11) and ``select``
(§4.9). Readiness is incremental: after a superstep only the consumers of values whose version
changed are examined again, so a chain of n nodes costs O(n) readiness checks in total.
"""

from __future__ import annotations

import contextlib
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hypergraph_graph import Graph
from hypergraph_types import (
    ConflictError,
    GraphState,
    InfiniteLoopError,
    NodeExecution,
    PauseInfo,
    RunResult,
    RunStatus,
)
from hypergraph_types._caller import CallSite
from hypergraph_types._format import Suggester, fmt_names, message
from hypergraph_types._sameness import is_same

from ._inputs import Prepared, addressed_ports
from ._interrupt import NO_ANSWERS, record_pauses, take_answers
from ._leaf import DECISION, NodeFailure
from ._plan import NodePlan, Plan

__all__ = ["Done", "Execution", "Scope", "WarnOnce"]

#: ``versions`` of a run with a fixed schedule, which keeps none: every value is written once,
#: at version 1, and ``Execution.state`` derives them. Never written.
_ALL_FIRST: dict[str, int] = {}
#: ``ports`` of a run without addressed values. Never written.
_NO_PORTS: dict[int, frozenset[str]] = {}
#: ``routed`` of a run without answers for its GraphNodes. Never written.
_NO_ROUTED: dict[str, dict[str, Any]] = {}

Done = tuple[NodePlan, dict[str, Any], tuple[int, ...]]
"""A finished node of a superstep: its plan, its outputs and the input versions it consumed."""


class Scope:
    """Where a run sits in its top-level call, for node paths and failure notes.

    Attributes:
        prefix: Node-path prefix of this run's nodes ("" at the top, "rag." or "rag[3]." nested).
        run_id: The run id the user sees (the top-level run, or the ``map`` item's run).
        item: The ``runner.map`` item index, or ``None``.
    """

    __slots__ = ("item", "prefix", "run_id")

    def __init__(self, prefix: str, run_id: str, item: int | None) -> None:
        self.prefix = prefix
        self.run_id = run_id
        self.item = item

    def child(self, segment: str) -> Scope:
        return Scope(f"{self.prefix}{segment}.", self.run_id, self.item)

    def note(self, what: str, also: Sequence[str] = ()) -> str:
        where = f"map item {self.item}, " if self.item is not None else ""
        text = f"hypergraph: {what} failed ({where}run {self.run_id})"
        if also:
            text += f"; also failed: {', '.join(also)}"
        return text


class WarnOnce:
    """Arms the ``select`` warning once per ``run()`` / ``map()`` call (SPEC §4.9, §5.1).

    Made at the start of a call with a ``select``: ``site`` is the user's line, where the
    warning points even when a map item in a worker task emits it.
    """

    __slots__ = ("armed", "site")

    def __init__(self, select: tuple[str, ...] | None) -> None:
        self.armed = select is not None
        self.site = CallSite() if select is not None else None


class Execution:
    """The state of one run of one graph (a top-level run, a map item or a nested run)."""

    __slots__ = (
        "activation",
        "addressed",
        "answers",
        "bound",
        "bypassed",
        "cycle_steps",
        "decisions",
        "error",
        "failed_path",
        "graph",
        "holes",
        "last",
        "max_iterations",
        "nested",
        "outputs_of",
        "pauses",
        "pending",
        "plan",
        "ports",
        "routed",
        "run_id",
        "schedule",
        "scope",
        "seen",
        "values",
        "versions",
        "waiting",
    )

    def __init__(
        self,
        graph: Graph,
        plan: Plan,
        prepared: Prepared,
        max_iterations: int,
        scope: Scope,
        run_id: str,
    ) -> None:
        self.graph = graph
        self.plan = plan
        self.scope = scope
        self.run_id = run_id
        self.max_iterations = max_iterations
        self.values = dict(prepared.values)
        self.bound = graph.inputs.bound
        self.addressed = prepared.addressed
        self.bypassed = prepared.bypassed
        # Per node: what its latest execution produced (``None``: never ran).
        self.outputs_of: list[dict[str, Any] | None] = [None] * len(plan.nodes)
        self.nested: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.failed_path: str | None = None
        self.cycle_steps = 0
        # A nested graph may not produce every output of its GraphNode (a gate chose END, a
        # user runner's result lacks one): set when that happens, so a fixed schedule or the
        # dataflow skips the consumers of what is missing, as the general readiness rules do.
        self.holes = False
        # Interrupts (issue 18, ``_interrupt``): the answers this run holds (consumed once),
        # those for interrupts inside its GraphNodes, and the pauses of the last superstep.
        self.pauses: list[PauseInfo] = []
        self.answers, self.routed = (
            take_answers(plan, self.values) if plan.answer_keys else (NO_ANSWERS, _NO_ROUTED)
        )
        # An acyclic, gate-free graph with nothing bypassed or addressed has a fixed schedule:
        # its supersteps come from the plan, readiness needs no checks at all, and every value
        # has version 1, so the state below is all it needs (this is the common nested run).
        if plan.all_once and not prepared.bypassed and not prepared.addressed:
            self.schedule: Iterator[Sequence[NodePlan]] | None = iter(plan.levels)
            self.versions = _ALL_FIRST
            self.ports = _NO_PORTS
            return
        self.schedule = None
        self.versions = dict.fromkeys(self.values, 1)
        self.ports = addressed_ports(plan, prepared.addressed) if prepared.addressed else _NO_PORTS
        # Per node, the input versions it consumed at its last execution (``None``: never
        # ran; ``()`` for a node that runs at most once).
        self.last: list[tuple[int, ...] | None] = [None] * len(plan.nodes)
        self.pending = set(plan.all_indices)
        # Gates: gate index -> the targets its latest decision activated; per node, how many
        # times it was activated, and the count it had seen when it last ran.
        self.decisions: dict[int, frozenset[int]] = {}
        self.activation = [0] * len(plan.nodes) if plan.has_gates else []
        self.seen = [0] * len(plan.nodes) if plan.has_gates else []

    @property
    def state(self) -> GraphState:
        """The run state as a ``GraphState`` (TYPE-05), built on demand for inspection.

        Values and versions are the live dicts; ``node_executions`` is assembled from the
        per-node records the core keeps instead of building one record per execution.
        """
        fixed = self.schedule is not None  # every value written once: all at version 1
        versions = dict.fromkeys(self.values, 1) if fixed else self.versions
        executions = {}
        for p in self.plan.nodes:
            outputs = self.outputs_of[p.index]
            if outputs is not None:
                last = None if fixed else self.last[p.index]
                consumed = last or tuple(versions.get(n, 0) for n in p.inputs)
                executions[p.name] = NodeExecution(p.name, dict(zip(p.inputs, consumed)), outputs)
        return GraphState(self.values, versions, executions)

    # -- readiness -------------------------------------------------------------------------

    def _is_ready(self, p: NodePlan) -> bool:
        values = self.values
        skip = self.ports.get(p.index, ()) if self.ports else ()
        for name in p.edge_fed:
            if name not in values and name not in skip:
                return False
        bound = self.bound
        for name in p.free:
            if (
                name not in values
                and name not in bound
                and name not in p.defaulted
                and name not in skip
            ):
                return False
        last = self.last[p.index]
        if last is None:
            return True
        if p.once:
            return False
        if p.controllers and self.activation[p.index] != self.seen[p.index]:
            return True  # a gate decided for it again
        versions = self.versions
        for name, version in zip(p.inputs, last):
            if versions.get(name, 0) != version and name not in skip:
                return True
        return False

    def next_superstep(self) -> Sequence[NodePlan]:
        """The ready nodes in node order; raises ``InfiniteLoopError`` when the budget is spent."""
        if self.schedule is not None:
            if self.holes:
                return self._runnable_level()
            return next(self.schedule, ())
        if self.pauses:
            return ()  # the superstep that reached an interrupt was the last one
        pending = self.pending
        if self.bypassed:
            pending -= self.bypassed  # bypassed producers never run (§4.6)
        if not pending:
            return []
        nodes = self.plan.nodes
        order = sorted(pending) if len(pending) > 1 else pending
        ready = [nodes[i] for i in order if self._is_ready(nodes[i])]
        pending.clear()
        if self.plan.has_gates and ready:
            ready = self._gated(ready)
        for p in ready:
            if p.cyclic:
                if self.cycle_steps >= self.max_iterations:
                    raise InfiniteLoopError(
                        self.max_iterations, nodes=[q.name for q in ready if q.cyclic]
                    )
                self.cycle_steps += 1
                break
        return ready

    def _runnable_level(self) -> Sequence[NodePlan]:
        """A fixed schedule's next level without the nodes a missing value keeps from running.

        Such a node never runs (its producer wrote nothing for it), so its own consumers
        are dropped in later levels the same way; a level left empty is skipped.
        """
        values = self.values
        for level in self.schedule:  # type: ignore[union-attr]
            runnable = [p for p in level if all(n in values for n in p.edge_fed)]
            if runnable:
                return runnable
        return ()

    # -- dataflow (acyclic graphs under AsyncRunner, RUN-06) ----------------------------------

    @property
    def dataflow(self) -> bool:
        """True when nodes may start as soon as their inputs are final (a fixed schedule)."""
        return self.schedule is not None

    def first_ready(self) -> list[NodePlan]:
        """Dataflow: the nodes fed by no other node."""
        self.waiting = list(self.plan.waiting)
        return [p for p in self.plan.nodes if not self.waiting[p.index]]

    def finished(self, p: NodePlan, outputs: dict[str, Any]) -> list[NodePlan]:
        """Dataflow: apply one node's outputs; return the nodes whose inputs just became final.

        Each node runs once with the same inputs as under supersteps, so the values and the
        result are those of superstep semantics; only the interleaving differs.
        """
        self.commit(((p, outputs, ()),))
        waiting = self.waiting
        nodes = self.plan.nodes
        newly = []
        if self.holes and len(outputs) != len(p.outputs):
            for c in p.consumers:
                if any(n not in self.values for n in nodes[c].edge_fed if n in p.outputs):
                    waiting[c] = -1  # it never runs: below zero, the count never reaches 0
        for c in p.consumers:
            waiting[c] -= 1
            if not waiting[c]:
                newly.append(nodes[c])
        return newly

    def followers(self, q: NodePlan, finished: dict[int, int]) -> list[NodePlan]:
        """Dataflow, from a worker thread: the consumers ``q`` was the last one to feed.

        ``finished`` counts, per node, its producers that the calling thread has run but the
        loop has not yet applied (``finished``); it is updated here. Only the loop writes
        ``waiting``, and a node counted ready here is never ready for the loop before this
        thread's outputs are applied, so the two never start the same node.
        """
        waiting = self.waiting
        nodes = self.plan.nodes
        ready = []
        for c in q.consumers:
            n = finished[c] = finished.get(c, 0) + 1
            if waiting[c] == n:
                ready.append(nodes[c])
        return ready

    def _gated(self, ready: list[NodePlan]) -> list[NodePlan]:
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

        def survivors_of(clearing: frozenset[int]) -> list[NodePlan]:
            return [
                p
                for p in ready
                if not p.controllers
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

    # -- inputs ----------------------------------------------------------------------------

    def inputs_of(
        self, p: NodePlan, local: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], tuple[int, ...]]:
        """Resolved inputs (state, then binding; defaults are left to the node) and versions.

        ``local``: outputs a worker thread produced but the loop has not applied yet, read
        before the state (dataflow chains, ``_chain``).
        """
        values: Mapping[str, Any] = self.values if local is None else ChainMap(local, self.values)
        kwargs: dict[str, Any] = {}
        if p.once and not p.free and p.index not in self.ports:
            # Every input is edge-fed and already final: no lookups elsewhere, no versions.
            # (Not for a GraphNode with addressed ports: those may run before their producer.)
            # (Plain loops here and in ``_selected``: on Python 3.11 a comprehension costs a
            # function call, as much as the whole loop for a node's few inputs.)
            for name in p.inputs:
                kwargs[name] = values[name]
            return kwargs, ()
        bound = self.bound
        for name in p.inputs:
            if name in values:
                kwargs[name] = values[name]
            elif name in bound:
                kwargs[name] = bound[name]
        if p.once:
            return kwargs, ()
        versions = self.versions
        return kwargs, tuple([versions.get(name, 0) for name in p.inputs])

    # -- outputs ---------------------------------------------------------------------------

    def commit(self, done: Sequence[Done], check: bool = True) -> None:
        """Apply a superstep's outputs in node order (raises ``ConflictError`` first if any).

        After a failure the completed siblings are applied without the conflict check: the
        run is already failed and reports that failure.
        """
        if self.plan.pausable:
            done = record_pauses(self, done)
        if check and len(done) > 1:
            self._check_conflicts(done)
        values, versions = self.values, self.versions
        if self.schedule is not None:
            # A fixed schedule: every output is new (version 1), nothing needs re-examining.
            outputs_of = self.outputs_of
            for p, outputs, _ in done:
                outputs_of[p.index] = outputs
                values.update(outputs)
                if p.graph_node is not None and len(outputs) != len(p.outputs):
                    self.holes = True  # its nested run left an output unwritten
            return
        consumers = self.plan.consumers
        pending = self.pending
        last, outputs_of = self.last, self.outputs_of
        if self.plan.has_gates:
            for p, _, _ in done:
                self.seen[p.index] = self.activation[p.index]
        for p, outputs, consumed in done:
            last[p.index] = consumed
            outputs_of[p.index] = outputs
            if p.once:
                # Its outputs are written for the first and only time (the producer of a
                # provided name is bypassed, and repeated producers are gate targets).
                values.update(outputs)
                for name in outputs:
                    versions[name] = 1
                pending.update(p.consumers)
                continue
            if p.gate is not None:
                self._decide(p, outputs.pop(DECISION))
            for name, value in outputs.items():
                if name not in values:
                    versions[name] = 1
                elif not is_same(values[name], value):
                    versions[name] += 1
                else:
                    values[name] = value
                    continue
                values[name] = value
                pending.update(consumers.get(name, ()))

    def _decide(self, gate: NodePlan, chosen: tuple[str, ...]) -> None:
        by_name = self.plan.by_name
        targets = frozenset(by_name[name].index for name in chosen)
        self.decisions[gate.index] = targets
        for t in targets:
            self.activation[t] += 1
        self.pending.update(targets)

    def _check_conflicts(self, done: Sequence[Done]) -> None:
        written: dict[str, tuple[str, Any]] = {}
        for p, outputs, _ in done:
            if p.gate is not None:
                continue  # a gate writes no value, only its decision
            for name, value in outputs.items():
                if name in written:
                    first, other = written[name]
                    if not is_same(other, value):
                        raise ConflictError(
                            message(
                                f"Conflicting writes to {name!r} in one superstep",
                                [f"producers: {fmt_names([first, p.name])}"],
                                "make only one node produce it, or add a dependency "
                                "between the producers",
                            ),
                            value_name=name,
                            producers=(first, p.name),
                        )
                else:
                    written[name] = (p.name, value)

    # -- failures --------------------------------------------------------------------------

    def fail_node(self, p: NodePlan, failure: NodeFailure, also: Sequence[str] = ()) -> None:
        """Record a node failure; the innermost run adds the one note naming the path."""
        error = failure.error
        if failure.nested:
            self.failed_path = failure.path or self.scope.prefix + p.name
        else:
            self.failed_path = self.scope.prefix + p.name
            # An exception refusing notes (a frozen dataclass) still is the run's error.
            with contextlib.suppress(Exception):
                error.add_note(self.scope.note(f"node {self.failed_path!r}", also))
        self.error = error

    def fail_graph(self, error: BaseException) -> None:
        """Record an ``InfiniteLoopError`` / ``ConflictError`` of this run's graph."""
        label = self.scope.prefix[:-1] or self.graph.name or "<root>"
        error.add_note(self.scope.note(f"graph {label!r}"))
        self.error = error
        self.failed_path = None

    # -- result ----------------------------------------------------------------------------

    def result(self, select: tuple[str, ...] | None, warn: WarnOnce | None) -> RunResult:
        # A failed or paused run holds partial values: a select never warns about those.
        values = self._selected(select, warn if self.error is None and not self.pauses else None)
        if self.error is None:
            if self.pauses:
                return RunResult(values, RunStatus.PAUSED, self.run_id, pauses=tuple(self.pauses))
            return RunResult(values, RunStatus.COMPLETED, self.run_id)
        return RunResult(
            values, RunStatus.FAILED, self.run_id, error=self.error, failed_node=self.failed_path
        )

    def _selected(self, select: tuple[str, ...] | None, warn: WarnOnce | None) -> dict[str, Any]:
        values = self.values
        nested = self.nested
        if select is None:
            out = {}
            for k in self.plan.outputs:
                if k in values:
                    out[k] = values[k]
            if nested:
                for name in self.plan.graph_node_names:
                    if name in nested:
                        out.setdefault(name, nested[name])
            return out
        out = {}
        missing = []
        for name in select:
            if name in values:
                out[name] = values[name]
            elif name in nested:
                out[name] = nested[name]
            else:
                missing.append(name)
        if missing and warn is not None and warn.armed:
            assert warn.site is not None
            warn.armed = False
            available = [*values, *nested]
            pool = Suggester(available)
            hints = [pool.did_you_mean(m) for m in missing]
            warn.site.warn(
                message(
                    f"Requested outputs not found: {fmt_names(missing)}",
                    [f"Available outputs: {fmt_names(available)}", *hints],
                    "select names the run produced, or check result.status",
                ),
                UserWarning,
            )
        return out
