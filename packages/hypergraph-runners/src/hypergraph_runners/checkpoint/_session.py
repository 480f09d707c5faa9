"""The checkpoint side of one ``run()`` / ``map()`` call: the resume rules, ids, child journals.

``Opening`` applies the rules before any node runs, in this order: an unknown id starts a new
workflow; values differing from the stored inputs raise ``InputOverrideRequiresForkError``; a
completed workflow raises ``WorkflowAlreadyCompletedError``; a workflow another live process
(or call) runs raises ``WorkflowAlreadyRunningError`` (its OS file lock is held); a structural
change raises ``GraphChangedError``; so does a code change in a node that had completed, unless
``on_change="rerun"``. Otherwise (failed, interrupted, killed) the workflow resumes from its
stored state, with no values needed.

Children are workflows of their own: ``<wf>/<node>`` for a nested graph (``<wf>/<node>[i]``
per item of a mapped one) and ``<wf>/<i>`` for ``map`` items. A child is matched by a digest
of its inputs (and, for nested runs, the parent's superstep): completed, it is restored
without running (the crash between a child's commit and its parent's); unfinished, it resumes;
otherwise it starts over.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from hypergraph_graph import Graph
from hypergraph_types import (
    GraphChangedError,
    InputOverrideRequiresForkError,
    InvalidInputError,
    MapResult,
    RunResult,
    RunStatus,
    WorkflowAlreadyCompletedError,
    WorkflowAlreadyRunningError,
)
from hypergraph_types._internal import fmt_names, message, quote, short_repr

from ._blobs import blob_digest, encode_value, unstorable
from ._identity import manifest_of, structure_diff, structure_of, value_digest
from ._interrupts import addressed_without_answers, answer_names, without_answers
from ._journal import Journal
from ._lock import WorkflowLock
from ._schema import storage_error
from ._store import (
    Snapshot,
    SqliteCheckpointer,
    create,
    decode_json,
    encode_json,
    fork,
    header,
    load_blobs,
    snapshot,
    update,
)

if TYPE_CHECKING:
    import sqlite3

    from .._core import Scope
    from .._inputs import Prepared

#: What a run starts from: its graph, prepared values, max_iterations, scope and run id.
Start = tuple[Graph, "Prepared", int, "Scope", str]

__all__ = ["Opening", "Session", "new_workflow_id"]


def new_workflow_id() -> str:
    """``run-YYYYMMDD-xxxxxx`` (UTC date, 24 random bits)."""
    return f"run-{time.strftime('%Y%m%d', time.gmtime())}-{os.urandom(3).hex()}"


class Opening:
    """A checkpointed call being set up: stored inputs first, then ``start`` (the rules)."""

    def __init__(
        self,
        store: Any,
        runner: str,
        kind: str,
        workflow_id: Any,
        fork_from: Any,
        fork_superstep: Any,
        on_change: Any,
    ) -> None:
        _check_options(store, runner, workflow_id, fork_from, fork_superstep, on_change)
        self.store: SqliteCheckpointer = store
        self.kind = kind
        self.on_change = on_change
        self.fork_from: str | None = fork_from
        self.given: set[str] = set()
        self.source: dict[str, Any] | None = None  # the header whose inputs fill the values
        if fork_from is not None:
            self.source = store.call(header, fork_from)
            if self.source is None:
                raise InvalidInputError(
                    message(
                        f"fork_from={fork_from!r}: no such workflow in {store!r}",
                        [],
                        "pass the id of a stored workflow (checkpointer.runs() lists them)",
                    )
                )
            last = self.source["supersteps"]
            step = last if fork_superstep is None else fork_superstep
            if not 0 <= step <= last:
                raise InvalidInputError(
                    message(
                        f"fork_superstep={fork_superstep!r} is outside workflow "
                        f"{quote(fork_from)}'s supersteps",
                        [f"committed supersteps: 0 to {last}"],
                        f"pass a superstep between 0 and {last}, or leave it out (the last)",
                    )
                )
            self.fork_step = step
            self.workflow_id = workflow_id or f"{fork_from}-fork-{os.urandom(3).hex()}"
            self.head = store.call(header, self.workflow_id)
            if self.head is not None:
                raise InvalidInputError(
                    message(
                        f"Cannot fork into {quote(self.workflow_id)}: that workflow exists",
                        [],
                        "leave workflow_id out (a fork id is generated) or pass a new one",
                    )
                )
        else:
            self.workflow_id = workflow_id or new_workflow_id()
            self.head = None if workflow_id is None else store.call(header, workflow_id)
            self.source = self.head

    def fill(self, values: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> Any:
        """``values`` plus the stored inputs the call leaves out (a resume needs none)."""
        self.given = set(values or ()) | set(inputs)
        if self.source is None:
            return values
        stored = self.store.call(_inputs, self.source)
        missing = {k: v for k, v in stored.items() if k not in self.given}
        if not missing:
            return values
        return {**missing, **(values or {})}

    def start(self, graph: Graph, merged: Mapping[str, Any]) -> Session:
        """Apply the resume rules (module docstring) and take the workflow's lock."""
        wf = self.workflow_id
        structure, manifest = structure_of(graph), manifest_of(graph)
        # Answers to interrupts are not inputs: a resume gives new ones (durable interrupts).
        self.given -= answer_names(graph, self.given)
        inputs, blobs = _encode_inputs(without_answers(graph, merged), wf)
        if self.head is not None and self.fork_from is None:
            self._check_stored(self.head, inputs)
        lock = WorkflowLock(self.store.lock_base, wf, self.store)
        try:
            held = lock.acquire()
        except OSError as exc:
            raise storage_error_for(self.store, exc) from exc
        if not held:
            raise WorkflowAlreadyRunningError(
                message(
                    f"Workflow {quote(wf)} is running in another process (or another call)",
                    [f"checkpointer: {self.store!r}"],
                    "wait for it to finish, or run under another workflow_id",
                ),
                workflow_id=wf,
            )
        try:
            return self._start(graph, lock, structure, manifest, inputs, blobs)
        except BaseException:
            lock.release()
            raise

    def _start(
        self,
        graph: Graph,
        lock: WorkflowLock,
        structure: dict[str, str],
        manifest: dict[str, str],
        inputs: dict[str, list[str]],
        blobs: list[tuple[str, bytes]],
    ) -> Session:
        wf, store = self.workflow_id, self.store
        row = {
            "id": wf,
            "kind": self.kind,
            "graph_name": graph.name,
            "parent": None,
            "forked_from": self.fork_from,
            "fork_superstep": self.fork_step if self.fork_from else None,
            "structure": encode_json(structure),
            "manifest": encode_json(manifest),
            "inputs": encode_json(inputs),
            "item_digest": None,
            "parent_step": None,
            "run_id": None,
        }
        session = Session(store, wf, self.kind, self.on_change, lock)
        if self.fork_from is not None:
            src = self.source
            assert src is not None
            store.call(create, row, blobs)
            store.call(fork, self.fork_from, wf, self.fork_step)
            old_structure = decode_json(src["structure"])
            old_manifest = decode_json(src["manifest"])
            session.dropped = {
                n
                for n in manifest
                if old_structure.get(n) != structure.get(n) or old_manifest.get(n) != manifest[n]
            }
            old_inputs = decode_json(src["inputs"])
            session.bumped = [
                n
                for n, (_, ident) in inputs.items()
                if n in old_inputs and old_inputs[n][1] != ident
            ]
            session.snap = store.call(snapshot, wf, None)
            return session
        head = store.call(header, wf)  # again, now that the lock is ours
        if head is None:
            store.call(create, row, blobs)
            return session
        self._check_stored(head, inputs)
        changed = structure_diff(decode_json(head["structure"]), structure)
        if changed or head["kind"] != self.kind:
            raise GraphChangedError(
                message(
                    f"Workflow {quote(wf)} was started with a different graph: cannot resume",
                    changed or [f"it was a {head['kind']}() workflow, this is {self.kind}()"],
                    f"fork it into a new workflow: run(graph, fork_from={wf!r}) re-runs what "
                    "changed, or start a new workflow_id",
                ),
                workflow_id=wf,
                structural=changed,
            )
        snap: Snapshot | None = store.call(snapshot, wf, None)
        assert snap is not None
        session.dropped = code_changes(
            wf, snap, decode_json(head["manifest"]), manifest, self.on_change
        )
        store.call(update, wf, {"status": "running", "manifest": encode_json(manifest)})
        session.snap = snap
        return session

    def _check_stored(self, head: dict[str, Any], inputs: dict[str, list[str]]) -> None:
        wf = self.workflow_id
        if self.kind == "run":
            stored = decode_json(head["inputs"])
            differ = sorted(
                n for n in self.given if n not in stored or stored[n][1] != inputs[n][1]
            )
            if differ:
                raise InputOverrideRequiresForkError(
                    message(
                        f"Workflow {quote(wf)} was started with other values for "
                        f"{fmt_names(differ)}",
                        [
                            "a resume continues with the stored inputs; values that differ would "
                            "mix two runs in one record"
                        ],
                        f"fork it: run(graph, values, fork_from={wf!r}) starts a new workflow "
                        "from its state with these values; or leave values out to resume",
                    ),
                    workflow_id=wf,
                    names=differ,
                )
        if head["status"] == "completed":
            raise WorkflowAlreadyCompletedError(
                message(
                    f"Workflow {quote(wf)} already completed",
                    ["its result is stored: checkpointer.result(workflow_id)"],
                    f"read checkpointer.result({wf!r}), fork it (fork_from=...), or run under "
                    "a new workflow_id",
                ),
                workflow_id=wf,
            )


