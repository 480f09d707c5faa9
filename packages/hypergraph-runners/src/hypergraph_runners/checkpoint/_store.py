"""``SqliteCheckpointer`` and ``MemoryCheckpointer``: the store, its writer thread, the read API.

Every database access runs on the checkpointer's one writer thread, over one connection
(reopened in a forked child): writes are ordered, a ``:memory:`` database is shared by every
caller, and the event loop never blocks (AsyncRunner awaits the thread). Each write is one
short ``BEGIN IMMEDIATE`` transaction; a superstep's whole delta is one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import msgspec

from hypergraph_types import (
    CheckpointStorageError,
    GraphState,
    InvalidInputError,
    NodeExecution,
    PauseInfo,
    Run,
    RunResult,
    RunStatus,
    StepRecord,
    WorkflowStatus,
)
from hypergraph_types._internal import message, quote, short_repr

from ._blobs import decode_blob
from ._interrupts import stored_pauses
from ._schema import connect, storage_error

__all__ = ["MemoryCheckpointer", "NodeRec", "Snapshot", "SqliteCheckpointer"]

T = TypeVar("T")
Durability = Literal["sync", "async"]
_json = msgspec.json.encode
_unjson = msgspec.json.decode


class NodeRec(msgspec.Struct, gc=False):
    """A node execution as restored: consumed versions, outputs (decoded), gate decision."""

    superstep: int
    input_versions: dict[str, int]
    outputs: dict[str, Any]
    decision: list[str] | None
    fingerprint: str


class Snapshot(msgspec.Struct):
    """A workflow's state after a committed superstep, folded from its journal."""

    supersteps: int
    cycle_steps: int
    core: dict[str, Any] | None
    values: dict[str, Any]
    versions: dict[str, int]
    nodes: dict[str, NodeRec]
    pending: dict[str, NodeRec]


