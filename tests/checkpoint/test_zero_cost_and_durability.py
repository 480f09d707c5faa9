"""Without a checkpointer nothing of it is imported; ``durability="async"`` records the same."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.checkpoint import SqliteCheckpointer
from hypergraph_types import InvalidInputError

PROBE = textwrap.dedent(
    """
    import asyncio, sys
    try:
        import hypergraph as hg
        from hypergraph import AsyncRunner, Graph, SyncRunner, node
    except ImportError:
        from hypergraph_graph import Graph, node
        from hypergraph_runners import AsyncRunner, SyncRunner

    @node(output_name="y")
    def f(x: int) -> int:
        return x + 1

    @node(output_name="z")
    def g(y: int) -> int:
        return y * 2

    graph = Graph([f, g])
    inner = Graph([f]).as_node(name="inner")
    SyncRunner().run(graph, {"x": 1})
    SyncRunner().map(graph, {"x": [1, 2]}, map_over="x")
    asyncio.run(AsyncRunner().run(Graph([inner, g]), {"x": 1}))
    asyncio.run(AsyncRunner().map(graph, {"x": [1, 2]}, map_over="x"))
    loaded = sorted(m for m in sys.modules if m == "sqlite3" or ".checkpoint" in m)
    print(loaded)
    """
)


def test_a_run_without_checkpointer_imports_nothing_of_it() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def cycle() -> Graph:
    @node(output_name="n")
    def step(n: int) -> int:
        return n + 1

    @node(output_name="total")
    def acc(n: int, total: int) -> int:
        return total + n

    return Graph([step, acc])


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_async_durability_records_the_same_journal(tmp_path: Path, kind: str) -> None:
    def run(cp: Any) -> Any:
        graph = cycle()
        values = {"n": 0, "total": 0}
        if kind == "sync":
            return SyncRunner(checkpointer=cp).run(
                graph, values, workflow_id="w", max_iterations=50
            )
        return asyncio.run(
            AsyncRunner(checkpointer=cp).run(graph, values, workflow_id="w", max_iterations=50)
        )

    sync_cp = SqliteCheckpointer(tmp_path / "sync.db")
    async_cp = SqliteCheckpointer(tmp_path / "async.db", durability="async")
    a, b = run(sync_cp), run(async_cp)
    assert a.values == b.values and b.checkpoint_ok and b.checkpoint_errors == ()
    strip = [(s.superstep, s.node_name, s.input_versions, s.written) for s in sync_cp.steps("w")]
    assert strip == [
        (s.superstep, s.node_name, s.input_versions, s.written) for s in async_cp.steps("w")
    ]
    assert len(strip) > 50
    sync_cp.close()
    async_cp.close()


def test_checkpointer_argument_errors() -> None:
    with pytest.raises(InvalidInputError, match="durability") as info:
        SqliteCheckpointer(":memory:", durability="later")  # type: ignore[arg-type]
    assert "How to fix:" in str(info.value)
    with pytest.raises(TypeError, match="needs a checkpointer"):
        SyncRunner(checkpointer="runs.db")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="on_change"):
        SyncRunner(checkpointer=SqliteCheckpointer(":memory:")).run(
            cycle(),
            {"n": 0, "total": 0},
            on_change="keep",  # type: ignore[arg-type]
        )


def test_extra_records_commit_with_their_superstep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook durable interrupts build on: a record queued during a superstep is written in
    that superstep's transaction."""
    from hypergraph_runners.checkpoint import _journal

    real = _journal.Journal.next_superstep

    def queue_one(self: Any) -> Any:
        batch = real(self)
        if self.ex.step == 2:
            self.add_record("interrupt", "ask", b"payload")
        return batch

    monkeypatch.setattr(_journal.Journal, "next_superstep", queue_one)
    cp = SqliteCheckpointer(tmp_path / "r.db")
    SyncRunner(checkpointer=cp).run(
        cycle(), {"n": 0, "total": 0}, workflow_id="w", max_iterations=3
    )
    rows = cp.call(
        lambda conn: conn.execute(
            "SELECT superstep, kind, key, data FROM records WHERE workflow_id = 'w'"
        ).fetchall()
    )
    assert rows == [(2, "interrupt", "ask", b"payload")]
    cp.close()
