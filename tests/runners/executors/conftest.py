"""Executors shared by the executor tests: clusters are started once per test module.

Most tests use an in-process Dask cluster (threads, ~35 ms to start); the process-crossing
ones a 2-worker process cluster and a ``ProcessPoolExecutor``. ``dashboard_address=":0"``: two
clusters alive at once would otherwise both want port 8787 (a warning, an error here).

Node functions that must reach worker processes are defined inside the graph factories
(``graphs``): a function nested in another is pickled by value, so workers need not import
this test package (they could not: pytest imports it in importlib mode).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterator
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster

from executor_graphs import process_pool_of

# A broken cluster fails the test in seconds, not at pytest-timeout.
dask.config.set({"distributed.comm.timeouts.connect": "10s"})


def _cluster(processes: bool) -> LocalCluster:
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",
    )


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[LocalCluster]:
    with _cluster(processes=False) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def dask_client(dask_cluster: LocalCluster) -> Iterator[Client]:
    """A synchronous Client of the in-process cluster (2 worker threads, no pickling)."""
    with Client(dask_cluster) as client:
        yield client


@pytest.fixture(scope="module")
def dask_process_cluster() -> Iterator[LocalCluster]:
    with _cluster(processes=True) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def dask_process_client(dask_process_cluster: LocalCluster) -> Iterator[Client]:
    """A synchronous Client of the 2-process cluster (everything crosses processes)."""
    with Client(dask_process_cluster) as client:
        yield client


@pytest.fixture(scope="module")
def process_pool() -> Iterator[cf.ProcessPoolExecutor]:
    with process_pool_of(2) as pool:
        yield pool


@pytest.fixture(scope="module")
def thread_pool() -> Iterator[cf.ThreadPoolExecutor]:
    with cf.ThreadPoolExecutor(2, thread_name_prefix="executor-test") as pool:
        yield pool


EXECUTOR_KINDS = ("threads", "processes", "dask", "dask-processes")


@pytest.fixture(params=EXECUTOR_KINDS)
def executor(request: pytest.FixtureRequest) -> Any:
    """Each kind of executor in turn (the session's instances)."""
    name = {
        "threads": "thread_pool",
        "processes": "process_pool",
        "dask": "dask_client",
        "dask-processes": "dask_process_client",
    }[request.param]
    return request.getfixturevalue(name)
