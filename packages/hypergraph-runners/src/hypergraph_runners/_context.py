"""Per-call state shared by a top-level call and all its nested runs and map items.

A context is created inside each top-level ``run()`` / ``map()`` call and never stored on a
runner, a graph or a module (RELIABILITY C1): a runner reused on another thread or event loop
gets fresh ones, so nothing can be "bound to a different event loop".

Also the mark of the threads that run an executor's chunk (``in_worker``), which the threads a
call starts there inherit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import msgspec

if TYPE_CHECKING:
    from ._emitter import Emitter
    from ._leaf import Stop
    from .cache._session import Session
    from .checkpoint._session import Session as Checkpoint

__all__ = [
    "DEFAULT_POOL_SIZE",
    "AsyncContext",
    "Context",
    "in_worker",
    "run_private_loop",
    "set_in_worker",
]

T = TypeVar("T")
P = ParamSpec("P")

#: Threads in a call's pool when no ``max_concurrency`` is given (SPEC RUN-07).
DEFAULT_POOL_SIZE = 32

#: Set in a thread that runs an executor's chunk (``executors._job.run_chunk``) and in the
#: threads a call started there makes (its pool's, a private loop's helper): a runner there
#: runs everything locally and never submits to an executor again (a nested map re-submitted
#: from a thread executor's worker would wait for the very threads it holds).
_WORKER = threading.local()


def in_worker() -> bool:
    """True in a thread running an executor's chunk, or one its items started."""
    return getattr(_WORKER, "active", False)


def set_in_worker(active: bool) -> bool:
    """Mark (or unmark) this thread as running an executor's chunk; the previous mark."""
    previous = in_worker()
    _WORKER.active = active
    return previous


def _mark_worker() -> None:
    _WORKER.active = True


