"""The execution core: one run of one graph as a state machine without I/O.

Both runners drive the same ``Execution``::

    ex = Execution(...)
    while batch := ex.next_superstep():      # the ready nodes, in node order
        done = [(p, outputs, versions) for each p in batch, executed however the driver likes]
        ex.commit(done)                      # apply outputs in node order, check conflicts
    result = ex.result(select)

The execution owns the state, input resolution (§4.3), versions (§4.5), commits with conflict
detection (ERR-04), failure bookkeeping (§4.11) and ``select`` (§4.9); who runs next is its
schedule's business (``_schedule``: a fixed schedule, the dataflow, or the general readiness
rules of §4.2/§4.4 with the cycle budget). ``commit`` returns a ``Delta`` (what changed) when
the execution records, ``fold`` turns recorded deltas back into a state, and
``Execution.from_state`` goes on from one: the seams a checkpointer uses.
"""

from __future__ import annotations

import contextlib
from collections import ChainMap
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import msgspec

from hypergraph_graph import Graph
from hypergraph_types import (
    ConflictError,
    GraphState,
    NodeExecution,
    PauseInfo,
    RunResult,
    RunStatus,
)
from hypergraph_types._internal import CallSite, Suggester, fmt_names, is_same, message

from ._inputs import Prepared, addressed_ports
from ._interrupt import NO_ANSWERS, record_pauses, take_answers
from ._leaf import DECISION, NodeFailure
from ._ordering import ordered_inputs, signal, signalled
from ._plan import NodePlan, Plan
from ._schedule import FIXED, Dataflow, Fixed, Supersteps

__all__ = ["Delta", "Done", "Execution", "Resume", "Scope", "WarnOnce", "fold"]

#: ``versions`` of a run with a fixed schedule, which keeps none: every value is written once,
#: at version 1, and ``Execution.state`` derives them. Never written.
_ALL_FIRST: dict[str, int] = {}
#: ``ports`` of a run without addressed values. Never written.
_NO_PORTS: dict[int, frozenset[str]] = {}
#: ``routed`` of a run without answers for its GraphNodes. Never written.
_NO_ROUTED: dict[str, dict[str, Any]] = {}

Done = tuple[NodePlan, dict[str, Any], tuple[int, ...]]
"""A finished node of a superstep: its plan, its outputs and the input versions it consumed."""


class Scope(msgspec.Struct, frozen=True, gc=False):
    """Where a run sits in its top-level call, for node paths and failure notes.

    Attributes:
        prefix: Node-path prefix of this run's nodes ("" at the top, "rag." or "rag[3]." nested).
        run_id: The run id the user sees (the top-level run, or the ``map`` item's run).
        item: The ``runner.map`` item index, or ``None``.
    """

    prefix: str
    run_id: str
    item: int | None

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


class Delta(msgspec.Struct, frozen=True, gc=False):
    """What one commit changed: the unit a checkpointer persists (one superstep).

    Attributes:
        step: The superstep's number in this run (1-based).
        written: Each name written, with its version after the commit (a value equal to the
            old one keeps its version).
        executions: The nodes that completed, with the input versions they consumed and
            their outputs (a gate's outputs are empty: its decision is in ``decisions``).
        decisions: Gate name -> the target names it chose.
    """

    step: int
    written: dict[str, int]
    executions: tuple[NodeExecution, ...]
    decisions: dict[str, tuple[str, ...]]


class Resume(msgspec.Struct, frozen=True, gc=False):
    """Where a recorded run stands after some of its commits: ``Execution.from_state``'s input.

    Attributes:
        state: Values, versions and each node's last execution.
        decisions: Gate name -> the targets of its latest decision.
        unseen: Gate targets decided for that have not run since.
        cycle_steps: Supersteps that counted against ``max_iterations``.
        step: Supersteps committed.
    """

    state: GraphState
    decisions: dict[str, tuple[str, ...]]
    unseen: frozenset[str]
    cycle_steps: int
    step: int


def fold(plan: Plan, inputs: Mapping[str, Any], deltas: Sequence[Delta]) -> Resume:
    """Replay a run's ``Delta`` records (in order) over its inputs: the state they lead to.

    ``inputs`` are the run's initial values (version 1). Values come from the executions'
    outputs, so a checkpointer that stores deltas can rebuild any superstep's state.
    """
    values = dict(inputs)
    versions = dict.fromkeys(values, 1)
    executions: dict[str, NodeExecution] = {}
    decisions: dict[str, tuple[str, ...]] = {}
    unseen: set[str] = set()
    cycle_steps = 0
    by_name = plan.by_name
    for delta in deltas:
        cyclic = False
        for record in delta.executions:
            executions[record.node_name] = record
            values.update(record.outputs)
            unseen.discard(record.node_name)
            cyclic = cyclic or by_name[record.node_name].cyclic
        versions.update(delta.written)
        for gate, chosen in delta.decisions.items():
            decisions[gate] = chosen
            unseen.update(chosen)
        cycle_steps += cyclic
    step = deltas[-1].step if deltas else 0
    state = GraphState(values, versions, executions)
    return Resume(state, decisions, frozenset(unseen), cycle_steps, step)


