"""Differential property: a crash at any commit, then a resume, equals an uninterrupted run.

Random graphs (tests/shared/strategies, nested ones included) run under a checkpointer whose
k-th commit dies (before or after it is written, as a process killed there would); resuming
the workflow must give the values of the independent reference interpreter.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as sg
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.checkpoint import MemoryCheckpointer, _journal
from hypergraph_types import RunResult


class Crash(BaseException):
    """The process "dies" at a commit."""


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """The values without the nested graphs' results (NEST-04 adds them under node names)."""
    return {k: v for k, v in values.items() if not isinstance(v, RunResult)}


def run(kind: str, cp: Any, graph: Any, values: Any, **kw: Any) -> Any:
    if kind == "sync":
        return SyncRunner(checkpointer=cp).run(graph, values, **kw)
    return asyncio.run(AsyncRunner(checkpointer=cp).run(graph, values, **kw))


QUICK = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@QUICK
@given(data=st.data())
def test_crash_at_a_random_commit_then_resume_equals_the_reference(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_and_resume(data, monkeypatch)


@pytest.mark.slow
@pytest.mark.timeout(900)
@settings(QUICK, max_examples=500)
@given(data=st.data())
def test_crash_at_a_random_commit_many_graphs(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_and_resume(data, monkeypatch)


def crash_and_resume(data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = data.draw(sg.graph_specs(max_nodes=7, needs_external=True))
    values = data.draw(sg.input_values(spec))
    kind = data.draw(st.sampled_from(["sync", "async"] if spec.sync_runnable else ["async"]))
    graph = sg.build(spec)
    expected = sg.reference(spec, values)
    real = _journal.commit_step
    count = [0]

    def counting(*args: Any) -> None:
        count[0] += 1
        real(*args)

    monkeypatch.setattr(_journal, "commit_step", counting)
    clean = run(kind, MemoryCheckpointer(), graph, values)
    assert clean.completed and plain(clean.values) == expected
    total = count[0]
    crash_at = data.draw(st.integers(1, total), label="crash at commit")
    after = data.draw(st.booleans(), label="crash after the write")
    seen = [0]

    def dies(*args: Any) -> None:
        seen[0] += 1
        if seen[0] == crash_at:
            if after:
                real(*args)
            raise Crash
        real(*args)

    cp = MemoryCheckpointer()
    monkeypatch.setattr(_journal, "commit_step", dies)
    with pytest.raises(Crash):
        run(kind, cp, graph, values, workflow_id="w")
    monkeypatch.setattr(_journal, "commit_step", real)
    resumed = run(kind, cp, graph, None, workflow_id="w")
    assert resumed.completed, resumed.error
    assert plain(resumed.values) == expected
    cp.close()
