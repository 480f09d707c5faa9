"""Shared fixtures for the runner tests: one test body, run under both runners.

``run`` and ``run_map`` take exactly the arguments of ``SyncRunner().run`` / ``.map`` and call
either ``SyncRunner`` directly or ``asyncio.run(AsyncRunner().<method>(...))``, so behaviour
the two runners share is written once and checked twice. ``runner_kind`` tells a test which
runner it got, for the few assertions that legitimately differ.

Only ``hypergraph_runners``, ``hypergraph_graph`` and ``hypergraph_types`` are imported, so
these tests pass with only the runners package installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from hypergraph_runners import AsyncRunner, SyncRunner

RUNNER_KINDS = ("sync", "async")


@pytest.fixture(params=RUNNER_KINDS)
def runner_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` or ``"async"``: every test using ``run``/``run_map`` runs once per runner."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def run(runner_kind: str) -> Callable[..., Any]:
    """``run(graph, values=None, **kwargs)`` under the parametrised runner.

    Keyword arguments (``select=``, ``error_handling=``, keyword shorthand inputs...) are
    passed through unchanged, so ``run(g, x=1)`` is ``SyncRunner().run(g, x=1)``.
    """

    def _run(graph: Any, values: Any = None, /, **kwargs: Any) -> Any:
        if runner_kind == "sync":
            return SyncRunner().run(graph, values, **kwargs)
        return asyncio.run(AsyncRunner().run(graph, values, **kwargs))

    return _run


@pytest.fixture
def run_map(runner_kind: str) -> Callable[..., Any]:
    """``run_map(graph, values=None, **kwargs)``: ``runner.map`` under the parametrised runner."""

    def _map(graph: Any, values: Any = None, /, **kwargs: Any) -> Any:
        if runner_kind == "sync":
            return SyncRunner().map(graph, values, **kwargs)
        return asyncio.run(AsyncRunner().map(graph, values, **kwargs))

    return _map


@pytest.fixture
def calls() -> list[str]:
    """A list node bodies append their names to, for call counts and call order."""
    return []
