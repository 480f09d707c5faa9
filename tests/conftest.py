"""Suite-wide settings: Hypothesis profiles and the leak detectors of RELIABILITY.md §4.1.

Only pytest, hypothesis and the standard library are imported here, because each package's
tests also run with nothing but that package installed (scripts/isolation).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("slow", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


class _AsyncioErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _no_stray_asyncio_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail on "Task was destroyed but it is pending" and other errors asyncio only logs."""
    handler = _AsyncioErrors()
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    try:
        yield
        gc.collect()
    finally:
        log.removeHandler(handler)
    if handler.records and not request.node.get_closest_marker("allow_asyncio_errors"):
        text = "\n".join(handler.format(r) for r in handler.records)
        pytest.fail(f"asyncio logged errors during the test:\n{text}")


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """No ``hypergraph-*`` worker thread may outlive a test."""
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("hypergraph-"):
            thread.join(timeout=2)
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("hypergraph-")]
    assert not leaked, f"threads outlived the test: {leaked}"
