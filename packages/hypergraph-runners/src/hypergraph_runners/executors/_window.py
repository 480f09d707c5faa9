"""Handing a fan-out's items to an executor: chunks, the window of chunks in flight,
ordering, failures.

``Window`` is the state shared by the two drivers (``drive_sync`` waits on
``concurrent.futures``, ``drive_async`` on asyncio): it cuts the items into chunks (first
index + slices of the mapped columns, products generated lazily), keeps at most
``max_in_flight`` chunks outstanding (the client holds the results plus the inputs of the
chunks in flight, whatever the item count), writes results by index, and applies the
failure rules: a chunk whose worker died fails its items with ``WorkerLostError``; with
``stop_on_failure`` no chunk is submitted after a failure at index k, outstanding chunks
after k are cancelled and those before k are awaited (the lowest-index failure wins).

``chunksize="auto"``: probe chunks of up to 8 items, then ``~TARGET`` seconds of measured
work per chunk (Dask spends 1.6-2 ms per task: chunks of 1 ms items are 50 items), never
more than 1000 items nor more than a quarter of an even share of what is left per worker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import itertools
import math
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from hypergraph_types import RunResult, RunStatus, WorkerLostError
from hypergraph_types._internal import describe_exception, message

from ._job import NEED_JOB, Job, job_bytes, register, run_chunk, unregister
from ._protocol import MapExecutor, Options

__all__ = ["Window", "drive_async", "drive_sync"]

#: Seconds of work per chunk that ``chunksize="auto"`` aims at.
TARGET = 0.05
_PROBE = 8
_MAX_CHUNK = 1000
#: Jobs up to this size travel with every chunk (a process lacking one never asks for it);
#: larger ones with the first window's chunks, then only to a process that asks.
_SMALL_JOB = 1 << 20

Pairs = list[tuple[int, RunResult]]


class Chunk:
    __slots__ = ("columns", "indices")

    def __init__(self, indices: Sequence[int], columns: Any) -> None:
        self.indices = indices
        self.columns = columns


class Window:
    """One executor fan-out's chunks and results (the drivers do the waiting)."""

    def __init__(
        self,
        lists: dict[str, list[Any]],
        mode: str,
        count: int,
        opts: Options,
        slots: int,
        stop_on_failure: bool,
        results: list[RunResult | None],
        pickled: bool,
    ) -> None:
        self._names = list(lists)
        self._lists = lists
        self._rows: Iterator[tuple[Any, ...]] | None = (
            itertools.product(*lists.values()) if mode == "product" else None
        )
        self._next = 0
        self.count = count
        self._fixed = opts.chunksize
        self._slots = max(1, slots)
        self.window = opts.max_in_flight or max(8, 4 * self._slots)
        self._measured = (0, 0.0)
        self._stop_on_failure = stop_on_failure
        self.results = results
        self._pickled = pickled
        self.failed_at: int | None = None
        #: Items failed before leaving (their inputs cannot be pickled): events still owed.
        self.early: Pairs = []
        #: The ``select`` warning an item raised on its worker (the caller emits it).
        self.warned: str | None = None

    # -- chunks -----------------------------------------------------------------------------

    def _size(self) -> int:
        if self._fixed is not None:
            return self._fixed
        remaining = self.count - self._next
        cap = max(1, min(_MAX_CHUNK, math.ceil(remaining / (4 * self._slots))))
        items, seconds = self._measured
        if not items:
            return min(_PROBE, cap)
        per_item = seconds / items
        return cap if per_item <= 0 else max(1, min(cap, math.ceil(TARGET / per_item)))

    def take(self, in_flight: int) -> list[Chunk]:
        """The chunks to submit now: up to the window, none once stopping or exhausted."""
        chunks: list[Chunk] = []
        while in_flight + len(chunks) < self.window and self._next < self.count:
            if self.failed_at is not None:
                break
            size = min(self._size(), self.count - self._next)
            first = self._next
            self._next += size
            if self._rows is None:
                columns: Any = {n: v[first : first + size] for n, v in self._lists.items()}
            else:
                rows = list(itertools.islice(self._rows, size))
                columns = {n: [row[k] for row in rows] for k, n in enumerate(self._names)}
            chunk = self._shippable(first, size, columns) if self._pickled else None
            if not self._pickled:
                chunk = Chunk(range(first, first + size), columns)
            if chunk is not None:
                chunks.append(chunk)
        return chunks

    def _shippable(self, first: int, size: int, columns: dict[str, list[Any]]) -> Chunk | None:
        """The chunk with its columns pickled; an item that does not pickle fails alone
        (into ``early``), the others go (``None`` if none is left)."""
        from ._transport import dumps

        try:
            return Chunk(range(first, first + size), dumps(columns))
        except Exception:
            pass
        good: list[int] = []
        bad: Pairs = []
        for k in range(size):
            item = {n: v[k] for n, v in columns.items()}
            try:
                dumps(item)
            except Exception as exc:
                bad.append((first + k, _unsendable_item(first + k, item, exc)))
            else:
                good.append(k)
        self.early.extend(self.finished(bad, 0.0))
        if not good:
            return None
        kept = {n: [v[k] for k in good] for n, v in columns.items()}
        return Chunk([first + k for k in good], dumps(kept))

    # -- outcomes ---------------------------------------------------------------------------

    def finished(self, pairs: Pairs, seconds: float) -> Pairs:
        """A chunk came back: record its results (and its timing, for ``"auto"``)."""
        if pairs:
            items, total = self._measured
            self._measured = (items + len(pairs), total + seconds)
        for i, result in pairs:
            self.results[i] = result
            failed = result.status is RunStatus.FAILED and self._stop_on_failure
            if failed and (self.failed_at is None or i < self.failed_at):
                self.failed_at = i
        return pairs

    def lost(self, chunk: Chunk, error: BaseException) -> Pairs:
        """A chunk whose worker died (after the engine's retries): its items fail."""
        first, last = chunk.indices[0], chunk.indices[-1]
        pairs: Pairs = []
        for i in chunk.indices:
            exc = WorkerLostError(
                message(
                    f"The worker running map items {first}..{last} was lost "
                    f"({describe_exception(error)})",
                    [
                        "the executor re-ran the chunk as often as it allows "
                        "(Dask: distributed.scheduler.allowed-failures), and it kept "
                        "killing its worker",
                        f"map item {i} was not completed",
                    ],
                    "find the item that crashes the worker process (os._exit, a segfault, "
                    "running out of memory); chunksize=1 pins it to one item",
                ),
                first=first,
                last=last,
            )
            exc.__cause__ = error
            pairs.append((i, RunResult({}, RunStatus.FAILED, error=exc)))
        return self.finished(pairs, 0.0)

    def doomed(self, pending: dict[Any, Chunk]) -> list[Any]:
        """Outstanding chunks that start after the failure: they are cancelled."""
        at = self.failed_at
        if at is None:
            return []
        return [f for f, c in pending.items() if c.indices[0] > at]


