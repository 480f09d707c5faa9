"""The resume rules of issue 17, in order, under both runners and both stores."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners import SyncRunner
from hypergraph_types import (
    GraphChangedError,
    InputOverrideRequiresForkError,
    InvalidInputError,
    RunStatus,
    WorkflowAlreadyCompletedError,
    WorkflowAlreadyRunningError,
    WorkflowStatus,
)


class Flaky:
    """Counts calls per node; ``fail`` names the nodes that raise."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.fail: set[str] = set()

    def __hypergraph_key__(self) -> str:
        # The nodes close over this log: its changing counts must not count as code changes.
        return "flaky-log"

    def hit(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if name in self.fail:
            raise RuntimeError(f"{name} broke")


def pipeline(log: Flaky) -> Graph:
    @node(output_name="a")
    def first(x: int) -> int:
        log.hit("first")
        return x + 1

    @node(output_name="b")
    def second(a: int) -> int:
        log.hit("second")
        return a * 10

    @node(output_name="c")
    def third(b: int) -> int:
        log.hit("third")
        return b + 5

    return Graph([first, second, third], name="pipe")


def test_generated_workflow_id_and_result_fields(hg: Any) -> None:
    result = hg.run(pipeline(Flaky()), {"x": 1})
    assert result.completed and result["c"] == 25
    assert re.fullmatch(r"run-\d{8}-[0-9a-f]{6}", result.workflow_id)
    assert result.restored == () and result.checkpoint_ok and result.checkpoint_errors == ()
    run = hg.checkpointer.get_run(result.workflow_id)
    assert run is not None and run.status is WorkflowStatus.COMPLETED and run.graph_name == "pipe"


def test_no_checkpointer_leaves_the_fields_alone() -> None:
    result = SyncRunner().run(pipeline(Flaky()), {"x": 1})
    assert result.workflow_id is None and result.restored == () and result.checkpoint_ok


def test_workflow_id_without_checkpointer_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="need a checkpointer") as info:
        SyncRunner().run(pipeline(Flaky()), {"x": 1}, workflow_id="w")
    assert "How to fix:" in str(info.value)


def test_failed_run_resumes_without_values_and_reruns_only_the_rest(hg: Any) -> None:
    log = Flaky()
    log.fail = {"second"}
    graph = pipeline(log)
    failed = hg.run(graph, {"x": 1}, workflow_id="w")
    assert failed.status is RunStatus.FAILED and failed.workflow_id == "w"
    assert hg.checkpointer.get_run("w").status is WorkflowStatus.FAILED  # type: ignore[union-attr]
    log.fail = set()
    resumed = hg.run(graph, workflow_id="w")
    assert resumed.completed and resumed["c"] == 25
    assert log.calls == {"first": 1, "second": 2, "third": 1}
    assert resumed.restored == ("first",)
    assert hg.checkpointer.result("w").values == resumed.values  # type: ignore[union-attr]


def test_same_values_resume_too(hg: Any) -> None:
    log = Flaky()
    log.fail = {"third"}
    graph = pipeline(log)
    hg.run(graph, {"x": 1}, workflow_id="w")
    log.fail = set()
    assert hg.run(graph, {"x": 1}, workflow_id="w")["c"] == 25
    assert log.calls == {"first": 1, "second": 1, "third": 2}


def test_different_values_require_a_fork(hg: Any) -> None:
    log = Flaky()
    log.fail = {"third"}
    graph = pipeline(log)
    hg.run(graph, {"x": 1}, workflow_id="w")
    with pytest.raises(InputOverrideRequiresForkError, match="'x'") as info:
        hg.run(graph, {"x": 2}, workflow_id="w")
    assert "fork_from='w'" in str(info.value) and info.value.names == ["x"]
    assert log.calls == {"first": 1, "second": 1, "third": 1}


def test_completed_workflow_is_refused_and_its_result_readable(hg: Any) -> None:
    log = Flaky()
    graph = pipeline(log)
    hg.run(graph, {"x": 1}, workflow_id="w")
    with pytest.raises(WorkflowAlreadyCompletedError, match=r"checkpointer\.result"):
        hg.run(graph, workflow_id="w")
    assert log.calls == {"first": 1, "second": 1, "third": 1}
    stored = hg.checkpointer.result("w")
    assert stored is not None and stored.values == {"a": 2, "b": 20, "c": 25}


def test_values_check_comes_before_the_completed_check(hg: Any) -> None:
    graph = pipeline(Flaky())
    hg.run(graph, {"x": 1}, workflow_id="w")
    with pytest.raises(InputOverrideRequiresForkError):
        hg.run(graph, {"x": 5}, workflow_id="w")


def test_structural_change_refuses_resume(hg: Any) -> None:
    log = Flaky()
    log.fail = {"third"}
    hg.run(pipeline(log), {"x": 1}, workflow_id="w")

    @node(output_name="d")
    def extra(c: int) -> int:
        return c

    changed = Graph([*pipeline(log).nodes.values(), extra], name="pipe")
    with pytest.raises(GraphChangedError, match="node 'extra' added") as info:
        hg.run(changed, workflow_id="w")
    assert info.value.structural == ["node 'extra' added"]
    assert "fork_from='w'" in str(info.value)


def graph_with(second_body: Any, log: Flaky) -> Graph:
    @node(output_name="a")
    def first(x: int) -> int:
        log.hit("first")
        return x + 1

    second = node(output_name="b")(second_body)

    @node(output_name="c")
    def third(b: int) -> int:
        log.hit("third")
        if "third" in log.fail:
            raise RuntimeError("third broke")
        return b + 5

    return Graph([first, second, third], name="pipe")


