"""Fixtures for the checkpoint tests: each test body runs under both runners and both stores.

Only ``hypergraph_runners``, ``hypergraph_graph`` and ``hypergraph_types`` are imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.checkpoint import MemoryCheckpointer, SqliteCheckpointer


class Harness:
    """``run`` / ``map`` under one runner kind with one checkpointer."""

    def __init__(self, kind: str, checkpointer: SqliteCheckpointer) -> None:
        self.kind = kind
        self.checkpointer = checkpointer

    def runner(self, **options: Any) -> Any:
        cls = SyncRunner if self.kind == "sync" else AsyncRunner
        return cls(checkpointer=self.checkpointer, **options)

    def run(self, graph: Any, values: Any = None, /, **kwargs: Any) -> Any:
        runner = self.runner()
        if self.kind == "sync":
            return runner.run(graph, values, **kwargs)
        return asyncio.run(runner.run(graph, values, **kwargs))

    def map(self, graph: Any, values: Any = None, /, **kwargs: Any) -> Any:
        runner = self.runner()
        if self.kind == "sync":
            return runner.map(graph, values, **kwargs)
        return asyncio.run(runner.map(graph, values, **kwargs))


@pytest.fixture(params=["sync", "async"])
def runner_kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=["memory", "sqlite"])
def checkpointer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteCheckpointer]:
    cp = (
        MemoryCheckpointer() if request.param == "memory" else SqliteCheckpointer(tmp_path / "r.db")
    )
    yield cp
    cp.close()


@pytest.fixture
def hg(runner_kind: str, checkpointer: SqliteCheckpointer) -> Harness:
    return Harness(runner_kind, checkpointer)