def _unsendable_item(i: int, item: dict[str, Any], exc: Exception) -> RunResult:
    from ._transport import dumps

    bad = []
    for name, value in item.items():
        try:
            dumps(value)
        except Exception:
            bad.append(f"{name!r} ({type(value).__name__})")
    error = TypeError(
        message(
            f"Map item {i} cannot be sent to the executor's worker processes: "
            f"{describe_exception(exc)}",
            [f"mapped values that cannot be pickled: {', '.join(bad) or '(none found)'}"],
            "map over picklable values (ids, paths, plain data) and build connections or "
            "handles inside the nodes, or run this map on a thread executor",
        )
    )
    return RunResult({}, RunStatus.FAILED, error=error)


def _unpack(out: Any) -> Pairs:
    if not isinstance(out, bytes):  # ran in this process: the objects themselves
        return out  # type: ignore[no-any-return]
    from ._transport import unpack_results

    return unpack_results(out)


def _prepare(executor: MapExecutor, job: Job) -> bytes | None:
    """The job's bytes when chunks cross processes (``None``: found in this process)."""
    if not executor.crosses_processes:
        return None
    try:
        return job_bytes(job)
    except Exception as exc:
        raise _unpicklable(job, exc) from exc


def _unpicklable(job: Job, exc: Exception) -> TypeError:
    """Name what in the job cannot be pickled: a node's function or a broadcast value."""
    from hypergraph_graph import FunctionNode

    from ._transport import dumps

    culprits = []
    for name, value in job.broadcast.items():
        try:
            dumps(value)
        except Exception as e:
            culprits.append(f"value {name!r} ({type(value).__name__}): {e}")
    for node in job.graph.nodes.values():
        if isinstance(node, FunctionNode):
            try:
                dumps(node.func)
            except Exception as e:
                culprits.append(f"node {node.name!r}: {e}")
    return TypeError(
        message(
            "Cannot send the graph to the executor's worker processes: it is not picklable "
            f"({describe_exception(exc)})",
            culprits or ["(the culprit could not be narrowed down to one node or value)"],
            "build unpicklable objects (connections, clients, locks) inside the nodes, or run "
            "the map on a thread executor",
        )
    )


class _Shipping:
    """How chunks reach the job: the executor's shared handle, or its bytes with the first
    window's chunks (all of them when small) and with any chunk a worker sent back for them."""

    __slots__ = ("blob", "first", "handle", "ticket")

    def __init__(self, executor: MapExecutor, job: Job) -> None:
        self.blob = _prepare(executor, job)
        self.ticket = register(job, self.blob)
        self.handle: Any = None
        self.first = True

    def args(self, chunk: Chunk, again: bool = False) -> tuple[Any, ...]:
        blob = self.blob
        if self.handle is not None:
            arg = self.handle
        elif blob is not None and (again or self.first or len(blob) <= _SMALL_JOB):
            arg = blob
        else:
            arg = None
        return (run_chunk, self.ticket, arg, chunk.indices, chunk.columns)


