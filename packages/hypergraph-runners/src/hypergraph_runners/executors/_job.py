"""The job of one fan-out (what every chunk shares) and the function a worker runs per chunk.

A ``Job`` holds the graph, the broadcast values and the options: serialised once per call by
us with cloudpickle when chunks cross processes, and cached per worker process by digest, so
a warm worker never receives the same graph twice. In the caller's own process (threads, an
in-process Dask cluster) nothing is pickled: the worker finds the job in ``_LOCAL`` and the
results come back as the very objects (identity kept, as without an executor).

A worker runs its chunk's items with the local drivers: the sync driver when the graph has
no async node (whatever the runner), else the AsyncRunner's own item fan-out on a private
event loop. Inside a worker everything runs locally: no executor is used again.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_types import RunResult, RunStatus
from hypergraph_types._internal import message, new_run_id

from .._context import AsyncContext, Context, set_in_worker
from .._core import Scope
from .._inputs import NO_BYPASS, Prepared, prepare_nested
from .._mapping import item_values
from .._plan import sync_only

if TYPE_CHECKING:
    from hypergraph_graph import Graph

__all__ = ["NEED_JOB", "Job", "Ticket", "run_chunk"]

#: What a worker answers when it lacks the job's bytes (the driver resends the chunk with them).
NEED_JOB = "need-job"

_HOST = socket.gethostname()

#: Jobs of calls in progress in this process, by digest (threads and in-process workers).
_LOCAL: dict[str, Job] = {}
#: Jobs loaded from bytes in this worker process, by digest; the most recent few are kept.
_LOADED: OrderedDict[str, Job] = OrderedDict()
_LOADED_MAX = 8
_LOADED_LOCK = threading.Lock()


class Warned:
    """A ``WarnOnce`` stand-in on the worker: the ``select`` warning is recorded, and the
    caller emits it at its own line (``Window.warned``)."""

    __slots__ = ("armed", "site", "text")

    def __init__(self, select: tuple[str, ...] | None) -> None:
        self.armed = select is not None
        self.site = self
        self.text: str | None = None

    def warn(self, text: str, category: type[Warning]) -> None:
        self.text = text


class Job:
    """Everything the items of one fan-out share.

    Attributes:
        graph: The graph each item runs.
        broadcast: The values every item gets (inner names for a nested graph).
        addressed, bypassed: ``runner.map``'s prepared extras (``Prepared``).
        plain: Nested items only: ``None`` for ``runner.map``; else whether the values need no
            splitting (``NestedRequest.plain``).
        select: ``runner.map``'s ``select``.
        max_iterations: The cycle budget of each item run.
        scope: Nested items only: the parent run's ``(prefix, run_id, item)`` and the
            GraphNode's name, so paths and notes read as they do locally.
        stop_on_failure: A chunk stops at its first failed item (``raise`` / nested maps).
        async_kind: AsyncRunner options ``(sync_nodes_inline, max_concurrency)``, or ``None``.
    """

    __slots__ = (
        "addressed",
        "async_kind",
        "broadcast",
        "bypassed",
        "graph",
        "max_iterations",
        "plain",
        "scope",
        "select",
        "stop_on_failure",
    )

    def __init__(
        self,
        graph: Graph,
        broadcast: dict[str, Any],
        *,
        addressed: dict[str, dict[str, Any]] | None = None,
        bypassed: frozenset[int] = NO_BYPASS,
        plain: bool | None = None,
        select: tuple[str, ...] | None = None,
        max_iterations: int,
        scope: tuple[str, str, int | None, str] | None = None,
        stop_on_failure: bool,
        async_kind: tuple[bool, int | None] | None = None,
    ) -> None:
        self.graph = graph
        self.broadcast = broadcast
        self.addressed = addressed or {}
        self.bypassed = bypassed
        self.plain = plain
        self.select = select
        self.max_iterations = max_iterations
        self.scope = scope
        self.stop_on_failure = stop_on_failure
        self.async_kind = async_kind

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)

    def item(self, i: int, values: dict[str, Any]) -> tuple[Prepared, Scope, str]:
        """Item ``i``'s prepared values, scope and run id (as the local drivers make them)."""
        values = {**self.broadcast, **values}
        if self.scope is None:
            run_id = new_run_id()
            return Prepared(values, self.addressed, self.bypassed), Scope("", run_id, i), run_id
        prefix, parent_run, parent_item, name = self.scope
        child = Scope(prefix, parent_run, parent_item).child(f"{name}[{i}]")
        prepared = (
            Prepared(values, {}, NO_BYPASS) if self.plain else prepare_nested(self.graph, values)
        )
        return prepared, child, new_run_id()


class Ticket:
    """What each chunk carries instead of the job: its digest and where the caller lives."""

    __slots__ = ("digest", "host", "pid")

    def __init__(self, digest: str) -> None:
        self.digest = digest
        self.host = _HOST
        self.pid = os.getpid()

    def __getstate__(self) -> tuple[str, str, int]:
        return (self.digest, self.host, self.pid)

    def __setstate__(self, state: tuple[str, str, int]) -> None:
        self.digest, self.host, self.pid = state

    @property
    def local(self) -> bool:
        """The worker runs in the caller's process (a thread): objects need no pickling."""
        return self.pid == os.getpid() and self.host == _HOST