def code_changes(
    wf: str, snap: Snapshot, old: dict[str, str], new: dict[str, str], on_change: str
) -> set[str]:
    """Completed nodes whose code changed: an error, or (``"rerun"``) the ones to re-run."""
    changed = sorted(n for n in snap.nodes if n in new and old.get(n) != new[n])
    if changed and on_change != "rerun":
        raise GraphChangedError(
            message(
                f"Workflow {quote(wf)}: the code of {fmt_names(changed)} changed after "
                "they completed",
                [
                    "their stored outputs came from the old code; nodes that had not completed "
                    "may change freely"
                ],
                [
                    "pass on_change='rerun' to run them again (what depends on their outputs "
                    "re-runs if the outputs change)",
                    f"or fork (fork_from={wf!r}) / start a new workflow_id",
                ],
            ),
            workflow_id=wf,
            code=changed,
        )
    return set(changed)


class Session:
    """The checkpoint state of one top-level call, shared by its nested runs and map items."""

    def __init__(
        self, store: SqliteCheckpointer, root: str, kind: str, on_change: str, lock: WorkflowLock
    ) -> None:
        self.store = store
        self.root = root
        self.kind = kind
        self.on_change = on_change
        self.lock = lock
        self.snap: Snapshot | None = None
        self.dropped: set[str] = set()
        self.bumped: list[str] = []
        self.journals: dict[str, Journal] = {}
        self.children_restored: list[str] = []
        self._manifests: dict[int, tuple[Graph, dict[str, str]]] = {}
        self._guard = threading.Lock()

    def manifest(self, graph: Graph) -> dict[str, str]:
        found = self._manifests.get(id(graph))
        if found is None or found[0] is not graph:
            found = self._manifests[id(graph)] = (graph, manifest_of(graph))
        return found[1]

    def workflow_of(self, scope: Scope) -> tuple[str, str, str | None]:
        """The workflow id of a run, its kind and its parent's id."""
        base = self.root
        if self.kind == "map" and scope.item is not None:
            base = f"{self.root}/{scope.item}"
        if not scope.prefix:
            return (base, self.kind, None) if base == self.root else (base, "item", self.root)
        wf = base + "/" + scope.prefix[:-1].replace(".", "/")
        return wf, "nested", wf.rsplit("/", 1)[0]

    # -- a run's journal -------------------------------------------------------------------

    def open(self, start: Start) -> Journal | RunResult:
        """The journal of a run about to start (its execution restored), or the stored
        result of a completed child."""
        if self._is_root(start):
            return self._root_journal(start)
        row = self._child_row(start)
        return self._opened(start, *self.store.call(_open_child, row))

    async def aopen(self, start: Start) -> Journal | RunResult:
        if self._is_root(start):
            return self._root_journal(start)
        row = self._child_row(start)
        return self._opened(start, *(await self.store.acall(_open_child, row)))

    def _is_root(self, start: Start) -> bool:
        return self.kind == "run" and not start[3].prefix

    def _root_journal(self, start: Start) -> Journal:
        journal = Journal(self, self.root, start, self.snap, self.dropped, self.bumped)
        with self._guard:
            self.journals[self.root] = journal
        return journal

    def _child_row(self, start: Start) -> dict[str, Any]:
        graph, prepared, _, scope, run_id = start
        wf, kind, parent = self.workflow_of(scope)
        # A paused child resumes with its answers, which are not what identifies it.
        given = without_answers(graph, prepared.values)
        addressed = addressed_without_answers(graph, prepared.addressed)
        digest = value_digest([sorted(given.items()), sorted(addressed.items())])
        parent_journal = self.journals.get(parent) if parent is not None else None
        step = None if kind == "item" or parent_journal is None else parent_journal.ex.step
        return {
            "id": wf,
            "kind": kind,
            "graph_name": graph.name,
            "parent": parent,
            "forked_from": None,
            "fork_superstep": None,
            "structure": encode_json(structure_of(graph)),
            "manifest": encode_json(self.manifest(graph)),
            "inputs": b"{}",
            "item_digest": digest,
            "parent_step": step,
            "run_id": run_id,
        }

    def _opened(
        self, start: Start, head: dict[str, Any] | None, snap: Snapshot | None
    ) -> Journal | RunResult:
        graph, _, _, scope, run_id = start
        wf = self.workflow_of(scope)[0]
        if head is None or snap is None:
            journal = Journal(self, wf, start, None, set(), ())
        elif head["status"] == "completed":
            names = decode_json(head["result"] or b"[]")
            restored = tuple(scope.prefix + n for n in snap.nodes)
            with self._guard:
                self.children_restored.extend(restored)
            return RunResult(
                {n: snap.values[n] for n in names if n in snap.values},
                RunStatus.COMPLETED,
                head["run_id"] or run_id,
                workflow_id=wf,
                restored=restored,
            )
        else:
            old = decode_json(head["manifest"])
            try:
                dropped = code_changes(wf, snap, old, self.manifest(graph), self.on_change)
            except GraphChangedError as exc:
                path = scope.prefix[:-1] or None
                return RunResult({}, RunStatus.FAILED, run_id, error=exc, failed_node=path)
            journal = Journal(self, wf, start, snap, dropped, ())
        with self._guard:
            self.journals[wf] = journal
        return journal

    def run_sync(self, start: Start, drive: Callable[[Journal], RunResult]) -> RunResult:
        """Run ``drive`` over the journal of a run (``start``: graph, prepared values,
        max_iterations, scope, run_id); a completed child's stored result instead."""
        opened = self.open(start)
        if isinstance(opened, RunResult):
            return opened
        try:
            result = drive(opened)
        except BaseException:
            self._interrupted(opened)
            raise
        return self._finish(opened, result)

    async def run_async(
        self, start: Start, drive: Callable[[Journal], Awaitable[RunResult]]
    ) -> RunResult:
        opened = await self.aopen(start)
        if isinstance(opened, RunResult):
            return opened
        try:
            result = await drive(opened)
        except BaseException:
            self._interrupted(opened)
            raise
        # Waiting for writes in flight and the final status write stay off the loop.
        return await asyncio.to_thread(self._finish, opened, result)

    def _interrupted(self, journal: Journal) -> None:
        with self._guard:
            self.journals.pop(journal.workflow_id, None)
        journal.interrupted()

    def _finish(self, journal: Journal, result: RunResult) -> RunResult:
        with self._guard:  # a finished run's journal (and its state) is not kept
            self.journals.pop(journal.workflow_id, None)
        result = journal.finish(result)
        if journal.workflow_id == self.root and self.children_restored:
            result.restored = (*result.restored, *self.children_restored)
        return result

    # -- the end of the call ---------------------------------------------------------------

    def finish_map(self, results: MapResult) -> MapResult:
        """Record how a map workflow ended: paused while an item waits for answers (as
        ``MapResult.status``: the map is resumable, whatever its other items did), else
        completed when every item completed, else failed."""
        if results.paused:
            status = "paused"
        else:
            status = "completed" if all(r.completed for r in results) else "failed"
        self.store.call(update, self.root, {"status": status, "result": b"[]"})
        return results

    def close(self) -> None:
        self.lock.release()


