"""Durable interrupts: a paused workflow resumes under the same ``workflow_id`` with only the
answers, under both runners and both stores, and across processes.

The paused superstep's commit carries the pause records (one transaction); the workflow's
status is ``paused``; answers are never stored as inputs (a resume gives new ones).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path
from typing import Any

from hypergraph_graph import END, Graph, interrupt, node, route
from hypergraph_runners import SyncRunner
from hypergraph_runners.checkpoint import SqliteCheckpointer, WorkflowStatus
from hypergraph_types import PauseInfo, RunStatus
from support import Approval


def approval_graph(calls: list[str]) -> Graph:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        calls.append("review")
        return Approval(f"Publish {draft!r}?")

    @node(output_name="final")
    def publish(draft: str, approved: bool) -> str:
        calls.append("publish")
        return draft.upper() if approved else "rejected"

    @node(output_name="length")
    def measure(draft: str) -> int:
        calls.append("measure")
        return len(draft)

    return Graph([review, publish, measure], name="approval")


def test_a_paused_workflow_resumes_with_only_the_answers(hg: Any) -> None:
    calls: list[str] = []
    graph = approval_graph(calls)
    paused = hg.run(graph, {"draft": "hello"}, workflow_id="wf")
    assert paused.status is RunStatus.PAUSED and paused.workflow_id == "wf"
    assert paused.pause == PauseInfo("review", Approval("Publish 'hello'?"), "approved")
    assert paused.values == {"length": 5}
    run = hg.checkpointer.get_run("wf")
    assert run is not None and run.status is WorkflowStatus.PAUSED
    stored = hg.checkpointer.result("wf")
    assert stored is not None and stored.paused and stored.pauses == paused.pauses

    calls.clear()
    done = hg.run(graph, {"approved": True}, workflow_id="wf")
    assert done.status is RunStatus.COMPLETED
    assert done.values == {"approved": True, "final": "HELLO", "length": 5}
    assert sorted(calls) == ["publish"]  # measure was restored; the answer skips the question
    assert "measure" in done.restored
    assert hg.checkpointer.get_run("wf").status is WorkflowStatus.COMPLETED


def test_resuming_without_the_answer_asks_again(hg: Any) -> None:
    graph = approval_graph([])
    first = hg.run(graph, {"draft": "x"}, workflow_id="wf")
    again = hg.run(graph, workflow_id="wf")
    assert again.paused and again.pauses == first.pauses
    assert hg.run(graph, {"approved": False}, workflow_id="wf")["final"] == "rejected"


def test_the_pause_is_recorded_with_its_superstep(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    graph = approval_graph([])
    SyncRunner(checkpointer=SqliteCheckpointer(db)).run(graph, {"draft": "x"}, workflow_id="wf")
    with closing(sqlite3.connect(db)) as conn:
        steps = conn.execute("SELECT superstep FROM steps WHERE workflow_id = 'wf'").fetchall()
        pauses = conn.execute(
            "SELECT superstep, kind FROM records WHERE workflow_id = 'wf'"
        ).fetchall()
        nodes = conn.execute("SELECT node FROM nodes WHERE workflow_id = 'wf'").fetchall()
    assert steps == [(1,)] and pauses == [(1, "pause")]
    assert nodes == [("measure",)]  # the interrupt that paused is not an execution


def loop_graph(asked: list[str]) -> Graph:
    @node(output_name="draft")
    def write(history: tuple[Any, ...]) -> str:
        return f"v{len(history)}"

    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        asked.append(draft)
        return Approval(f"Approve {draft!r}?")

    @node(output_name="updated")
    def record(history: tuple[Any, ...], draft: str, approved: bool) -> tuple[Any, ...]:
        return (*history, (draft, approved))

    one_round = Graph([write, review, record], name="round").as_node()
    one_round = one_round.rename_outputs(updated="history")

    @route(targets=["round", END])
    def decide(history: tuple[Any, ...]) -> Any:
        return END if history and history[-1][1] else "round"

    return Graph([decide, one_round], name="loop")


def test_a_map_with_a_paused_and_a_failed_item_is_stored_paused_as_its_status_says(
    hg: Any,
) -> None:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        return Approval(f"Publish {draft!r}?")

    @node(output_name="length")
    def measure(draft: str) -> int:
        if draft == "bad":
            raise ValueError("unreadable draft")
        return len(draft)

    graph = Graph([review, measure], name="approval")
    result = hg.map(
        graph, {"draft": ["ok", "bad"]}, map_over="draft", workflow_id="m",
        error_handling="continue",
    )  # fmt: skip
    assert result.status is RunStatus.PAUSED and result.paused == (0,)
    assert result.failed == 1  # item 1: its measure failed (a failure ends the run: no pause)
    # The stored workflow says what MapResult.status says: it waits for answers.
    run = hg.checkpointer.get_run("m")
    assert run is not None and run.status is WorkflowStatus.PAUSED


def test_a_loop_resumes_durably_answer_by_answer(hg: Any) -> None:
    asked: list[str] = []
    graph = loop_graph(asked)
    result = hg.run(graph, {"history": ()}, workflow_id="wf")
    answers = iter([False, False, True])
    while result.paused:
        assert result.pause.node_name == "round/review"
        result = hg.run(graph, {result.pause.response_key: next(answers)}, workflow_id="wf")
    assert result.completed
    assert result["history"] == (("v0", False), ("v1", False), ("v2", True))
    assert asked == ["v0", "v1", "v2"]  # each question asked once: answers are consumed once


def test_a_map_resumes_its_paused_items_with_answers(hg: Any) -> None:
    calls: list[str] = []
    graph = approval_graph(calls)
    first = hg.map(graph, {"draft": ["a", "b"]}, map_over="draft", workflow_id="m")
    assert first.status is RunStatus.PAUSED and first.paused == (0, 1)
    partly = hg.map(
        graph, {"draft": ["a", "b"]}, map_over="draft", workflow_id="m",
        answers={0: {"approved": True}},
    )  # fmt: skip
    assert partly.paused == (1,) and partly[0]["final"] == "A"
    calls.clear()
    done = hg.map(
        graph, {"draft": ["a", "b"]}, map_over="draft", workflow_id="m",
        answers={1: {"approved": False}},
    )  # fmt: skip
    assert done.status is RunStatus.COMPLETED and done["final"] == ["A", "rejected"]
    assert calls == ["publish"]  # item 0 restored, item 1's measure restored


def test_an_interrupt_two_levels_down_resumes_by_its_renamed_key(hg: Any) -> None:
    calls: list[str] = []
    inner = approval_graph(calls).as_node(name="inner").rename_outputs(approved="ok")
    middle = Graph([inner], name="middle").as_node(name="m").rename_outputs(ok="accepted")
    graph = Graph([middle])
    paused = hg.run(graph, {"draft": "hey"}, workflow_id="wf")
    assert paused.pause.node_name == "m/inner/review"
    assert paused.pause.response_key == "accepted"
    calls.clear()
    done = hg.run(graph, {"accepted": True}, workflow_id="wf")
    assert done.status is RunStatus.COMPLETED and done["final"] == "HEY"
    assert calls == ["publish"]  # measure was restored, the answer skipped the question


def test_a_mapped_graph_node_resumes_by_its_dotted_response_key(hg: Any) -> None:
    calls: list[str] = []
    graph = Graph([approval_graph(calls).as_node(name="batch").map_over("draft")])
    paused = hg.run(graph, {"draft": ["a", "b"]}, workflow_id="wf")
    assert paused.paused and {p.response_key for p in paused.pauses} == {"batch.approved"}
    calls.clear()
    done = hg.run(graph, {paused.pause.response_key: True}, workflow_id="wf")
    assert done.status is RunStatus.COMPLETED and done["final"] == ["A", "B"]
    assert sorted(calls) == ["publish", "publish"]  # each item's measure was restored


def test_a_map_resumes_a_mapped_graph_node_per_item_by_its_dotted_key(hg: Any) -> None:
    calls: list[str] = []
    graph = Graph([approval_graph(calls).as_node(name="batch").map_over("draft")])
    drafts = {"draft": [["a"], ["b"]]}
    first = hg.map(graph, drafts, map_over="draft", workflow_id="m")
    assert first.paused == (0, 1)
    key = first[0].pause.response_key
    calls.clear()
    partly = hg.map(graph, drafts, map_over="draft", workflow_id="m", answers={0: {key: True}})
    assert partly.paused == (1,) and partly[0]["final"] == ["A"]
    assert sorted(calls) == ["publish", "review"]  # item 0's measure restored; 1 asks again
    calls.clear()
    done = hg.map(graph, drafts, map_over="draft", workflow_id="m", answers={1: {key: False}})
    assert done.status is RunStatus.COMPLETED and done["final"] == [["A"], ["rejected"]]
    assert calls == ["publish"]  # item 0 restored whole, item 1's measure restored


# -- two processes ---------------------------------------------------------------------------

#: The workflow both processes run: draft -> review -> record until the (scripted) reviewer
#: approves; written to a module so the test process can run it uninterrupted too.
FLOW = textwrap.dedent(
    """
    from dataclasses import dataclass
    from typing import Any, ClassVar

    from hypergraph_graph import END, Graph, interrupt, node, route

    WANTED = ["It opens on Monday.", "Coffee is on us."]

    @dataclass(frozen=True)
    class Review:
        prompt: str
        options: tuple[str, ...] | None = None
        evidence: tuple[str, ...] = ()
        answer_type: ClassVar[type] = str

    @node(output_name="draft")
    def write(history: tuple[Any, ...]) -> str:
        return " ".join(["Announcing the office.", *[v for _, v in history if v != "approve"]])

    @interrupt(answer_name="verdict")
    def review(draft: str) -> Review:
        return Review("Approve, or say what to add?", evidence=(draft,))

    @node(output_name="updated")
    def record(history: tuple[Any, ...], draft: str, verdict: str) -> tuple[Any, ...]:
        return (*history, (draft, verdict))

    one_round = Graph([write, review, record], name="round").as_node()
    one_round = one_round.rename_outputs(updated="history")

    @route(targets=["round", END])
    def decide(history: tuple[Any, ...]) -> object:
        return END if history and history[-1][1] == "approve" else "round"

    flow = Graph([decide, one_round], name="flow")

    def reviewer(question: Review) -> str:
        missing = [w for w in WANTED if w not in question.evidence[0]]
        return missing[0] if missing else "approve"

    def plain(value: Any) -> Any:  # values as JSON; a nested run's result: status and values
        if hasattr(value, "values") and hasattr(value, "status"):
            return {"status": value.status.value, "values": plain(dict(value.values))}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value
    """
)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[3])
    from durable_flow import flow, plain, reviewer
    from hypergraph_runners import SyncRunner
    from hypergraph_runners.checkpoint import SqliteCheckpointer

    db, role = sys.argv[1], sys.argv[2]
    runner = SyncRunner(checkpointer=SqliteCheckpointer(db))
    if role == "A":  # start, and stop at the first question
        result = runner.run(flow, {"history": ()}, workflow_id="wf")
    else:  # answer every question from this process, giving the answers only
        result = runner.run(flow, workflow_id="wf")
        while result.paused:
            answer = {result.pause.response_key: reviewer(result.pause.value)}
            result = runner.run(flow, answer, workflow_id="wf")
    print(json.dumps({
        "status": result.status.value,
        "pause": result.pause and [result.pause.node_name, result.pause.response_key],
        "values": plain(dict(result.values)),
    }))
    """
)


def test_process_a_pauses_and_process_b_resumes_from_the_same_file(tmp_path: Path) -> None:
    (tmp_path / "durable_flow.py").write_text(FLOW, encoding="utf-8")
    db = tmp_path / "runs.db"

    def process(role: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(db), role, str(tmp_path)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    a = process("A")
    assert a["status"] == "paused" and a["pause"] == ["round/review", "verdict"]
    assert a["values"]["history"] == []
    b = process("B")
    assert b["status"] == "completed"

    # The same workflow, uninterrupted: the reviewer's answers given as each question comes.
    sys.path.insert(0, str(tmp_path))
    try:
        import durable_flow
    finally:
        sys.path.remove(str(tmp_path))
    history: tuple[Any, ...] = ()
    result = SyncRunner().run(durable_flow.flow, history=history)
    while result.paused:
        answer = durable_flow.reviewer(result.pause.value)
        result = SyncRunner().run(durable_flow.flow, history=result["history"], verdict=answer)
    assert result.completed
    assert b["values"] == durable_flow.plain(dict(result.values))  # every value, nested ones too
    assert b["values"]["history"][-1][1] == "approve" and len(b["values"]["history"]) == 3