class Execution:
    """The state of one run of one graph (a top-level run, a map item or a nested run).

    The execution keeps the state (values, versions, what each node produced), resolves
    inputs, commits outputs and records failures; its ``schedule`` (``_schedule``) decides
    who runs next. Drivers loop over ``next_superstep`` and ``commit``.

    Attributes:
        graph, plan: The graph and its compiled plan.
        scope: Where the run sits in its top-level call (paths, notes).
        run_id: The run id of this run.
        max_iterations: The cycle budget (supersteps with a node on a cycle).
        values: Name -> current value (inputs, bypass values, outputs so far).
        versions: Name -> version; the shared empty ``_ALL_FIRST`` when ``fixed`` (every
            value is written once, at version 1: ``state`` derives them).
        bound: The graph's bound values (read after ``values``).
        addressed: GraphNode name -> values addressed into its nested graph.
        bypassed: Indices of the nodes whose outputs were supplied (they never run).
        ports: GraphNode index -> its addressed inputs (see ``Supersteps``).
        outputs_of: Per node, what its latest execution produced (``None``: never ran).
        nested: GraphNode name -> its nested ``RunResult`` (a list when mapped).
        error, failed_path: The run's failure and the node path it happened at.
        holes: A nested run left an output of its GraphNode unwritten: a fixed schedule or
            the dataflow skips the consumers of what is missing.
        fixed: Every node runs at most once, in the plan's levels (``Fixed`` or
            ``Dataflow``): commit skips version bookkeeping.
        schedule: ``Fixed``, ``Dataflow`` or ``Supersteps``.
        levels: For a fixed schedule, the plan's levels still to run (an iterator).
        step: Supersteps handed out so far (a fixed schedule counts only recorded commits).
        record: ``commit`` returns a ``Delta`` (a checkpointer persists it); else ``None``.
    """

    __slots__ = (
        "addressed",
        "answers",
        "bound",
        "bypassed",
        "error",
        "failed_path",
        "fixed",
        "graph",
        "holes",
        "levels",
        "max_iterations",
        "nested",
        "outputs_of",
        "pauses",
        "plan",
        "ports",
        "record",
        "routed",
        "run_id",
        "schedule",
        "scope",
        "step",
        "values",
        "versions",
    )

    def __init__(
        self,
        graph: Graph,
        plan: Plan,
        prepared: Prepared,
        max_iterations: int,
        scope: Scope,
        run_id: str,
        *,
        record: bool = False,
        general: bool = False,
    ) -> None:
        """``general``: follow ``Supersteps`` even where a fixed schedule would do (a run
        whose commits are recorded may want every superstep's shape)."""
        self.graph = graph
        self.plan = plan
        self.scope = scope
        self.run_id = run_id
        self.max_iterations = max_iterations
        self.values = dict(prepared.values)
        self.bound = graph.inputs.bound
        self.addressed = prepared.addressed
        self.bypassed = prepared.bypassed
        self.outputs_of: list[dict[str, Any] | None] = [None] * len(plan.nodes)
        self.nested: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.failed_path: str | None = None
        self.holes = False
        self.record = record
        self.step = 0
        # Interrupts (``_interrupt``): the answers this run holds (each consumed once), those
        # for interrupts inside its GraphNodes, and the pauses of its last superstep.
        self.pauses: tuple[PauseInfo, ...] = ()
        if plan.answer_keys:
            self.answers, self.routed = take_answers(plan, self.values)
        else:
            self.answers = NO_ANSWERS
            self.routed = _NO_ROUTED
        if plan.all_once and not prepared.bypassed and not prepared.addressed and not general:
            self.fixed = True
            self.schedule: Fixed | Dataflow | Supersteps = FIXED
            self.levels = iter(plan.levels)
            self.versions = _ALL_FIRST
            self.ports = _NO_PORTS
            return
        self.fixed = False
        self.versions = dict.fromkeys(self.values, 1)
        self.ports = addressed_ports(plan, prepared.addressed) if prepared.addressed else _NO_PORTS
        self.schedule = Supersteps(plan, self.ports)

    @classmethod
    def from_state(
        cls,
        graph: Graph,
        plan: Plan,
        state: GraphState,
        prepared: Prepared,
        max_iterations: int,
        scope: Scope,
        run_id: str,
        *,
        decisions: Mapping[str, Sequence[str]] | None = None,
        unseen: Collection[str] = (),
        cycle_steps: int = 0,
        step: int = 0,
        record: bool = False,
    ) -> Execution:
        """An execution that goes on from a saved state (the resume seam).

        ``state`` holds the values with their versions and each node's last execution (the
        input versions it consumed); ``prepared`` the run's inputs (values already in
        ``state`` win). The general rules then decide what runs: a node that never ran, or
        whose inputs changed since it ran. Gates need their latest ``decisions`` (gate name
        -> target names) and the targets a decision activated that had not run since
        (``unseen``); ``cycle_steps`` and ``step`` continue the budget and the numbering.
        ``fold`` computes all of it from the run's ``Delta`` records.
        """
        ex = cls(graph, plan, prepared, max_iterations, scope, run_id, record=record, general=True)
        ex.values.update(state.values)
        ex.versions.update(state.versions)
        ex.step = step
        sched = ex.schedule
        assert isinstance(sched, Supersteps)
        sched.cycle_steps = cycle_steps
        by_name = plan.by_name
        for name, execution in state.node_executions.items():
            p = by_name.get(name)
            if p is None:
                continue  # a node the saved run had and this graph has not
            ex.outputs_of[p.index] = dict(execution.outputs)
            consumed = execution.input_versions
            sched.last[p.index] = () if p.once else tuple([consumed.get(n, 0) for n in p.watch])
        for gate, chosen in (decisions or {}).items():
            g = by_name[gate]
            targets = frozenset([by_name[t].index for t in chosen])
            sched.decisions[g.index] = targets
            for t in targets:
                sched.activation[t] += 1
                if plan.nodes[t].name not in unseen:
                    sched.seen[t] += 1
        return ex

    @property
    def decisions(self) -> dict[int, frozenset[int]]:
        """Gate index -> the targets its latest decision activated (empty without gates)."""
        sched = self.schedule
        return sched.decisions if isinstance(sched, Supersteps) else {}

    @property
    def state(self) -> GraphState:
        """The run state as a ``GraphState`` (TYPE-05), built on demand for inspection.

        Values and versions are the live dicts; ``node_executions`` is assembled from the
        per-node records the core keeps instead of building one record per execution.
        """
        fixed = self.fixed  # every value written once: all at version 1
        versions = dict.fromkeys(self.values, 1) if fixed else self.versions
        last = None if fixed else self.schedule.last  # type: ignore[union-attr]
        executions = {}
        for p in self.plan.nodes:
            outputs = self.outputs_of[p.index]
            if outputs is not None:
                consumed = (last[p.index] if last is not None else None) or tuple(
                    versions.get(n, 0) for n in p.watch
                )
                executions[p.name] = NodeExecution(p.name, dict(zip(p.watch, consumed)), outputs)
        return GraphState(self.values, versions, executions)

    # -- schedule --------------------------------------------------------------------------

    def next_superstep(self) -> Sequence[NodePlan]:
        """The ready nodes in node order; raises ``InfiniteLoopError`` when the budget is spent."""
        if self.fixed:  # the common nested run: no call into the schedule, no step count
            return next(self.levels, ()) if not self.holes else FIXED.next(self)
        self.step += 1
        if self.pauses:  # (a graph that can pause never has a fixed schedule)
            return ()  # the superstep that reached an interrupt was the last one
        return self.schedule.next(self)  # type: ignore[union-attr]

    def dataflow(self) -> Dataflow | None:
        """Switch a fixed schedule to the dataflow (AsyncRunner, RUN-06); else ``None``."""
        if not self.fixed:
            return None
        flow = Dataflow(self.plan)
        self.schedule = flow
        return flow

    # -- inputs ----------------------------------------------------------------------------

    def inputs_of(
        self, p: NodePlan, local: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], tuple[int, ...]]:
        """Resolved inputs (state, then binding; defaults are left to the node) and versions.

        ``local``: outputs a worker thread produced but the loop has not applied yet, read
        before the state (dataflow chains, ``_chain``).
        """
        kwargs: dict[str, Any] = {}
        if p.direct and p.index not in self.ports:
            # Every input is edge-fed and already final: no lookups elsewhere, no versions.
            # (Not for a GraphNode with addressed ports: those may run before their producer.)
            # (Plain loops here and in ``_selected``: on Python 3.11 a comprehension costs a
            # function call, as much as the whole loop for a node's few inputs.)
            state = self.values
            if local is None:
                for name in p.inputs:
                    kwargs[name] = state[name]
            else:
                for name in p.inputs:
                    kwargs[name] = local[name] if name in local else state[name]
            return kwargs, ()
        if p.ordered:
            return ordered_inputs(self, p)  # waits, shared names, declared sources
        values: Mapping[str, Any] = self.values if local is None else ChainMap(local, self.values)
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

    def commit(self, done: Sequence[Done], check: bool = True) -> Delta | None:  # noqa: C901
        """Apply a superstep's outputs in node order (raises ``ConflictError`` first if any).

        After a failure the completed siblings are applied without the conflict check: the
        run is already failed and reports that failure. Returns what changed when the
        execution ``record``s (a checkpointer's run), else ``None`` (nothing is built).
        (The fixed-schedule branch stays inline, C901 notwithstanding: it is the hot path of
        every acyclic run, and a call per superstep shows in the chain benchmark.)
        """
        if check and len(done) > 1:
            self._check_conflicts(done)
        values = self.values
        if self.fixed:
            # Every output is new (version 1), nothing needs re-examining.
            outputs_of = self.outputs_of
            for p, outputs, _ in done:
                outputs_of[p.index] = outputs
                values.update(outputs)
                if p.graph_node is not None and len(outputs) != len(p.outputs):
                    self.holes = True  # its nested run left an output unwritten
            return self._delta(done) if self.record else None
        sched = self.schedule
        assert isinstance(sched, Supersteps)
        # A graph that can pause always runs here: a paused node applies nothing.
        done = record_pauses(self, done) if self.plan.pausable else done
        versions = self.versions
        consumers = self.plan.consumers
        pending = sched.pending
        last, outputs_of = sched.last, self.outputs_of
        decided: dict[str, tuple[str, ...]] | None = {} if self.record else None
        if self.plan.has_gates:
            seen, activation = sched.seen, sched.activation
            for p, _, _ in done:
                seen[p.index] = activation[p.index]
        for p, outputs, consumed in done:
            if p.ordered:
                signal(self, p, outputs)  # emits, per-producer versions
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
                chosen = outputs.pop(DECISION)
                sched.decide(p, frozenset([self.plan.by_name[t].index for t in chosen]))
                if decided is not None:
                    decided[p.name] = chosen
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
        return self._delta(done, decided) if decided is not None else None

    def commit_node(self, p: NodePlan, outputs: dict[str, Any]) -> Delta | None:
        """Commit one node of a fixed-schedule run (the dataflow commits node by node).

        ``commit`` for a one-node superstep, without building the superstep.
        """
        if self.record:
            return self.commit(((p, outputs, ()),))
        self.outputs_of[p.index] = outputs
        self.values.update(outputs)
        if p.graph_node is not None and len(outputs) != len(p.outputs):
            self.holes = True  # its nested run left an output unwritten
        return None

    def _delta(
        self, done: Sequence[Done], decided: dict[str, tuple[str, ...]] | None = None
    ) -> Delta:
        """The ``Delta`` of a commit just applied (only for executions that ``record``)."""
        fixed = self.fixed
        versions = self.versions
        written: dict[str, int] = {}
        executions = []
        for p, outputs, consumed in done:
            for name in outputs:
                written[name] = 1 if fixed else versions[name]
            if p.ordered:
                written.update(signalled(self, p))  # emits and per-producer versions
            if not consumed:  # a node that runs once: its inputs are at version 1 (or absent)
                consumed = tuple([1 if n in self.values else 0 for n in p.inputs])
            executions.append(NodeExecution(p.name, dict(zip(p.watch, consumed)), dict(outputs)))
        if fixed:
            self.step += 1  # a fixed schedule counts its supersteps only when recording
        return Delta(self.step, written, tuple(executions), decided or {})

    def _check_conflicts(self, done: Sequence[Done]) -> None:
        written: dict[str, tuple[str, Any]] = {}
        unchecked = self.plan.unchecked  # shared names: the last write in node order wins
        for p, outputs, _ in done:
            if p.gate is not None:
                continue  # a gate writes no value, only its decision
            for name, value in outputs.items():
                if name in unchecked:
                    continue
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
        error = self.error
        if error is None and not self.pauses:
            return RunResult(self._selected(select, warn), RunStatus.COMPLETED, self.run_id)
        # A failed or paused run holds partial values: a select never warns about those.
        values = self._selected(select, None)
        if error is None:
            return RunResult(values, RunStatus.PAUSED, self.run_id, pauses=self.pauses)
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
            emits = self.graph._structure.emits
            hints += [
                f"{m!r} is an emit: it orders nodes and carries no value"
                for m in missing
                if m in emits
            ]
            warn.site.warn(
                message(
                    f"Requested outputs not found: {fmt_names(missing)}",
                    [f"Available outputs: {fmt_names(available)}", *hints],
                    "select names the run produced, or check result.status",
                ),
                UserWarning,
            )
        return out