class SqliteCheckpointer:
    """Durable runs on a SQLite file: ``SyncRunner(checkpointer=SqliteCheckpointer("runs.db"))``.

    Args:
        path: The database file (created with its tables on first use), or ``":memory:"``.
        durability: ``"sync"`` (default): a superstep's delta is committed before the next
            superstep starts, and a failed write fails the run. ``"async"``: writes go to the
            writer thread without waiting; a failed write is reported by the run's
            ``checkpoint_ok=False`` and ``checkpoint_errors`` instead (values that cannot be
            encoded still fail the run).

    Read a workflow back with ``runs()``, ``get_run(id)``, ``steps(id)``, ``state(id)``,
    ``values(id)``, ``result(id)`` and ``lineage(id)`` (``a``-prefixed coroutines too).
    """

    def __init__(self, path: str | os.PathLike[str], *, durability: Durability = "sync") -> None:
        if durability not in ("sync", "async"):
            raise InvalidInputError(
                message(
                    f"Unknown durability {short_repr(durability)}",
                    ["allowed: 'sync' (commit each superstep before the next) or 'async'"],
                    "pass durability='sync' (the default) or durability='async'",
                )
            )
        self.path = os.fspath(path)
        self.durability: Durability = durability
        memory = self.path == ":memory:"
        #: The file locks live next to the database; ``None``: in-process locking only.
        self.lock_base: str | None = None if memory else os.path.abspath(self.path)
        self._pid = os.getpid()
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._conn_lock = threading.Lock()
        self._guard = threading.Lock()
        # A checkpointer dropped without close() still closes its connection (Python 3.13
        # warns about a connection left to the garbage collector).
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        weakref.finalize(self, _close_opened, self._opened)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, durability={self.durability!r})"

    # -- the connection and the writer thread -----------------------------------------------

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(connection, *args)`` on the writer thread (AsyncRunner, async durability)."""
        with self._guard:
            self._check_pid()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="hypergraph-checkpoint")
            executor = self._executor
        return executor.submit(self._in_writer, fn, args)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in this thread (SyncRunner: it waits anyway)."""
        with self._guard:
            self._check_pid()
        return self._in_writer(fn, args)

    async def acall(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            # A forked child: a connection and a thread of its own (the parent's stay theirs).
            self._pid = os.getpid()
            self._conn = None
            self._executor = None
            self._conn_lock = threading.Lock()

    def _in_writer(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._conn_lock:  # one user of the connection at a time: writes stay ordered
            if self._conn is None:
                self._conn = connect(self.path)
                self._opened.append((os.getpid(), self._conn))
            conn = self._conn
            try:
                return fn(conn, *args)
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                storage_error(exc, self.path, "read or write")

    def close(self) -> None:
        """Checkpoint the WAL into the file, close the connection, stop the writer thread.

        The checkpointer stays usable: the next call opens a new connection.
        """
        with self._guard:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)  # the writes already queued finish first
        with self._conn_lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            if self.path != ":memory:":
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            self._opened[:] = [item for item in self._opened if item[1] is not conn]

    # -- read API --------------------------------------------------------------------------

    def runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        graph_name: str | None = None,
        limit: int = 100,
        children: bool = False,
    ) -> list[Run]:
        """Stored workflows, newest first (top-level ones unless ``children=True``)."""
        where, args = ["1"], []
        if not children:
            where.append("parent IS NULL")
        if status is not None:
            where.append("status = ?")
            args.append(WorkflowStatus(status).value)
        if graph_name is not None:
            where.append("graph_name = ?")
            args.append(graph_name)
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY created DESC, id LIMIT ?"
        rows = self.call(_fetch, sql, (*args, limit))
        return [_run_of(r) for r in rows]

    def get_run(self, workflow_id: str) -> Run | None:
        """The workflow's ``Run`` record, or ``None`` if there is no such id."""
        row = self.call(header, workflow_id)
        return None if row is None else _run_of(row)

    def steps(self, workflow_id: str) -> list[StepRecord]:
        """Every recorded node execution, in superstep then node order (pending ones last)."""
        return self.call(_steps, workflow_id)

    def state(self, workflow_id: str, superstep: int | None = None) -> GraphState:
        """The ``GraphState`` after ``superstep`` (default: the last committed one)."""
        snap = self.call(snapshot, workflow_id, superstep)
        if snap is None:
            raise _unknown(workflow_id)
        executions = {
            name: NodeExecution(name, dict(rec.input_versions), dict(rec.outputs))
            for name, rec in snap.nodes.items()
        }
        return GraphState(dict(snap.values), dict(snap.versions), executions)

    def values(self, workflow_id: str, key: str | None = None) -> Any:
        """The latest values (a dict), or the value of ``key``."""
        values = self.state(workflow_id).values
        if key is None:
            return values
        if key not in values:
            raise KeyError(
                message(
                    f"Workflow {quote(workflow_id)} has no value {quote(key)}",
                    [f"stored names: {', '.join(sorted(values)) or '(none)'}"],
                    "pass one of the stored names",
                )
            )
        return values[key]

    def result(self, workflow_id: str) -> RunResult | None:
        """The stored result of a finished workflow (its selected values), else ``None``."""
        row = self.call(header, workflow_id)
        if row is None or row["result"] is None:
            return None
        values = self.state(workflow_id).values
        names = _unjson(row["result"])
        status = RunStatus.COMPLETED if row["status"] == "completed" else RunStatus.FAILED
        pauses: tuple[PauseInfo, ...] = ()
        if row["status"] == "paused":  # waiting for answers (durable interrupts)
            status, pauses = RunStatus.PAUSED, self.call(stored_pauses, workflow_id)
        return RunResult(
            {n: values[n] for n in names if n in values},
            status,
            row["run_id"] or "",
            workflow_id=workflow_id,
            pauses=pauses,
        )

    def lineage(self, workflow_id: str) -> list[Run]:
        """The fork ancestry: the root workflow first, ``workflow_id`` last."""
        chain: list[Run] = []
        current: str | None = workflow_id
        while current is not None and len(chain) < 1000:
            run = self.get_run(current)
            if run is None:
                if not chain:
                    raise _unknown(workflow_id)
                break
            chain.append(run)
            current = run.forked_from
        return chain[::-1]

    async def aruns(self, **options: Any) -> list[Run]:
        return await asyncio.to_thread(lambda: self.runs(**options))

    async def aget_run(self, workflow_id: str) -> Run | None:
        return await asyncio.to_thread(self.get_run, workflow_id)

    async def asteps(self, workflow_id: str) -> list[StepRecord]:
        return await asyncio.to_thread(self.steps, workflow_id)

    async def astate(self, workflow_id: str, superstep: int | None = None) -> GraphState:
        return await asyncio.to_thread(self.state, workflow_id, superstep)

    async def avalues(self, workflow_id: str, key: str | None = None) -> Any:
        return await asyncio.to_thread(self.values, workflow_id, key)

    async def aresult(self, workflow_id: str) -> RunResult | None:
        return await asyncio.to_thread(self.result, workflow_id)

    async def alineage(self, workflow_id: str) -> list[Run]:
        return await asyncio.to_thread(self.lineage, workflow_id)


