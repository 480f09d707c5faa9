"""Fixtures for the cache tests: a private HMAC key per test, and both runners with a cache.

The key file would otherwise be created in the developer's real config directory; every test
gets its own ``XDG_CONFIG_HOME`` (and no ``HYPERGRAPH_SECRET``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.cache import DiskCache, InMemoryCache


@pytest.fixture(autouse=True)
def _private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    monkeypatch.delenv("HYPERGRAPH_SECRET", raising=False)


@pytest.fixture(params=["sync", "async"])
def runner_kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=["memory", "disk"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty ``InMemoryCache`` or ``DiskCache`` (closed after the test)."""
    cache: Any = InMemoryCache() if request.param == "memory" else DiskCache(tmp_path / "c")
    yield cache
    cache.close()


@pytest.fixture
def run(runner_kind: str) -> Callable[..., Any]:
    """``run(graph, cache, values=None, **kwargs)``: one call of a fresh runner with ``cache``."""

    def _run(graph: Any, cache: Any, values: Any = None, /, **kwargs: Any) -> Any:
        if runner_kind == "sync":
            return SyncRunner(cache=cache).run(graph, values, **kwargs)
        return asyncio.run(AsyncRunner(cache=cache).run(graph, values, **kwargs))

    return _run


@pytest.fixture
def run_map(runner_kind: str) -> Callable[..., Any]:
    """``run_map(graph, cache, values=None, **kwargs)``: ``map`` of a fresh cached runner."""

    def _map(graph: Any, cache: Any, values: Any = None, /, **kwargs: Any) -> Any:
        if runner_kind == "sync":
            return SyncRunner(cache=cache).map(graph, values, **kwargs)
        return asyncio.run(AsyncRunner(cache=cache).map(graph, values, **kwargs))

    return _map