def _settle(
    executor: MapExecutor, fan: Window, chunk: Chunk, outcome: Callable[[], Any]
) -> Pairs | None:
    """A chunk's outcome applied to ``fan``; ``None`` when its worker needs the job's bytes."""
    try:
        out, seconds, warned = outcome()
    except BaseException as exc:
        if not executor.lost(exc):
            raise
        return fan.lost(chunk, exc)
    if isinstance(out, str) and out == NEED_JOB:
        return None
    if warned is not None and fan.warned is None:
        fan.warned = warned
    return fan.finished(_unpack(out), seconds)


def _ignore(pairs: Pairs) -> None:
    pass


async def _aignore(pairs: Pairs) -> None:
    pass


def drive_sync(
    executor: MapExecutor,
    job: Job,
    fan: Window,
    emit: Callable[[Pairs], None] | None,
) -> None:
    """Run every item of ``fan`` on ``executor``, waiting in the calling thread."""
    tell = emit if emit is not None else _ignore
    ship = _Shipping(executor, job)
    pending: dict[cf.Future[Any], Chunk] = {}
    try:
        if ship.blob is not None:
            ship.handle = executor.share(ship.blob)
        while True:
            for chunk in fan.take(len(pending)):
                pending[executor.submit(*ship.args(chunk))] = chunk
            ship.first = False
            if fan.early:
                early, fan.early = fan.early, []
                tell(early)
            if not pending:
                break
            done, _ = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                pairs = _settle(executor, fan, chunk, future.result)
                if pairs is None:
                    pending[executor.submit(*ship.args(chunk, again=True))] = chunk
                else:
                    tell(pairs)
            doomed = fan.doomed(pending)
            if doomed:
                executor.cancel(doomed)
                for future in doomed:
                    del pending[future]
    except BaseException:
        if pending:
            executor.cancel(list(pending))  # running chunks finish; their results are dropped
        raise
    finally:
        unregister(ship.ticket)
        if ship.handle is not None:
            executor.release(ship.handle)


class _AsyncSubmitter:
    """Chunks as asyncio futures: a native async executor's (a Dask asynchronous Client)
    or a wrapped ``concurrent.futures.Future``."""

    def __init__(self, executor: MapExecutor) -> None:
        self.executor = executor
        self.native = bool(getattr(executor, "asynchronous", False))
        self.origin: dict[asyncio.Future[Any], cf.Future[Any]] = {}

    async def share(self, blob: bytes) -> Any:
        if self.native:
            return await self.executor.ashare(blob)  # type: ignore[attr-defined]
        return self.executor.share(blob)

    def submit(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if self.native:
            return asyncio.ensure_future(self.executor.asubmit(*args))  # type: ignore[attr-defined]
        future = self.executor.submit(*args)
        waiter = asyncio.wrap_future(future)
        self.origin[waiter] = future
        return waiter

    def outcome(self, waiter: asyncio.Future[Any]) -> Callable[[], Any]:
        self.origin.pop(waiter, None)
        return waiter.result

    async def cancel(self, waiters: Sequence[asyncio.Future[Any]]) -> None:
        if self.native:
            await self.executor.acancel(waiters)  # type: ignore[attr-defined]
        else:
            self.executor.cancel([self.origin.pop(w) for w in waiters if w in self.origin])
        for w in waiters:
            w.cancel()


async def drive_async(
    executor: MapExecutor,
    job: Job,
    fan: Window,
    emit: Callable[[Pairs], Awaitable[None]] | None,
) -> None:
    """``drive_sync`` on asyncio: a cancel of the awaiting task cancels the outstanding chunks."""
    tell = emit if emit is not None else _aignore
    sub = _AsyncSubmitter(executor)
    if sub.native:
        executor.check_loop()  # type: ignore[attr-defined]
    ship = _Shipping(executor, job)
    pending: dict[asyncio.Future[Any], Chunk] = {}
    try:
        if ship.blob is not None:
            ship.handle = await sub.share(ship.blob)
        while True:
            for chunk in fan.take(len(pending)):
                pending[sub.submit(ship.args(chunk))] = chunk
            ship.first = False
            if fan.early:
                early, fan.early = fan.early, []
                await tell(early)
            if not pending:
                break
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for waiter in done:
                chunk = pending.pop(waiter)
                pairs = _settle(executor, fan, chunk, sub.outcome(waiter))
                if pairs is None:
                    pending[sub.submit(ship.args(chunk, again=True))] = chunk
                else:
                    await tell(pairs)
            doomed = fan.doomed(pending)
            if doomed:
                await sub.cancel(doomed)
                for waiter in doomed:
                    del pending[waiter]
    except BaseException:
        if pending:
            await asyncio.shield(sub.cancel(list(pending)))
        raise
    finally:
        unregister(ship.ticket)
        if ship.handle is not None:
            executor.release(ship.handle)
