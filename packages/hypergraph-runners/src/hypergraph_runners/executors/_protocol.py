"""The ``MapExecutor`` protocol, the adapter for any ``concurrent.futures.Executor``, and the
runner options ``executor=`` / ``chunksize=`` / ``max_in_flight=`` (checked at construction).

A Dask ``Client`` is recognised by its class's module name, so the core never imports Dask;
its adapter (``_dask``) is imported only when a runner is given a Client.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from hypergraph_types import InvalidInputError
from hypergraph_types._internal import message, short_repr

from .._options import check_limit

__all__ = ["FuturesExecutor", "MapExecutor", "Options", "adapt", "options"]


@runtime_checkable
class MapExecutor(Protocol):
    """What a runner needs from an executor to run map items elsewhere (write one to plug in
    an engine that is neither a ``concurrent.futures.Executor`` nor a Dask ``Client``).

    The runner cuts the items into chunks and calls ``submit(fn, *args)`` once per chunk, at
    most ``max_in_flight`` chunks outstanding; ``fn`` and its arguments are picklable by the
    stdlib ``pickle`` (the graph itself travels as bytes the runner made with cloudpickle).

    Attributes:
        crosses_processes: ``False`` when tasks run in the caller's process (threads): then
            nothing is pickled and objects keep their identity.
        slots: How many tasks run at once (worker threads in total): sizes chunks and the
            default window.

    Methods:
        share(blob): Called once per map with the job's bytes when ``crosses_processes``;
            returns a handle passed to every task in place of the bytes (e.g. a Dask future),
            or ``None``: then the runner sends the bytes with the first chunks and again to a
            worker that answers it lacks them (each worker process caches them by digest).
        submit(fn, *args): Run ``fn(*args)`` on a worker; a ``concurrent.futures.Future``.
        cancel(futures): Cancel these outstanding tasks (best effort: running ones may finish).
        release(handle): The map is over: drop what ``share`` returned.
        lost(error): Whether a task's error means its worker died (``BrokenProcessPool``,
            Dask's ``KilledWorker``): its items then fail with ``WorkerLostError`` and the map
            goes on; any other task error is raised.
    """

    @property
    def crosses_processes(self) -> bool: ...

    @property
    def slots(self) -> int: ...

    def share(self, blob: bytes) -> Any: ...

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]: ...

    def cancel(self, futures: Sequence[cf.Future[Any]]) -> None: ...

    def release(self, handle: Any) -> None: ...

    def lost(self, error: BaseException) -> bool: ...


class FuturesExecutor:
    """A ``concurrent.futures.Executor`` as a ``MapExecutor`` (threads, processes, loky)."""

    def __init__(self, executor: cf.Executor) -> None:
        self.executor = executor
        self.crosses_processes = not isinstance(executor, cf.ThreadPoolExecutor)
        workers = getattr(executor, "_max_workers", None)
        self.slots = workers if isinstance(workers, int) and workers > 0 else os.cpu_count() or 1

    def share(self, blob: bytes) -> None:
        return None  # each process asks for the bytes once (they travel by digest)

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]:
        return self.executor.submit(fn, *args)

    def cancel(self, futures: Sequence[cf.Future[Any]]) -> None:
        for future in futures:
            future.cancel()

    def release(self, handle: Any) -> None:
        pass

    def lost(self, error: BaseException) -> bool:
        return isinstance(error, cf.BrokenExecutor)


def _is_dask_client(executor: object) -> bool:
    cls = type(executor)
    return cls.__module__.partition(".")[0] == "distributed" and cls.__name__ == "Client"


_VERBS = ("share", "submit", "cancel", "release", "lost")


def adapt(executor: object, runner: str) -> MapExecutor:
    """The ``MapExecutor`` for a runner's ``executor=`` argument (``TypeError`` if none fits)."""
    if isinstance(executor, cf.Executor):
        adapted: MapExecutor = FuturesExecutor(executor)
    elif _is_dask_client(executor):
        from ._dask import DaskExecutor

        adapted = DaskExecutor(executor, runner)
    elif all(callable(getattr(executor, verb, None)) for verb in _VERBS) and all(
        hasattr(executor, name) for name in ("crosses_processes", "slots")
    ):
        adapted = executor  # type: ignore[assignment]
    else:
        raise TypeError(
            message(
                f"{runner}(executor=...) got {type(executor).__name__} {short_repr(executor)}, "
                "which is not an executor",
                [
                    "accepted: a concurrent.futures.Executor (ThreadPoolExecutor, "
                    "ProcessPoolExecutor, loky), a dask.distributed.Client, or an object "
                    "implementing hypergraph.MapExecutor "
                    f"({', '.join(_VERBS)}, crosses_processes, slots)"
                ],
                "pass one of those, or executor=None to run every item in this process",
            )
        )
    if adapted.crosses_processes and (
        importlib.util.find_spec("cloudpickle") is None or importlib.util.find_spec("tblib") is None
    ):
        raise InvalidInputError(
            message(
                f"{runner}(executor={type(executor).__name__}) runs items in other processes, "
                "which needs cloudpickle and tblib",
                ["the graph travels as cloudpickle bytes; exceptions come back with tblib"],
                "pip install 'hypergraph-runners[processes]' (or [dask] for a Dask cluster)",
            )
        )
    return adapted


class Options:
    """A runner's executor configuration (``None`` when it has no executor)."""

    __slots__ = ("chunksize", "executor", "max_in_flight")

    def __init__(
        self, executor: MapExecutor, chunksize: int | None, max_in_flight: int | None
    ) -> None:
        self.executor = executor
        self.chunksize = chunksize  # None: "auto"
        self.max_in_flight = max_in_flight


def options(
    runner: str,
    executor: object,
    chunksize: int | Literal["auto"],
    max_in_flight: int | None,
) -> Options | None:
    """Check ``executor=`` / ``chunksize=`` / ``max_in_flight=`` of a runner's constructor."""
    size: int | None = None
    if chunksize != "auto":
        if isinstance(chunksize, bool) or not isinstance(chunksize, int):
            raise TypeError(
                message(
                    f"chunksize must be 'auto' or an int >= 1, got {short_repr(chunksize)} "
                    f"({type(chunksize).__name__})",
                    ["'auto' sizes chunks from the item count, the workers and the item time"],
                    "pass chunksize='auto' (the default) or a positive int such as 100",
                )
            )
        size = check_limit("chunksize", chunksize, None)
    window = check_limit("max_in_flight", max_in_flight, None)
    if executor is None:
        return None
    return Options(adapt(executor, runner), size, window)
