"""Ctrl-C while SyncRunner waits on a nested async graph inside a running loop (issue 13 case 8).

In Jupyter a cell runs inside the kernel's event loop, so SyncRunner runs a nested async graph on
a private loop in a helper thread and waits for it. A real SIGINT is delivered to the main
thread while it waits: the runner must stop the nested run, settle its threads (the async node
is cancelled, a running ``def`` node in the private pool finishes), and only then let the
``KeyboardInterrupt`` propagate; a second Ctrl-C meanwhile does not abandon them. The last test
is the AsyncRunner counterpart (a SyncRunner subtree in a worker thread under ``asyncio.run``).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from support import DEADLINE, pool_threads

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill (POSIX)"
)


@pytest.fixture(autouse=True)
def default_sigint() -> Iterator[None]:
    """Ctrl-C raises ``KeyboardInterrupt`` in the main thread, as in a notebook."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def in_a_cell(body: Callable[[], Any]) -> Any:
    """Call ``body()`` synchronously inside an event loop running in this thread (a cell)."""

    async def cell() -> Any:
        return body()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(cell())
    finally:
        loop.close()


class Scenario:
    """An async nested graph: an async node that would wait 60 s and a ``def`` node that is
    still busy when Ctrl-C arrives; ``log`` records who entered and left, in order."""

    def __init__(self, interrupts: int) -> None:
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.entered = threading.Barrier(3, timeout=DEADLINE)  # both nodes and the interrupter
        self.interrupts = interrupts
        self.main = threading.get_ident()

        @node(output_name="a")
        async def waits(x: int) -> int:
            self.note("async.enter")
            await asyncio.to_thread(self.entered.wait)
            try:
                await asyncio.sleep(60)
            finally:
                self.note("async.exit")
            return x

        @node(output_name="b")
        def busy(x: int) -> int:
            self.note("sync.enter")
            self.entered.wait()
            threading.Event().wait(0.3)  # still running when Ctrl-C arrives
            self.note("sync.exit")
            return x

        self.inner = Graph([waits, busy], name="inner")

    def note(self, what: str) -> None:
        with self.lock:
            self.log.append(what)

    def interrupter(self) -> None:
        self.entered.wait()
        for _ in range(self.interrupts):
            threading.Event().wait(0.05)
            signal.pthread_kill(self.main, signal.SIGINT)

    def run(self, graph: Graph, values: dict[str, Any]) -> None:
        thread = threading.Thread(target=self.interrupter, name="test-interrupter")
        thread.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                in_a_cell(lambda: SyncRunner().run(graph, values))
            self.note("propagated")
        finally:
            thread.join(DEADLINE)


@pytest.mark.parametrize("interrupts", [1, 2])
@pytest.mark.parametrize("mapped", [False, True])
def test_ctrl_c_stops_and_settles_the_nested_run_before_propagating(
    mapped: bool, interrupts: int
) -> None:
    s = Scenario(interrupts)
    inner = s.inner.as_node().map_over("x") if mapped else s.inner.as_node()
    s.run(Graph([inner]), {"x": [1] if mapped else 1})
    assert s.log[-1] == "propagated"
    assert sorted(s.log[:-1]) == ["async.enter", "async.exit", "sync.enter", "sync.exit"]
    assert pool_threads() == []  # the helper thread and the private pool are gone


@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_under_async_runner_settles_a_sync_subtree_before_propagating(
    interrupts: int,
) -> None:
    """The AsyncRunner counterpart: ``asyncio.run`` turns the first Ctrl-C into a cancellation
    of the run, which stops and settles the SyncRunner subtree running in a worker thread; a
    second Ctrl-C meanwhile does not abandon it either."""
    s = Scenario(interrupts)

    @node(output_name="c")
    def more_busy(x: int) -> int:
        s.note("nested.enter")
        s.entered.wait()
        threading.Event().wait(0.3)
        s.note("nested.exit")
        return x

    @node(output_name="a")
    async def waits(x: int) -> int:
        s.note("async.enter")
        await asyncio.to_thread(s.entered.wait)
        try:
            await asyncio.sleep(60)
        finally:
            s.note("async.exit")
        return x

    subtree = Graph([more_busy], name="subtree").as_node(runner=SyncRunner())
    thread = threading.Thread(target=s.interrupter, name="test-interrupter")
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(AsyncRunner().run(Graph([waits, subtree]), {"x": 1}))
        s.note("propagated")
    finally:
        thread.join(DEADLINE)
    assert s.log[-1] == "propagated"
    assert sorted(s.log[:-1]) == ["async.enter", "async.exit", "nested.enter", "nested.exit"]
    assert pool_threads() == []