def register(job: Job, blob: bytes | None) -> Ticket:
    """Make ``job`` findable by this process's workers; ``blob`` is its bytes, if shipped."""
    digest = hashlib.sha256(blob).hexdigest() if blob is not None else new_run_id()
    ticket = Ticket(digest)
    _LOCAL[ticket.digest] = job
    return ticket


def unregister(ticket: Ticket) -> None:
    _LOCAL.pop(ticket.digest, None)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hypergraph-runners")
    except PackageNotFoundError:  # pragma: no cover - a source checkout without metadata
        return "unknown"


def job_bytes(job: Job) -> bytes:
    """The job as shipped: the caller's hypergraph-runners version line, then cloudpickle."""
    from ._transport import dumps

    return f"hypergraph-runners {_version()}\n".encode() + dumps(job)


def check_version(blob: bytes) -> None:
    """The worker runs the caller's version of hypergraph-runners (else the pickle may not
    even load, or load into something subtly different)."""
    theirs = blob[: blob.index(b"\n")].decode().rpartition(" ")[2]
    ours = _version()
    if theirs != ours:
        raise RuntimeError(
            message(
                f"The executor's worker runs hypergraph-runners {ours}; the caller runs {theirs}",
                ["the graph travels pickled: both sides need the same hypergraph version"],
                f"install hypergraph-runners=={theirs} on the workers (or the caller's "
                "version of hypergraph-runtime)",
            )
        )


def _job_of(ticket: Ticket, blob: bytes | None) -> Job | None:
    if ticket.local:
        return _LOCAL.get(ticket.digest)
    with _LOADED_LOCK:
        job = _LOADED.get(ticket.digest)
        if job is not None:
            _LOADED.move_to_end(ticket.digest)
            return job
    if blob is None:
        return None
    from ._transport import loads

    check_version(blob)
    try:
        job = loads(blob[blob.index(b"\n") + 1 :])
        assert isinstance(job, Job)
    except Exception as exc:
        exc.add_note(
            "hypergraph: the executor's worker could not load the graph; its functions are "
            "pickled by reference to their module, which the worker must be able to import\n"
            "How to fix: install that module on the workers, or "
            "cloudpickle.register_pickle_by_value(module) before the map"
        )
        raise
    with _LOADED_LOCK:
        _LOADED[ticket.digest] = job
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return job


def run_chunk(
    ticket: Ticket, blob: bytes | None, indices: Sequence[int], columns: Any
) -> tuple[Any, float, str | None]:
    """The task each chunk is: run items ``indices`` (values in ``columns``) of the job.

    Returns ``(pairs, seconds, warning)``: the ``(index, RunResult)`` pairs of the items that
    ran (as bytes when crossing processes), how long they took, and the ``select`` warning's
    text if an item raised it; or ``(NEED_JOB, 0.0, None)``.
    """
    job = _job_of(ticket, blob)
    if job is None:
        return NEED_JOB, 0.0, None
    local = ticket.local
    if not local:
        from ._transport import loads

        columns = loads(columns)
    began = time.perf_counter()
    items = item_values(columns, "zip")
    warned = Warned(job.select)
    previous = set_in_worker(True)
    try:
        if job.async_kind is not None and not sync_only(job.graph):
            pairs = asyncio.run(_run_async(job, list(indices), items, warned))
        else:
            pairs = _run_sync(job, indices, items, warned)
    finally:
        set_in_worker(previous)
    seconds = time.perf_counter() - began
    if local:
        return pairs, seconds, warned.text
    from ._transport import pack_results

    return pack_results(pairs), seconds, warned.text


def _run_sync(
    job: Job, indices: Sequence[int], items: Any, warned: Warned
) -> list[tuple[int, RunResult]]:
    """The chunk's items one after another under the sync driver (SyncRunner semantics)."""
    from .._sync import SyncRunner

    runner = SyncRunner()
    ctx = Context(job.max_iterations)
    graph, select = job.graph, job.select
    pairs: list[tuple[int, RunResult]] = []
    for i, values in zip(indices, items):
        prepared, scope, run_id = job.item(i, values)
        result = runner._run_graph(ctx, graph, prepared, select, scope, run_id, warned)  # type: ignore[arg-type]
        pairs.append((i, result))
        if job.stop_on_failure and result.status is RunStatus.FAILED:
            break
    return pairs


async def _run_async(
    job: Job, indices: list[int], items: Any, warned: Warned
) -> list[tuple[int, RunResult]]:
    """The chunk's items through the AsyncRunner's fan-out core, on a private event loop."""
    from .._async import AsyncRunner
    from .._fanout import FanOut, fan_out_async

    assert job.async_kind is not None
    inline, limit = job.async_kind
    runner = AsyncRunner(sync_nodes="inline" if inline else "thread")
    ctx = AsyncContext.new(job.max_iterations, limit, new_run_id())
    graph, select = job.graph, job.select

    def run(_: Scope, k: int, values: dict[str, Any]) -> Awaitable[RunResult]:
        # The core numbers the chunk's items from 0: the job knows their place in the map.
        prepared, scope, run_id = job.item(indices[k], values)
        return runner._run_graph(ctx, graph, prepared, select, scope, run_id, warned)  # type: ignore[arg-type]

    try:
        fan = FanOut(items, len(indices), job.stop_on_failure)
        results = await fan_out_async(ctx, fan, run, None)
    finally:
        ctx.shutdown()
    return [(indices[k], r) for k, r in enumerate(results) if r is not None]