def test_code_change_in_a_completed_node_refuses_unless_rerun(hg: Any) -> None:
    log = Flaky()
    log.fail = {"third"}

    def second(a: int) -> int:
        log.hit("second")
        return a * 10

    hg.run(graph_with(second, log), {"x": 1}, workflow_id="w")

    def second_v2(a: int) -> int:
        log.hit("second")
        return a * 100

    second_v2.__name__ = second_v2.__qualname__ = "second"
    log.fail = set()
    edited = graph_with(second_v2, log)
    with pytest.raises(GraphChangedError, match="'second'") as info:
        hg.run(edited, workflow_id="w")
    assert info.value.code == ["second"] and "on_change='rerun'" in str(info.value)
    result = hg.run(edited, workflow_id="w", on_change="rerun")
    assert result["c"] == 205  # the new code ran, and its change reached the consumer
    assert log.calls == {"first": 1, "second": 2, "third": 2}


def test_code_change_in_a_node_that_had_not_completed_is_fix_and_resume(hg: Any) -> None:
    log = Flaky()

    def second(a: int) -> int:
        log.hit("second")
        raise ValueError("bug")

    assert hg.run(graph_with(second, log), {"x": 1}, workflow_id="w").failed

    def fixed(a: int) -> int:
        log.hit("second")
        return a * 10

    fixed.__name__ = fixed.__qualname__ = "second"
    result = hg.run(graph_with(fixed, log), workflow_id="w")
    assert result["c"] == 25
    assert log.calls == {"first": 1, "second": 2, "third": 1}


def test_same_id_running_in_this_process_is_refused(hg: Any) -> None:
    seen: list[BaseException] = []
    graph_holder: dict[str, Graph] = {}

    @node(output_name="y")
    def reenter(x: int) -> int:
        try:
            SyncRunner(checkpointer=hg.checkpointer).run(graph_holder["g"], workflow_id="w")
        except WorkflowAlreadyRunningError as exc:
            seen.append(exc)
        return x

    graph_holder["g"] = Graph([reenter])
    assert hg.run(graph_holder["g"], {"x": 1}, workflow_id="w").completed
    assert len(seen) == 1 and "How to fix:" in str(seen[0])


def test_unstorable_output_fails_its_node_naming_path_and_type(hg: Any) -> None:
    import threading

    calls: list[str] = []

    @node(output_name="cfg")
    def make(x: int) -> dict[str, Any]:
        return {"name": "a", "inner": [1, {"lock": threading.Lock()}]}

    @node(output_name="z")
    def use(cfg: dict[str, Any]) -> int:
        calls.append("use")
        return 1

    result = hg.run(Graph([make, use]), {"x": 1}, workflow_id="w")
    assert result.failed and result.failed_node == "make"
    text = str(result.error)
    assert "'make'" in text and "cfg['inner'][1]['lock']" in text and "lock" in text
    assert "How to fix:" in text and calls == []


def test_unstorable_input_is_refused_before_any_node_runs(hg: Any) -> None:
    import threading

    log = Flaky()
    with pytest.raises(TypeError, match="'x'"):
        hg.run(pipeline(log), {"x": threading.Lock()}, workflow_id="w")
    assert log.calls == {}


def test_each_superstep_is_one_commit(hg: Any) -> None:
    result = hg.run(pipeline(Flaky()), {"x": 1}, workflow_id="w")
    steps = hg.checkpointer.steps("w")
    assert [(s.superstep, s.node_name) for s in steps] == [
        (1, "first"),
        (2, "second"),
        (3, "third"),
    ]
    assert hg.checkpointer.get_run("w").supersteps == 3  # type: ignore[union-attr]
    assert steps[1].written == {"b": 1} and steps[1].input_versions == {"a": 1}
    assert result.completed


def test_changed_binding_refuses_resume(hg: Any) -> None:
    log = Flaky()
    log.fail = {"third"}
    graph = pipeline(log)
    hg.run(graph.bind(x=1), workflow_id="w")
    with pytest.raises(GraphChangedError, match="bindings changed"):
        hg.run(graph.bind(x=2), workflow_id="w")
    log.fail = set()
    assert hg.run(graph.bind(x=1), workflow_id="w")["c"] == 25


def test_memory_path_works_for_sqlite_checkpointer(runner_kind: str) -> None:
    import asyncio

    from hypergraph_runners import AsyncRunner
    from hypergraph_runners.checkpoint import SqliteCheckpointer

    cp = SqliteCheckpointer(":memory:")
    graph = pipeline(Flaky())
    if runner_kind == "sync":
        result = SyncRunner(checkpointer=cp).run(graph, {"x": 1}, workflow_id="m")
    else:
        result = asyncio.run(AsyncRunner(checkpointer=cp).run(graph, {"x": 1}, workflow_id="m"))
    assert result["c"] == 25 and cp.values("m", "c") == 25
    cp.close()


def test_two_memory_checkpointers_do_not_share_ids() -> None:
    from hypergraph_runners.checkpoint import MemoryCheckpointer

    outer_cp, inner_cp = MemoryCheckpointer(), MemoryCheckpointer()
    holder: dict[str, Graph] = {}
    inner_results: list[Any] = []

    @node(output_name="y")
    def nested_call(x: int) -> int:
        inner = SyncRunner(checkpointer=inner_cp).run(pipeline(Flaky()), {"x": x}, workflow_id="w")
        inner_results.append(inner["c"])
        return x

    holder["g"] = Graph([nested_call])
    assert SyncRunner(checkpointer=outer_cp).run(holder["g"], {"x": 1}, workflow_id="w").completed
    assert inner_results == [25]