class MemoryCheckpointer(SqliteCheckpointer):
    """A checkpointer for one process: the same store on a private in-memory database.

    Workflows survive failed runs and can be resumed, forked and read back while the
    checkpointer object lives; nothing is written to disk. For tests and notebooks.
    """

    def __init__(self, *, durability: Durability = "sync") -> None:
        super().__init__(":memory:", durability=durability)

    def __repr__(self) -> str:
        return f"MemoryCheckpointer(durability={self.durability!r})"


def _close_opened(opened: list[tuple[int, sqlite3.Connection]]) -> None:
    """Close the connections this process opened (never a parent's, after a fork)."""
    pid = os.getpid()
    for owner, conn in opened:
        if owner == pid:
            with contextlib.suppress(Exception):
                conn.close()
    opened.clear()


def _unknown(workflow_id: str) -> KeyError:
    return KeyError(
        message(
            f"No workflow {quote(workflow_id)} in this checkpointer",
            [],
            "list the stored ones with checkpointer.runs()",
        )
    )


# -- operations run on the writer thread (each takes the connection first) --------------------


def _fetch(conn: sqlite3.Connection, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, tuple(args))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


#: Workflow rows with their committed supersteps and the time of their last write.
_SELECT = (
    "SELECT w.*, COALESCE((SELECT MAX(superstep) FROM steps s WHERE s.workflow_id = w.id), 0) "
    "AS supersteps, MAX(w.updated, COALESCE((SELECT MAX(committed) FROM steps s "
    "WHERE s.workflow_id = w.id), 0)) AS last_write FROM workflows w"
)


def header(conn: sqlite3.Connection, workflow_id: str) -> dict[str, Any] | None:
    rows = _fetch(conn, f"{_SELECT} WHERE id = ?", (workflow_id,))
    return rows[0] if rows else None


def _run_of(row: dict[str, Any]) -> Run:
    return Run(
        workflow_id=row["id"],
        status=WorkflowStatus(row["status"]),
        kind=row["kind"],
        graph_name=row["graph_name"],
        parent=row["parent"],
        forked_from=row["forked_from"],
        fork_superstep=row["fork_superstep"],
        supersteps=row["supersteps"],
        run_id=row["run_id"],
        created=row["created"],
        updated=row["last_write"],
        error=row["error"],
    )


def create(
    conn: sqlite3.Connection,
    row: dict[str, Any],
    blobs: list[tuple[str, bytes]],
    reset: bool = False,
) -> None:
    """A new workflow; ``reset``: first drop the rows left under that id and its children."""
    wf = row["id"]
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    if reset:
        _delete(conn, wf)
    conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)
    row = {**row, "created": now, "updated": now, "status": "running"}
    cols = ", ".join(row)
    conn.execute(
        f"INSERT INTO workflows ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    conn.execute("COMMIT")


def _delete(conn: sqlite3.Connection, wf: str) -> None:
    """The rows of ``wf`` and of its children (``wf/...``): primary-key ranges, no scan."""
    # Children sort between "wf/" and "wf0" ("0" follows "/" in every collation of ASCII).
    lo, hi = wf + "/", wf + "0"
    for table, col in (
        ("workflows", "id"),
        ("steps", "workflow_id"),
        ("nodes", "workflow_id"),
        ("writes", "workflow_id"),
        ("records", "workflow_id"),
    ):
        conn.execute(f"DELETE FROM {table} WHERE {col} = ?", (wf,))
        conn.execute(f"DELETE FROM {table} WHERE {col} >= ? AND {col} < ?", (lo, hi))


def update(conn: sqlite3.Connection, wf: str, fields: dict[str, Any]) -> None:
    """Set header fields (status, run id, manifest, result, error) in one transaction."""
    fields = {**fields, "updated": time.time()}
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"UPDATE workflows SET {sets} WHERE id = ?", (*fields.values(), wf))
    conn.execute("COMMIT")