def _open_child(
    conn: sqlite3.Connection, row: dict[str, Any]
) -> tuple[dict[str, Any] | None, Snapshot | None]:
    """Writer thread: the stored child matching ``row`` (and its state), else a new one."""
    head = header(conn, row["id"])
    if (
        head is not None
        and head["item_digest"] == row["item_digest"]
        # A paused child resumes whenever its parent runs it again (with the answers).
        and (head["parent_step"] == row["parent_step"] or head["status"] == "paused")
        and head["structure"] == row["structure"]
    ):
        snap = snapshot(conn, row["id"])
        if head["status"] != "completed":
            update(conn, row["id"], {"status": "running", "run_id": row["run_id"]})
        return head, snap
    create(conn, row, [], reset=head is not None)
    return None, None


def _inputs(conn: sqlite3.Connection, head: dict[str, Any]) -> dict[str, Any]:
    from ._blobs import decode_blob

    stored = decode_json(head["inputs"])
    data = load_blobs(conn, [d for d, _ in stored.values()])
    wf = head["id"]
    return {
        n: decode_blob(d, data.get(d, b""), workflow_id=wf, what=f"input {quote(n)}")
        for n, (d, _) in stored.items()
    }


def _encode_inputs(
    values: Mapping[str, Any], wf: str
) -> tuple[dict[str, list[str]], list[tuple[str, bytes]]]:
    """Run inputs as blobs (refusing what cannot be stored, before any node runs)."""
    refs: dict[str, list[str]] = {}
    blobs = []
    for name, value in values.items():
        try:
            data = encode_value(value)
        except Exception as exc:
            raise unstorable(value, exc, node=None, output=name, workflow_id=wf) from None
        digest = blob_digest(data)
        refs[name] = [digest, value_digest(value)]
        blobs.append((digest, data))
    return refs, blobs


