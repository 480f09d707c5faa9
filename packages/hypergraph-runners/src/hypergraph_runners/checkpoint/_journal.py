"""One checkpointed run (a workflow, or a child of one): restore, replay, commit, finish.

The driver loop of either runner calls ``next_superstep`` / ``commit`` (``acommit``) of a
journal instead of the execution's own, so the run without a checkpointer pays nothing:

- the journal makes the run's execution: a recording one (``Execution(record=True)``), or one
  that goes on from the stored state (``Execution.from_state``: values and versions as
  recorded, never recomputed; per node the versions it consumed; gate decisions; the cycle
  count and the superstep numbering).
- ``next_superstep``: a node of the interrupted superstep whose pending completion matches
  (same node, input versions and code fingerprint) is replayed instead of run.
- ``commit``: a superstep's delta is one transaction: blobs of new values, the node
  executions with the versions they consumed, the names whose version changed (with the new
  versions), gate decisions, and any extra records queued with ``add_record``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from hypergraph_types import CheckpointError, GraphState, NodeExecution, RunResult
from hypergraph_types._internal import describe_exception

from .._core import Done, Execution
from .._leaf import DECISION, NodeFailure
from .._plan import Plan, plan_of
from .._schedule import Supersteps
from ._blobs import blob_digest, encode_value, unstorable
from ._interrupts import is_paused, pause_records
from ._store import NodeRec, Snapshot, commit_step, encode_json, record_pending, update

if TYPE_CHECKING:
    from .._plan import NodePlan
    from ._session import Session, Start

__all__ = ["Journal"]

Job = tuple[Any, ...]


class Journal:
    """The journal of one run; made by ``Session.open`` (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        workflow_id: str,
        start: Start,
        snap: Snapshot | None,
        dropped: set[str],
        bumped: Sequence[str],
    ) -> None:
        self.session = session
        self.store = session.store
        self.workflow_id = workflow_id
        graph, prepared, max_iterations, scope, run_id = start
        plan = plan_of(graph)
        self.restored: list[str] = []
        if snap is None:
            self.ex = Execution(
                graph, plan, prepared, max_iterations, scope, run_id, record=True, general=True
            )
        else:
            state, decisions, unseen, self.restored = _stored_state(
                plan, scope.prefix, snap, dropped, bumped
            )
            self.ex = Execution.from_state(
                graph, plan, state, prepared, max_iterations, scope, run_id,
                decisions=decisions, unseen=unseen, cycle_steps=snap.cycle_steps,
                step=snap.supersteps, record=True,
            )  # fmt: skip
        self.fingerprints = session.manifest(graph)
        self.replay: dict[str, NodeRec] = dict(snap.pending) if snap is not None else {}
        self.resumed = snap is not None  # the first commit replaces rows left by a dead run
        self.replayed: list[Done] = []
        self.siblings = False  # the running superstep has several nodes: record completions
        self.recorded = False  # completions of the running superstep were recorded ahead
        self.records: list[tuple[str, str, bytes | None]] = []
        self.futures: list[Future[None]] = []
        self.errors: list[str] = []

    # -- hooks for features built on top (durable interrupts) -------------------------------

    def add_record(self, kind: str, key: str, data: bytes | None) -> None:
        """Queue an extra record, written in the same transaction as the next superstep."""
        self.records.append((kind, key, data))

    # -- the driver's loop -----------------------------------------------------------------

    def next_superstep(self) -> Sequence[NodePlan]:
        ex = self.ex
        while True:
            batch = ex.next_superstep()
            if not self.replay or not batch:
                self.siblings = len(batch) > 1
                return batch
            run = [p for p in batch if not self._replayed(p)]
            self.replay.clear()  # only the interrupted superstep's completions count
            if run:
                self.siblings = len(run) > 1
                return run
            # Every node of the superstep replayed: committed here (once per resume).
            self.commit([])
            if ex.error is not None:
                return ()

    def _replayed(self, p: NodePlan) -> bool:
        rec = self.replay.get(p.name)
        if rec is None or rec.fingerprint != self.fingerprints.get(p.name):
            return False
        consumed = self._consumed(p)
        if consumed and consumed != tuple(rec.input_versions.get(n, 0) for n in p.watch):
            return False
        outputs = dict(rec.outputs)
        if rec.decision is not None:
            outputs[DECISION] = tuple(rec.decision)
        self.replayed.append((p, outputs, consumed))
        self.restored.append(self.ex.scope.prefix + p.name)
        return True

    def _consumed(self, p: NodePlan) -> tuple[int, ...]:
        """The versions ``p`` consumes in the running superstep (as ``inputs_of``: the keys it
        watches, which are its inputs unless the graph has agent-loop wiring)."""
        if p.once:
            return ()
        versions = self.ex.versions
        return tuple([versions.get(n, 0) for n in p.watch])

    def new_done(self) -> list[Done]:
        """The SyncRunner's list of finished nodes: appending records a pending completion."""
        return _Recording(self)

    def recording(
        self, sibling: Callable[..., Coroutine[Any, Any, dict[str, Any]]]
    ) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]:
        """AsyncRunner: ``sibling`` whose completion is recorded as pending before it returns."""

        async def recorded(ctx: Any, ex: Execution, p: NodePlan, kwargs: Any) -> dict[str, Any]:
            outputs = await sibling(ctx, ex, p, kwargs)
            if self.siblings:
                job = self._pending_job(p, outputs)
                if job is not None:
                    self.recorded = True
                    await self.store.acall(record_pending, *job)
            return outputs

        return recorded

    def pending(self, item: Done) -> None:
        job = self._pending_job(item[0], item[1])
        if job is not None:
            self.recorded = True
            self._write(record_pending, job)

    def _pending_job(self, p: NodePlan, outputs: dict[str, Any]) -> Job | None:
        if is_paused(outputs):
            return None  # an interrupt that paused completed nothing
        try:
            row, blobs, _ = self._node_row(p, outputs, self._consumed(p), {})
        except Exception:
            return None  # the commit reports the value that cannot be stored
        return (self.workflow_id, self.ex.step, row, blobs)

    def commit(self, done: Sequence[Done], check: bool = True) -> None:
        job = self._prepare(done, check)
        if job is not None:
            self._write(commit_step, job)

    async def acommit(self, done: Sequence[Done], check: bool = True) -> None:
        job = self._prepare(done, check)
        if job is None:
            return
        if self.store.durability == "async":
            self._write(commit_step, job)
            return
        try:
            await self.store.acall(commit_step, *job)
        except CheckpointError as exc:
            self._failed_write(exc)

    def _write(self, op: Callable[..., None], job: Job) -> None:
        if self.store.durability == "async":
            self.futures.append(self.store.submit(op, *job))
            return
        try:
            self.store.call(op, *job)
        except CheckpointError as exc:
            self._failed_write(exc)

    def _failed_write(self, exc: CheckpointError) -> None:
        """``durability="sync"``: a lost write fails the run (no later superstep starts)."""
        if self.ex.error is None:
            self.ex.fail_graph(exc)

    def _prepare(self, done: Sequence[Done], check: bool) -> Job | None:
        """Encode the superstep's outputs, apply them to the execution, return the write."""
        ex = self.ex
        if self.replayed:
            done = sorted([*done, *self.replayed], key=lambda d: d[0].index)
            self.replayed = []
        done, paused = pause_records(ex, done)  # interrupts that paused: records, no rows
        self.records.extend(paused)
        blobs: list[tuple[str, bytes]] = []
        digests: dict[str, str] = {}
        memo: dict[int, tuple[Any, str]] = {}
        rows = []
        keep = []
        for p, outputs, consumed in done:
            try:
                row, new, written = self._node_row(p, outputs, consumed, memo)
            except _Unstorable as bad:
                if ex.error is None:
                    ex.fail_node(p, NodeFailure(bad.error))
                check = False
                continue
            rows.append(row)
            blobs.extend(new)
            digests.update(written)
            keep.append((p, outputs, consumed))
        if not rows and not self.records:
            if keep:
                ex.commit(keep, check)
            return None
        versions = ex.versions
        before = {name: versions.get(name, 0) for name in digests}
        delta = ex.commit(keep, check)  # a ConflictError leaves the journal untouched
        assert delta is not None  # a recording execution
        # Only what changed: a value rewritten equal keeps its version and is not stored.
        # A version key without a value (an emit, a per-producer version) has no blob: "".
        writes = [
            (n, v, digests.get(n, "")) for n, v in delta.written.items() if v != before.get(n, 0)
        ]
        records, self.records = self.records, []
        # A resumed superstep may hold the pending rows of the interrupted attempt.
        pending = self.recorded or self.resumed
        self.recorded = self.resumed = False
        sched = ex.schedule
        assert isinstance(sched, Supersteps)
        return (
            self.workflow_id,
            delta.step,
            sched.cycle_steps,
            _core(ex, sched),
            rows,
            writes,
            blobs,
            records,
            pending,
        )

    def _node_row(
        self,
        p: NodePlan,
        outputs: dict[str, Any],
        consumed: tuple[int, ...],
        memo: dict[int, tuple[Any, str]],
    ) -> tuple[tuple[Any, ...], list[tuple[str, bytes]], dict[str, str]]:
        blobs: list[tuple[str, bytes]] = []
        refs: dict[str, str] = {}
        decision = None
        for name, value in outputs.items():
            if name == DECISION:
                decision = encode_json(list(value))
                continue
            seen = memo.get(id(value))
            if seen is not None and seen[0] is value:
                refs[name] = seen[1]
                continue
            try:
                data = encode_value(value)
            except Exception as exc:
                path = self.ex.scope.prefix + p.name
                raise _Unstorable(
                    unstorable(value, exc, node=path, output=name, workflow_id=self.workflow_id)
                ) from None
            digest = refs[name] = blob_digest(data)
            memo[id(value)] = (value, digest)
            blobs.append((digest, data))
        if consumed or not p.inputs:
            versions = encode_json(dict(zip(p.watch, consumed)))
        else:  # a run-once node: its inputs are final, at their current versions
            current = self.ex.versions
            versions = encode_json({n: current.get(n, 0) for n in p.watch})
        row = (p.name, versions, encode_json(refs), decision, self.fingerprints.get(p.name, ""))
        return row, blobs, refs

    # -- the end of the run ----------------------------------------------------------------

    def finish(self, result: RunResult) -> RunResult:
        """Record how the run ended; fill the result's checkpoint fields."""
        self.flush()
        error = None if result.error is None else describe_exception(result.error)[:2000]
        names = [n for n in result.values if n in self.ex.values]
        fields = {
            "status": result.status.value,  # completed, failed or paused
            "error": error,
            "result": encode_json(names),
            "run_id": result.run_id,
        }
        try:
            self.store.call(update, self.workflow_id, fields)
        except CheckpointError as exc:
            if self.store.durability == "sync" and result.error is None:
                raise
            self.errors.append(describe_exception(exc))
        result.workflow_id = self.workflow_id
        result.restored = tuple(self.restored)
        if self.errors:
            result.checkpoint_ok = False
            result.checkpoint_errors = tuple(self.errors)
        return result

    def flush(self) -> None:
        """``durability="async"``: wait for the writes in flight, collecting their failures."""
        futures, self.futures = self.futures, []
        for future in futures:
            try:
                future.result()
            except (CheckpointError, sqlite3.Error) as exc:
                self.errors.append(describe_exception(exc))

    def interrupted(self) -> None:
        """The run stops on a ``BaseException``: mark it, best effort (resumable either way)."""
        self.flush()
        with contextlib.suppress(Exception):
            self.store.call(update, self.workflow_id, {"status": "interrupted"})