def commit_step(
    conn: sqlite3.Connection,
    wf: str,
    step: int,
    cycle_steps: int,
    core: bytes | None,
    nodes: list[tuple[Any, ...]],
    writes: list[tuple[Any, ...]],
    blobs: list[tuple[str, bytes]],
    records: list[tuple[str, str, bytes | None]],
    pending: bool,
) -> None:
    """One superstep's delta, atomically: blobs, node executions, writes, extra records.

    ``pending``: completions of this superstep were recorded ahead; they are replaced.
    """
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    if blobs:
        conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)
    if pending:
        conn.execute("DELETE FROM nodes WHERE workflow_id = ? AND superstep = ?", (wf, step))
    conn.executemany(
        "INSERT INTO nodes VALUES (?, ?, ?, 1, ?, ?, ?, ?)", [(wf, step, *n) for n in nodes]
    )
    if writes:
        conn.executemany(
            "INSERT INTO writes VALUES (?, ?, ?, ?, ?)", [(wf, step, *w) for w in writes]
        )
    if records:
        conn.executemany(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
            [(wf, step, *r) for r in records],
        )
    conn.execute("INSERT INTO steps VALUES (?, ?, ?, ?, ?)", (wf, step, cycle_steps, core, now))
    conn.execute("COMMIT")


def record_pending(
    conn: sqlite3.Connection,
    wf: str,
    step: int,
    node: tuple[Any, ...],
    blobs: list[tuple[str, bytes]],
) -> None:
    """A node that finished in a superstep not committed yet (replayed if the process dies)."""
    conn.execute("BEGIN IMMEDIATE")
    if blobs:
        conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)
    conn.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, 0, ?, ?, ?, ?)", (wf, step, *node))
    conn.execute("COMMIT")


def fork(conn: sqlite3.Connection, src: str, dst: str, upto: int) -> None:
    """Copy ``src``'s journal up to superstep ``upto`` under ``dst`` (blobs are shared)."""
    conn.execute("BEGIN IMMEDIATE")
    args = (dst, src, upto)
    conn.execute(
        "INSERT INTO steps SELECT ?, superstep, cycle_steps, core, committed FROM steps "
        "WHERE workflow_id = ? AND superstep <= ?",
        args,
    )
    conn.execute(
        "INSERT INTO nodes SELECT ?, superstep, node, committed, input_versions, outputs, "
        "decision, fingerprint FROM nodes WHERE workflow_id = ? AND superstep <= ? "
        "AND committed = 1",
        args,
    )
    conn.execute(
        "INSERT INTO writes SELECT ?, superstep, name, version, digest FROM writes "
        "WHERE workflow_id = ? AND superstep <= ?",
        args,
    )
    conn.execute("COMMIT")


def load_blobs(conn: sqlite3.Connection, digests: Iterable[str]) -> dict[str, bytes]:
    wanted = list(set(digests))
    found: dict[str, bytes] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        sql = f"SELECT digest, data FROM blobs WHERE digest IN ({', '.join('?' * len(chunk))})"
        found.update(conn.execute(sql, chunk).fetchall())
    return found