def storage_error_for(store: SqliteCheckpointer, exc: OSError) -> Exception:
    import sqlite3

    try:
        storage_error(sqlite3.OperationalError(f"lock file: {exc}"), store.path, "lock")
    except Exception as err:
        return err
    raise AssertionError  # storage_error always raises


def _check_options(
    store: Any, runner: str, workflow_id: Any, fork_from: Any, fork_superstep: Any, on_change: Any
) -> None:
    if store is None:
        raise InvalidInputError(
            message(
                f"{runner}: workflow_id / fork_from need a checkpointer",
                ["without one nothing is recorded, so there is nothing to resume or fork"],
                f"create the runner with {runner}(checkpointer=SqliteCheckpointer('runs.db'))",
            )
        )
    for name, value in (("workflow_id", workflow_id), ("fork_from", fork_from)):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(
                f"{name} must be a non-empty str or None, got {short_repr(value)}. "
                f"How to fix: pass e.g. {name}='nightly-2026-12-04'."
            )
    if workflow_id is not None and ("/" in workflow_id or "\x00" in workflow_id):
        raise InvalidInputError(
            message(
                f"workflow_id {quote(workflow_id)} contains '/'",
                ["'/' separates a workflow from its children (<wf>/<node>, <wf>/<i>)"],
                "use letters, digits, '-', '_' and '.'",
            )
        )
    if fork_superstep is not None and (
        isinstance(fork_superstep, bool) or not isinstance(fork_superstep, int)
    ):
        raise TypeError(
            f"fork_superstep must be an int or None, got {short_repr(fork_superstep)}. "
            "How to fix: pass a superstep number from checkpointer.steps(id)."
        )
    if fork_superstep is not None and fork_from is None:
        raise InvalidInputError(
            message(
                "fork_superstep was given without fork_from",
                [],
                "pass fork_from=<workflow id> too, or leave fork_superstep out",
            )
        )
    if on_change not in ("error", "rerun") or not isinstance(on_change, str):
        raise InvalidInputError(
            message(
                f"Unknown on_change {short_repr(on_change)}",
                ["allowed: 'error' (refuse a resume when completed code changed) or 'rerun'"],
                "pass on_change='error' (the default) or on_change='rerun'",
            )
        )