class _Unstorable(Exception):
    def __init__(self, error: CheckpointError) -> None:
        super().__init__()
        self.error = error


class _Recording(list[Any]):
    """A SyncRunner superstep's finished nodes; with siblings, each is recorded as it finishes."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def append(self, item: Any) -> None:
        super().append(item)
        if self.journal.siblings:
            self.journal.pending(item)


def _core(ex: Execution, sched: Supersteps) -> bytes | None:
    """Gate bookkeeping by node name: the latest decisions, and the targets decided for that
    have not run since (``Execution.from_state`` takes both). Only graphs with gates."""
    plan = ex.plan
    if not plan.has_gates:
        return None
    names = [p.name for p in plan.nodes]
    return encode_json(
        {
            "decisions": {names[g]: [names[t] for t in ts] for g, ts in sched.decisions.items()},
            "unseen": [names[i] for i, n in enumerate(sched.activation) if n != sched.seen[i]],
        }
    )


def _stored_state(
    plan: Plan, prefix: str, snap: Snapshot, dropped: set[str], bumped: Sequence[str]
) -> tuple[GraphState, dict[str, list[str]], list[str], list[str]]:
    """The stored state as ``Execution.from_state`` takes it, and the restored node paths.

    ``dropped``: nodes whose stored execution does not count (their code changed under
    ``on_change="rerun"``, or a fork changed them): they run again, and so do their consumers
    and every node downstream that runs at most once; further down, versions carry the
    change (an equal new output re-runs nothing more). The outputs of all of these are
    withdrawn until they run, so nothing runs on the old values first.
    ``bumped``: input names a fork changed: a new version, and their consumers run again.
    """
    values, versions = dict(snap.values), dict(snap.versions)
    for name in bumped:
        versions[name] = versions.get(name, 0) + 1
    stale = _downstream(plan, dropped, bumped)
    for name in stale:
        p = plan.by_name.get(name)
        for out in p.outputs if p is not None else ():
            if out in plan.internal:  # a seed keeps its value: the cycle needs one
                values.pop(out, None)
                versions.pop(out, None)
    executions = {}
    for name, rec in snap.nodes.items():
        p = plan.by_name.get(name)
        if p is None or name in stale:
            continue
        if not p.once and any(n not in rec.input_versions for n in p.watch):
            continue  # its inputs changed (a fork of another graph): it runs again
        executions[name] = NodeExecution(name, dict(rec.input_versions), dict(rec.outputs))
    core = snap.core or {}
    by_name = plan.by_name
    decisions = {
        gate: [t for t in targets if t in by_name]
        for gate, targets in core.get("decisions", {}).items()
        if gate in by_name
    }
    unseen = [n for n in core.get("unseen", ()) if n in by_name]
    restored = [prefix + name for name in executions]
    return GraphState(values, versions, executions), decisions, unseen, restored


def _downstream(plan: Plan, dropped: set[str], bumped: Sequence[str]) -> set[str]:
    """``dropped``, the consumers of their outputs and of ``bumped`` inputs, and the run-once
    nodes downstream of any of those."""
    stale = set(dropped)
    todo = [plan.by_name[n] for n in dropped if n in plan.by_name]
    for p in list(todo):
        todo.extend(plan.nodes[i] for i in p.consumers)
    for name in bumped:
        todo.extend(plan.nodes[i] for i in plan.consumers.get(name, ()))
    for p in todo:
        stale.add(p.name)  # a consumer of a changed value
    while todo:
        p = todo.pop()
        for i in p.consumers:
            q = plan.nodes[i]
            if q.once and q.name not in stale:
                stale.add(q.name)
                todo.append(q)
    return stale
