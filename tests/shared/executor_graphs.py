"""Graph factories for the executor tests (tests/runners/executors), as ``executor_graphs``.

Every node function is defined inside a factory, so cloudpickle ships it by value to worker
processes that cannot import the tests. Also ``process_pool_of``, the tests' process pool.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from typing import Any

from hypergraph_graph import Graph, node


def process_pool_of(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool whose workers fork from a forkserver, never from the test process: that
    process has threads (the clusters and pools of the executor fixtures live per module), and
    on Python 3.12+ forking a process that has threads is a ``DeprecationWarning`` (an error
    under the suite's settings) and may deadlock the child."""
    return cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))


def pipeline(fail_on: int | None = None) -> Graph:
    """x -> a -> b -> c; ``label`` raises ``ValueError`` for ``b == fail_on``."""

    @node(output_name="a")
    def parse(x: int) -> int:
        return x + 1

    @node(output_name="b")
    def scale(a: int, k: int) -> int:
        return a * k

    @node(output_name="c")
    def label(b: int) -> str:
        if b == fail_on:
            raise ValueError(f"cannot label {b}")
        return f"v{b}"

    return Graph([parse, scale, label], name="pipeline")


def raising(make: Any, *, is_async: bool = False) -> Graph:
    """One node ``boom(x)`` raising ``make(x)`` (an exception instance) when it is not None;
    ``async def`` with ``is_async`` (a worker then runs its items on an event loop)."""

    def check(x: int) -> int:
        exc = make(x)
        if exc is not None:
            raise exc
        return x

    if is_async:

        @node(output_name="y")
        async def boom(x: int) -> int:
            return check(x)

        return Graph([boom], name="raising")

    @node(output_name="y")
    def boom(x: int) -> int:
        return check(x)

    return Graph([boom], name="raising")


def pid_graph() -> Graph:
    @node(output_name="pid")
    def where(x: int) -> int:
        return os.getpid()

    return Graph([where])


def returns_lock(bad: int) -> Graph:
    @node(output_name="y")
    def out(x: int) -> Any:
        return threading.Lock() if x == bad else x

    return Graph([out])


def poison(bad: int) -> Graph:
    """Item ``bad`` kills the worker process running it."""

    @node(output_name="y")
    def crash(x: int) -> int:
        if x == bad:
            os._exit(1)
        return x * 2

    return Graph([crash])


def dies_once(flag: str, bad: int) -> Graph:
    """Item ``bad`` kills its worker the first time only (``flag``: a file path marks it)."""

    @node(output_name="y")
    def crash_once(x: int) -> int:
        if x == bad and not os.path.exists(flag):
            with open(flag, "w"):
                pass
            os._exit(1)
        return x * 2

    return Graph([crash_once])


def load_logging(path: str) -> Any:
    """A broadcast value that counts its picklings on its class (``type(v).dumps``) and
    appends the loading process's pid to ``path`` each time it is unpickled (as a string)."""

    def loaded(path: str) -> str:
        with open(path, "a") as log:
            log.write(f"{os.getpid()}\n")
        return "loaded"

    class Logged:
        dumps = 0

        def __reduce__(self) -> tuple[Any, ...]:
            Logged.dumps += 1
            return (loaded, (path,))

    return Logged()


def echo_graph() -> Graph:
    """One node ``y = x`` that also takes a broadcast input ``token``."""

    @node(output_name="y")
    def echo(x: int, token: Any) -> int:
        return x

    return Graph([echo])