def snapshot(conn: sqlite3.Connection, wf: str, superstep: int | None = None) -> Snapshot | None:
    """Fold the journal of ``wf`` up to ``superstep`` (default: the last committed one)."""
    head = header(conn, wf)
    if head is None:
        return None
    last = head["supersteps"]
    upto = last if superstep is None else min(superstep, last)
    step = conn.execute(
        "SELECT cycle_steps, core FROM steps WHERE workflow_id = ? AND superstep = ?", (wf, upto)
    ).fetchone()
    cycle_steps, core = step if step is not None else (0, None)
    latest: dict[str, tuple[int, str]] = {}  # name -> its last write up to `upto`
    for name, version, digest in conn.execute(
        "SELECT name, version, digest FROM writes WHERE workflow_id = ? AND superstep <= ? "
        "ORDER BY superstep",
        (wf, upto),
    ):
        latest[name] = (version, digest)
    writes = [(name, version, digest) for name, (version, digest) in latest.items()]
    last_of: dict[str, tuple[Any, ...]] = {}  # node -> its last committed execution
    pending_rows = []
    for row in conn.execute(
        "SELECT node, superstep, input_versions, outputs, decision, fingerprint, committed "
        "FROM nodes WHERE workflow_id = ? AND superstep <= ? ORDER BY superstep",
        (wf, last + 1),
    ):
        if row[6] and row[1] <= upto:
            last_of[row[0]] = row
        elif not row[6] and row[1] == last + 1 and upto == last:
            pending_rows.append(row)
    nodes = [*last_of.values(), *pending_rows]
    inputs = _unjson(head["inputs"])
    digests = [d for _, _, d in writes] + [d for d, _ in inputs.values()]
    parsed = []
    for name, at, versions, outputs, decision, fp, committed in nodes:
        outs = _unjson(outputs)
        digests.extend(outs.values())
        parsed.append((name, at, _unjson(versions), outs, decision, fp, committed))
    data = load_blobs(conn, digests)
    cache: dict[str, Any] = {}

    def value(digest: str, what: str) -> Any:
        if digest not in cache:
            if digest not in data:
                raise CheckpointStorageError(
                    message(
                        f"Workflow {quote(wf)}: the stored value of {what} is missing",
                        [f"blob {digest[:12]}... is not in the database"],
                        "fork from an earlier superstep, or start a new workflow id",
                    ),
                    workflow_id=wf,
                )
            cache[digest] = decode_blob(digest, data[digest], workflow_id=wf, what=what)
        return cache[digest]

    values = {name: value(d, f"input {quote(name)}") for name, (d, _) in inputs.items()}
    versions = dict.fromkeys(values, 1)
    for name, version, digest in writes:
        if digest:  # else a version key without a value (an emit, a per-producer version)
            values[name] = value(digest, quote(name))
        versions[name] = version
    done: dict[str, NodeRec] = {}
    pending: dict[str, NodeRec] = {}
    for name, at, consumed, outs, decision, fp, committed in parsed:
        rec = NodeRec(
            at,
            consumed,
            {o: value(d, f"output {quote(o)} of node {quote(name)}") for o, d in outs.items()},
            None if decision is None else _unjson(decision),
            fp,
        )
        (done if committed else pending)[name] = rec
    return Snapshot(
        upto, cycle_steps, None if core is None else _unjson(core), values, versions, done, pending
    )


def _steps(conn: sqlite3.Connection, wf: str) -> list[StepRecord]:
    writes: dict[int, dict[str, int]] = {}
    for step, name, version in conn.execute(
        "SELECT superstep, name, version FROM writes WHERE workflow_id = ?", (wf,)
    ):
        writes.setdefault(step, {})[name] = version
    out = []
    for step, node, committed, consumed, outputs, decision, fp in conn.execute(
        "SELECT superstep, node, committed, input_versions, outputs, decision, fingerprint "
        "FROM nodes WHERE workflow_id = ? ORDER BY committed DESC, superstep, node",
        (wf,),
    ):
        names = tuple(_unjson(outputs))
        written = writes.get(step, {})
        out.append(
            StepRecord(
                superstep=step,
                node_name=node,
                input_versions=_unjson(consumed),
                outputs=names,
                written={n: written[n] for n in names if n in written} if committed else {},
                decision=None if decision is None else tuple(_unjson(decision)),
                fingerprint=fp,
                committed=bool(committed),
            )
        )
    return out


def encode_json(value: Any) -> bytes:
    return _json(value)


def decode_json(data: bytes | str) -> Any:
    return _unjson(data)