class _Pool(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` that adds a thread only when its threads are all held by
    bodies.

    ``ThreadPoolExecutor`` learns that a worker is idle only after the worker has handed over
    its result and gone back to its queue (CPython 3.12 even polls the queue first). The event
    loop gets the result before that and submits the next body at once, so on 3.12 a chain of
    ``def`` nodes under AsyncRunner started a new thread per hop, up to the pool size (32
    threads for a serial chain). Counting unfinished submissions, with the count dropped before
    the result reaches the loop (a done callback added before the loop's own), keeps a serial
    chain on one thread on every version.

    A burst of quick bodies (twenty I/O nodes finishing at once, each followed by a small
    ``def`` node) is served best by the threads already there: each ``Thread.start()`` stops
    the loop until the new thread runs, and each extra thread adds contention for the GIL
    (measured: one worker 1.09x a plain ``gather``, a thread per body 1.21x). So past the
    first worker, a submission that finds every thread busy starts none at once: a timer on
    the submitting event loop looks again every ``STALL`` seconds, and adds threads for the
    waiting submissions once no body has finished for ``QUIET`` checks in a row (every worker
    is held by a slow body: I/O in a ``def``, a barrier); while bodies finish, the workers
    there get to the waiting ones. Outside an event loop threads start at once, as in
    ``ThreadPoolExecutor``. The timer is cancelled at shutdown, which runs on that loop.
    """

    #: Seconds without a finished body, with submissions waiting, before threads are added
    #: (the event loop's timers have millisecond resolution).
    STALL = 0.001
    #: Checks in a row without a finished body before threads are added.
    QUIET = 2

    def __init__(self, size: int, prefix: str) -> None:
        # A pool made inside an executor's chunk: its threads belong to the chunk too.
        mark = _mark_worker if in_worker() else None
        super().__init__(size, thread_name_prefix=prefix, initializer=mark)
        self._unfinished = 0
        self._finishes = 0  # bodies finished so far: the stall check's sign of progress
        self._count_lock = threading.Lock()
        self._timer: asyncio.TimerHandle | None = None  # the scheduled stall check

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._count_lock:
            self._unfinished += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: object) -> None:
        with self._count_lock:
            self._unfinished -= 1
            self._finishes += 1

    def _short(self) -> int:
        """How many more threads the unfinished submissions could use (within the size)."""
        return max(0, min(self._unfinished, self._max_workers) - len(self._threads))

    def _adjust_thread_count(self) -> None:
        # (Called by ``submit`` under the executor's shutdown lock.)
        if self._timer is not None or not self._short():
            return  # a thread is idle (or about to be), or a stall check is scheduled
        if self._threads:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._timer = loop.call_later(self.STALL, self._check, loop, self._finishes)
                return
        self._add_threads(1)  # the first worker, or no loop to wait on: now

    def _check(self, loop: asyncio.AbstractEventLoop, seen: int, quiet: int = 0) -> None:
        """On the loop, each ``STALL`` while submissions wait for a thread: after ``QUIET``
        checks in a row without a finished body, add threads for them. (One quiet check is
        not enough: a busy loop, submitting a burst, also keeps a quick worker from the GIL.)
        """
        with self._shutdown_lock:
            self._timer = None
            if self._shutdown or not self._short():
                return
            quiet = 0 if self._finishes != seen else quiet + 1
            if quiet < self.QUIET:
                self._timer = loop.call_later(self.STALL, self._check, loop, self._finishes, quiet)
            else:
                self._add_threads(self._short())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # Called on the loop that owns the timer (the call's end, ``AsyncContext.shutdown``).
        # A stall check left scheduled after the call delays the loop's next timers by up
        # to a millisecond (measured: a following 10 ms sleep took 11.4 ms).
        with self._shutdown_lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        super().shutdown(wait, cancel_futures=cancel_futures)

    def _add_threads(self, n: int) -> None:
        while self._idle_semaphore.acquire(timeout=0):
            pass  # idle credits the workers left behind are stale: every thread is busy
        for _ in range(n):
            super()._adjust_thread_count()


class Context(msgspec.Struct, frozen=True):
    """What every nested run of a call inherits.

    Attributes:
        max_iterations: The cycle budget of every run of the call (each run counts its own).
        stop: For a SyncRunner subtree run in an AsyncRunner's worker thread, set when that
            run is stopping: no further node starts.
        emitter: The call's event emitter, or ``None`` when the call has no event processors
            (then no event is ever built).
        cache: The runner's cache backend for this call, or ``None`` (no cache configured:
            nothing of the cache is imported). Nested runs and map items share it.
        checkpoint: The call's checkpoint session, or ``None`` (no checkpointer: nothing of
            ``checkpoint`` is imported). Nested runs and map items journal through it.
    """

    max_iterations: int
    stop: Stop | None = None
    emitter: Emitter | None = None
    cache: Session | None = None
    checkpoint: Checkpoint | None = None


class Threads:
    """A call's thread pool, created at the first sync body (threads start on demand)."""

    __slots__ = ("_lock", "_pool", "prefix", "size")

    def __init__(self, size: int, prefix: str) -> None:
        self.size = size
        self.prefix = prefix
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = _Pool(self.size, self.prefix)
        return self._pool

    def shutdown(self) -> None:
        """Shut the pool down, waiting for its threads (all settled by then)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


class AsyncContext(Context, frozen=True, kw_only=True):
    """An ``AsyncRunner`` call's limiter and thread pool (made by ``AsyncContext.new``).

    Attributes:
        limit: ``max_concurrency`` of the call, or ``None``.
        limiter: One semaphore for the whole call, held only around leaf bodies (C1, C2).
        pool_size: Threads in the pool: the limit, or ``DEFAULT_POOL_SIZE``.
        bare: No limiter and no event emitter: a leaf is just its body (the fast path).
        run_id: The call's run id (names its threads).
        threads: The call's thread pool.
    """

    limit: int | None
    limiter: asyncio.Semaphore | None
    pool_size: int
    bare: bool
    run_id: str
    threads: Threads

    @classmethod
    def new(
        cls,
        max_iterations: int,
        limit: int | None,
        run_id: str,
        emitter: Emitter | None = None,
        cache: Session | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> AsyncContext:
        size = limit if limit is not None else DEFAULT_POOL_SIZE
        return cls(
            max_iterations, None, emitter, cache, checkpoint,
            limit=limit,
            limiter=asyncio.Semaphore(limit) if limit is not None else None,
            pool_size=size,
            bare=limit is None and emitter is None,
            run_id=run_id,
            threads=Threads(size, f"hypergraph-{run_id}"),
        )  # fmt: skip

    def pool(self) -> ThreadPoolExecutor:
        """The call's thread pool, created at the first sync body (threads start on demand)."""
        return self.threads.pool()

    def shutdown(self) -> None:
        """Shut the pool down, waiting for its threads (all settled by then)."""
        self.threads.shutdown()


def run_private_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private event loop (NEST-06, RELIABILITY C8).

    With no loop running in this thread: ``asyncio.run``. Otherwise a helper thread runs its
    own loop while this thread blocks; a ``BaseException`` raised here while waiting (Ctrl-C)
    cancels the helper's work, waits for it to finish (its threads settled, even if Ctrl-C is
    pressed again meanwhile), then propagates.
    """
    if not _loop_running():
        return asyncio.run(make())
    box: dict[str, Any] = {}
    worker = in_worker()
    ready = threading.Event()  # the helper's loop runs (or the helper is done)
    done = threading.Event()  # the helper's run is over and ``box`` holds its outcome

    async def main() -> T:
        box["loop"] = asyncio.get_running_loop()
        box["task"] = asyncio.current_task()
        ready.set()
        return await make()

    def target() -> None:
        if worker:
            _mark_worker()
        try:
            box["result"] = asyncio.run(main())
        except BaseException as exc:  # handed to the waiting thread below
            box["error"] = exc
        finally:
            ready.set()
            done.set()

    helper = threading.Thread(target=target, name="hypergraph-loop", daemon=True)
    helper.start()
    try:
        # Not ``helper.join()``: on Python 3.11 and 3.12, Ctrl-C interrupting ``join()``
        # releases the running thread's state lock and marks it stopped, so a second
        # ``join()`` would return at once instead of waiting for the cancelled run.
        done.wait()
    except BaseException:
        _wait_through_interrupts(ready)
        if "task" in box:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the run is over
                box["loop"].call_soon_threadsafe(box["task"].cancel)
        _wait_through_interrupts(done)
        raise
    finally:
        if done.is_set():
            helper.join()  # the helper only has to return now
    if "error" in box:
        error: BaseException = box.pop("error")
        raise error
    return box["result"]  # type: ignore[no-any-return]


def _wait_through_interrupts(event: threading.Event) -> None:
    """Wait for ``event`` even if Ctrl-C is pressed again: started threads are settled."""
    while True:
        try:
            event.wait()
        except BaseException:  # the first interrupt propagates afterwards
            continue
        return


def _loop_running() -> bool:
    """True if an event loop runs in this thread.

    The probe's ``RuntimeError`` is handled here, never around the nested run: an exception
    raised inside an ``except`` block (even in a coroutine resumed from it) would get the
    probe's error as its ``__context__`` (issue 13 case 7).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
