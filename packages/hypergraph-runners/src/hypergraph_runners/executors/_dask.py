"""A ``dask.distributed.Client`` (synchronous or ``asynchronous=True``) as a ``MapExecutor``.

Imported only when a runner is given a Client (the ``dask`` extra). The job's bytes reach the
workers as a "recipe" future (a task returning them, recomputed if a worker holding them
dies) below ``_RECIPE_MAX``, above it scattered to every worker (Dask warns about task graphs
that large, and the warning would fail users' warnings-as-errors test suites).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from distributed.client import FutureCancelledError

from hypergraph_types import InvalidInputError
from hypergraph_types._internal import message

__all__ = ["DaskExecutor"]

_RECIPE_MAX = 4 * 1024 * 1024


def _identity(blob: bytes) -> bytes:
    return blob


class LostByDask(Exception):
    """Dask cancelled a chunk itself (e.g. the data it needed was lost with its workers)."""


async def _outcome(future: Any) -> Any:
    """The task's result; its error as raised on the worker; ``LostByDask`` if Dask dropped it."""
    result = await future._result(raiseit=False)
    if future.status == "finished":
        return result
    if future.status == "cancelled":
        raise LostByDask(f"Dask cancelled the task {future.key!r}") from (
            result if isinstance(result, BaseException) else None
        )
    _typ, exc, tb = result
    raise exc.with_traceback(tb)


class DaskExecutor:
    """The ``MapExecutor`` for a Dask ``Client``."""

    def __init__(self, client: Any, runner: str) -> None:
        self.client: Any = client  # distributed is only partly typed
        self.asynchronous: bool = bool(client.asynchronous)
        if self.asynchronous and runner == "SyncRunner":
            raise InvalidInputError(
                message(
                    "SyncRunner(executor=...) got an asynchronous Dask Client",
                    ["an asynchronous Client is driven by an event loop; SyncRunner has none"],
                    "use AsyncRunner(executor=client), or create the Client with "
                    "asynchronous=False (the default)",
                )
            )
        self._dask_of: dict[Any, Any] = {}

    @property
    def crosses_processes(self) -> bool:
        # An in-process LocalCluster (processes=False) talks over inproc:// in this process.
        address = str(getattr(self.client.scheduler, "address", "") or "")
        return not address.startswith("inproc://")

    @property
    def slots(self) -> int:
        info = self.client.scheduler_info()
        total = info.get("total_threads") or sum(
            w.get("nthreads", 1) for w in info.get("workers", {}).values()
        )
        return max(1, int(total or 1))

    def check_loop(self) -> None:
        """An asynchronous Client must belong to the running event loop."""
        loop = getattr(self.client.loop, "asyncio_loop", None)
        if loop is not None and loop is not asyncio.get_running_loop():
            raise InvalidInputError(
                message(
                    "AsyncRunner(executor=...) got an asynchronous Dask Client bound to "
                    "another event loop",
                    ["an asynchronous Client works only on the loop that created it"],
                    "create the Client inside the coroutine that runs the map "
                    "(async with Client(..., asynchronous=True) as client: ...)",
                )
            )

    # -- sharing the job --------------------------------------------------------------------

    def share(self, blob: bytes) -> Any:
        if len(blob) <= _RECIPE_MAX:
            key = "hypergraph-job-" + hashlib.sha256(blob).hexdigest()[:32]
            return self.client.submit(_identity, blob, key=key, pure=False)
        return self.client.scatter(blob, broadcast=True, hash=False)

    async def ashare(self, blob: bytes) -> Any:
        if len(blob) <= _RECIPE_MAX:
            return self.share(blob)
        return await self.client.scatter(blob, broadcast=True, hash=False)

    def release(self, handle: Any) -> None:
        release = getattr(handle, "release", None)
        if callable(release):
            release()

    # -- chunks -----------------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]:
        future = self.client.submit(fn, *args, pure=False)
        done: cf.Future[Any] = cf.Future()
        done.dask = future  # type: ignore[attr-defined]

        async def cascade() -> None:
            try:
                result = await _outcome(future)
            except BaseException as exc:  # the task's own error, as the worker raised it
                if not done.cancelled():
                    done.set_exception(exc)
            else:
                if not done.cancelled():  # cancelled by the driver meanwhile: nobody waits
                    done.set_result(result)

        self.client.loop.add_callback(cascade)
        return done

    def asubmit(self, fn: Callable[..., Any], /, *args: Any) -> Awaitable[Any]:
        future = self.client.submit(fn, *args, pure=False)
        task = asyncio.ensure_future(_outcome(future))
        self._dask_of[task] = future
        task.add_done_callback(lambda t: self._dask_of.pop(t, None))
        return task

    def cancel(self, futures: Sequence[cf.Future[Any]]) -> None:
        dask = [f.dask for f in futures if getattr(f, "dask", None) is not None]  # type: ignore[attr-defined]
        for f in futures:
            f.cancel()
        if dask:
            self.client.cancel(dask)

    async def acancel(self, tasks: Sequence[Any]) -> None:
        dask = [self._dask_of.pop(t) for t in tasks if t in self._dask_of]
        for t in tasks:
            t.cancel()
        if dask:
            await self.client.cancel(dask)

    def lost(self, error: BaseException) -> bool:
        return isinstance(error, (LostByDask, FutureCancelledError)) or (
            type(error).__name__ == "KilledWorker"
        )
