"""Resumed state equals an uninterrupted run's: cycles, gates, interrupted supersteps (sibling
replay), nested graphs and the crash window between a child's commit and its parent's."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_graph import END, Graph, node, route
from hypergraph_runners.checkpoint import _journal
from hypergraph_types import InfiniteLoopError


class Log:
    """Calls per node and the nodes that fail (a failure is consumed when it fires)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.fail: dict[str, int] = {}  # node -> fail at this call number
        self.stop: dict[str, int] = {}  # node -> raise Stop (a "kill") at this call number

    def __hypergraph_key__(self) -> str:
        return "log"  # mutable bookkeeping, not code

    def hit(self, name: str) -> None:
        n = self.calls[name] = self.calls.get(name, 0) + 1
        if self.stop.get(name) == n:
            del self.stop[name]
            raise Stop(name)
        if self.fail.get(name) == n:
            del self.fail[name]
            raise RuntimeError(f"{name} failed at call {n}")


class Stop(BaseException):
    """Stands in for the process dying mid-superstep: nothing of the run is cleaned up."""


def counter_cycle(log: Log) -> Graph:
    @node(output_name="count")
    def step(count: int) -> int:
        log.hit("step")
        return count + 1

    @node(output_name="total")
    def acc(count: int, total: int) -> int:
        log.hit("acc")
        return total + count

    @route(targets=["step", END])
    def check(count: int) -> str:
        return "step" if count < 10 else END

    return Graph([step, acc, check], name="cycle")


def test_cycle_resume_equals_uninterrupted_run(hg: Any) -> None:
    clean = hg.run(counter_cycle(Log()), {"count": 0, "total": 0}, workflow_id="clean")
    log = Log()
    log.fail = {"step": 5}
    graph = counter_cycle(log)
    assert hg.run(graph, {"count": 0, "total": 0}, workflow_id="w").failed
    resumed = hg.run(graph, workflow_id="w")
    assert resumed.values == clean.values
    assert log.calls["step"] == 10 + 1  # the failed call, then the rest once each
    cp = hg.checkpointer
    assert cp.state("w").versions == cp.state("clean").versions
    assert cp.state("w").values == cp.state("clean").values


def test_cycle_budget_is_not_reset_by_a_resume(hg: Any) -> None:
    clean = Log()
    with pytest.raises(InfiniteLoopError):
        hg.run(
            counter_cycle(clean),
            {"count": 0, "total": 0},
            max_iterations=6,
            error_handling="raise",
        )
    log = Log()
    log.fail = {"step": 3}
    graph = counter_cycle(log)
    hg.run(graph, {"count": 0, "total": 0}, workflow_id="w", max_iterations=6)
    resumed = hg.run(graph, workflow_id="w", max_iterations=6)
    assert isinstance(resumed.error, InfiniteLoopError)
    assert log.calls["step"] == clean.calls["step"] + 1  # the same budget, one failed call


def siblings(log: Log) -> Graph:
    """A cycle whose every superstep runs ``fast`` and ``slow`` side by side."""

    @node(output_name="a")
    def fast(n: int) -> int:
        log.hit("fast")
        return n * 2

    @node(output_name="b")
    def slow(n: int) -> int:
        log.hit("slow")
        return n * 3

    @node(output_name="n")
    def join(a: int, b: int) -> int:
        log.hit("join")
        return (a + b) // 5 + 1

    @route(targets=["fast", "slow", END], multi_target=True)
    def again(n: int) -> Any:
        return ["fast", "slow"] if n < 4 else []

    return Graph([fast, slow, join, again], name="siblings")


def test_finished_siblings_of_an_interrupted_superstep_are_replayed(hg: Any) -> None:
    clean_log = Log()
    clean = hg.run(siblings(clean_log), {"n": 1, "a": 0, "b": 0})
    assert clean.completed
    log = Log()
    log.stop = {"slow": 2}  # dies in the second superstep, after `fast` finished
    graph = siblings(log)
    if hg.kind == "async":
        log.stop = {"join": 2}  # async siblings finish in any order: interrupt the next step
    with pytest.raises(Stop):
        hg.run(graph, {"n": 1, "a": 0, "b": 0}, workflow_id="w")
    assert hg.checkpointer.get_run("w").status.value == "interrupted"
    resumed = hg.run(graph, workflow_id="w")
    assert resumed.values == clean.values
    if hg.kind == "sync":
        # `fast` finished before the "kill": replayed, never run again; `slow` ran twice
        assert log.calls["fast"] == clean_log.calls["fast"]
        assert log.calls["slow"] == clean_log.calls["slow"] + 1
        assert "fast" in resumed.restored
    assert hg.checkpointer.state("w").versions == hg.checkpointer.state(clean.workflow_id).versions


def test_pending_completion_with_changed_code_runs_again(hg: Any, runner_kind: str) -> None:
    if runner_kind == "async":
        pytest.skip("siblings finish in any order under AsyncRunner; the sync case pins it")
    log = Log()
    log.stop = {"slow": 1}
    graph = siblings(log)
    with pytest.raises(Stop):
        hg.run(graph, {"n": 1, "a": 0, "b": 0}, workflow_id="w")
    assert [s.node_name for s in hg.checkpointer.steps("w") if not s.committed] == ["fast"]

    @node(output_name="a")
    def fast(n: int) -> int:  # edited: its pending completion must not be replayed
        log.hit("fast")
        return n * 2 + 0

    edited = Graph([fast, *[n for k, n in graph.nodes.items() if k != "fast"]], name="siblings")
    clean_log = Log()
    hg.run(siblings(clean_log), {"n": 1, "a": 0, "b": 0})
    assert hg.run(edited, workflow_id="w").completed
    assert log.calls["fast"] == clean_log.calls["fast"] + 1  # not replayed: it ran again


def nested(log: Log) -> Graph:
    @node(output_name="y")
    def inner1(x: int) -> int:
        log.hit("inner1")
        return x + 1

    @node(output_name="z")
    def inner2(y: int) -> int:
        log.hit("inner2")
        return y * 2

    child = Graph([inner1, inner2], name="child").as_node(name="child")

    @node(output_name="x")
    def pre(v: int) -> int:
        log.hit("pre")
        return v

    @node(output_name="out")
    def post(z: int) -> int:
        log.hit("post")
        return z + 100

    return Graph([pre, child, post], name="parent")


def test_nested_child_is_a_workflow_and_is_not_rerun(hg: Any) -> None:
    log = Log()
    log.fail = {"post": 1}
    graph = nested(log)
    assert hg.run(graph, {"v": 1}, workflow_id="w").failed
    assert hg.checkpointer.get_run("w/child").kind == "nested"
    resumed = hg.run(graph, workflow_id="w")
    assert resumed["out"] == 104
    assert log.calls == {"pre": 1, "inner1": 1, "inner2": 1, "post": 2}


def test_completed_child_is_restored_after_a_crash_before_the_parent_commit(
    hg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _journal.commit_step

    def dies_at_parent_step_two(conn: Any, wf: str, step: int, *rest: Any) -> None:
        if wf == "w" and step == 2:
            raise Stop("killed between the child's commit and the parent's")
        real(conn, wf, step, *rest)

    log = Log()
    graph = nested(log)
    monkeypatch.setattr(_journal, "commit_step", dies_at_parent_step_two)
    with pytest.raises(Stop):
        hg.run(graph, {"v": 1}, workflow_id="w")
    monkeypatch.setattr(_journal, "commit_step", real)
    assert hg.checkpointer.get_run("w/child").status.value == "completed"
    resumed = hg.run(graph, workflow_id="w")
    assert resumed["out"] == 104
    assert log.calls == {"pre": 1, "inner1": 1, "inner2": 1, "post": 1}
    assert "child.inner1" in resumed.restored


def test_failed_child_is_never_restored_as_success(hg: Any) -> None:
    log = Log()
    log.fail = {"inner2": 1}
    graph = nested(log)
    failed = hg.run(graph, {"v": 1}, workflow_id="w")
    assert failed.failed and failed.failed_node == "child.inner2"
    resumed = hg.run(graph, workflow_id="w")
    assert resumed["out"] == 104
    assert log.calls == {"pre": 1, "inner1": 1, "inner2": 2, "post": 1}
