"""Interrupts at run time (issue 18): pausing, resuming, nesting, map, cycles, events.

Every behaviour runs under both runners (the ``run`` / ``run_map`` fixtures).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytest

from hypergraph_graph import END, Graph, ifelse, interrupt, node, route
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_types import (
    GraphConfigError,
    InterruptEvent,
    InvalidInputError,
    MapItemEndEvent,
    NodeEndEvent,
    PauseInfo,
    RunEndEvent,
    RunStatus,
    SuperstepStartEvent,
    UnknownInputError,
)
from support import Approval


@dataclass(frozen=True)
class Choice:
    prompt: str
    options: tuple[str, ...] | None = ("publish", "revise")
    evidence: tuple[Any, ...] = ()
    answer_type: ClassVar[Any] = Literal["publish", "revise", "drop"]


def approval_graph(asked: list[str] | None = None, name: str | None = None) -> Graph:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        if asked is not None:
            asked.append(draft)
        return Approval(f"Publish {draft!r}?", evidence=(draft,))

    @node(output_name="final")
    def publish(draft: str, approved: bool) -> str:
        return draft.upper() if approved else "rejected"

    @node(output_name="length")
    def measure(draft: str) -> int:
        return len(draft)

    return Graph([review, publish, measure], name=name)


# -- pausing and resuming ------------------------------------------------------------------


def test_reaching_an_interrupt_without_its_answer_pauses(run: Any) -> None:
    result = run(approval_graph(), draft="hello")
    assert result.status is RunStatus.PAUSED and result.paused
    assert not result.completed and not result.failed and result.error is None
    assert result.pause == PauseInfo(
        "review", Approval("Publish 'hello'?", evidence=("hello",)), "approved"
    )
    assert result.pauses == (result.pause,)
    # The other ready node of the superstep ran; the interrupt's consumer did not.
    assert result.values == {"length": 5}


def test_stateless_resume_completes_with_the_values_of_an_uninterrupted_run(run: Any) -> None:
    graph = approval_graph()
    paused = run(graph, draft="hello")
    resumed = run(graph, draft="hello", **{paused.pause.response_key: True})
    assert resumed.status is RunStatus.COMPLETED and resumed.pauses == () and resumed.pause is None
    assert resumed.values == {"approved": True, "final": "HELLO", "length": 5}
    assert resumed.values == run(graph, {"draft": "hello", "approved": True}).values


def test_a_misspelt_response_key_suggests_the_answer(run: Any) -> None:
    with pytest.raises(UnknownInputError, match="Did you mean 'approved'") as info:
        run(approval_graph(), draft="hello", aproved=True)
    assert "(response keys): 'approved'" in str(info.value)


def test_an_answer_given_up_front_skips_the_question(run: Any) -> None:
    asked: list[str] = []
    result = run(approval_graph(asked), draft="hi", approved=False)
    assert result.completed and result["final"] == "rejected"
    assert asked == []  # the question function never ran


def test_every_interrupt_ready_in_the_superstep_pauses_together(run: Any) -> None:
    @interrupt(answer_name="title_ok")
    def check_title(title: str) -> Approval:
        return Approval(f"Title {title}?")

    @interrupt(answer_name="body_ok")
    def check_body(body: str) -> Approval:
        return Approval(f"Body {body}?")

    @node(output_name="words")
    def count(body: str) -> int:
        return len(body.split())

    @node(output_name="done")
    def finish(title_ok: bool, body_ok: bool) -> bool:
        return title_ok and body_ok

    graph = Graph([check_title, check_body, count, finish])
    result = run(graph, title="T", body="a b c")
    assert [p.node_name for p in result.pauses] == ["check_title", "check_body"]
    assert [p.response_key for p in result.pauses] == ["title_ok", "body_ok"]
    assert result.pause is result.pauses[0]
    assert result.values == {"words": 3}
    partly = run(graph, title="T", body="a b c", title_ok=True)
    assert [p.node_name for p in partly.pauses] == ["check_body"]
    done = run(graph, title="T", body="a b c", title_ok=True, body_ok=True)
    assert done.completed and done["done"] is True


def test_the_run_stops_after_the_superstep_that_paused(run: Any) -> None:
    """No barrier-free shortcut: an interrupt a later superstep would reach is not asked,
    under AsyncRunner's dataflow-eligible (acyclic) graphs too."""

    @interrupt(answer_name="first_ok")
    def first(x: int) -> Approval:
        return Approval("first?")

    @node(output_name="y")
    def step(x: int) -> int:
        return x + 1

    @interrupt(answer_name="second_ok")
    def second(y: int) -> Approval:
        return Approval("second?")

    result = run(Graph([first, step, second]), x=1)
    assert [p.node_name for p in result.pauses] == ["first"]
    assert result.values == {"y": 2}


def test_a_graph_with_interrupts_runs_in_supersteps_under_async_runner() -> None:
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            events.append(event)

    asyncio.run(AsyncRunner().run(approval_graph(), draft="x", event_processors=[Collect()]))
    assert any(isinstance(e, SuperstepStartEvent) for e in events)


# -- answers: type, None question, options feeding gates ----------------------------------


def test_a_wrong_answer_type_is_an_invalid_input_error_before_anything_runs(run: Any) -> None:
    asked: list[str] = []
    with pytest.raises(InvalidInputError) as info:
        run(approval_graph(asked), draft="x", approved="yes")
    text = str(info.value)
    assert "'review'" in text and "bool" in text and "How to fix:" in text
    assert asked == []


def test_a_literal_answer_type_is_checked(run: Any) -> None:
    @interrupt(answer_name="choice")
    def pick(draft: str) -> Choice:
        return Choice(f"What about {draft}?")

    @node(output_name="out")
    def act(choice: str) -> str:
        return choice

    graph = Graph([pick, act])
    assert run(graph, draft="d", choice="drop")["out"] == "drop"
    with pytest.raises(InvalidInputError, match="Literal"):
        run(graph, draft="d", choice="burn")


@dataclass(frozen=True)
class Score:
    prompt: str
    options: tuple[str, ...] | None = None
    evidence: tuple[Any, ...] = ()
    answer_type: ClassVar[Any] = float


def test_a_float_answer_accepts_an_int_as_typing_does_but_not_a_bool(run: Any) -> None:
    # A web form or a JSON body sends 1, not 1.0: int is a float to type checkers (PEP 484's
    # numeric tower, as msgspec's strict mode), bool is a mistake there.
    @interrupt(answer_name="score")
    def rate(draft: str) -> Score:
        return Score(f"Rate {draft}")

    @node(output_name="out")
    def half(score: float) -> float:
        return score / 2

    graph = Graph([rate, half])
    assert run(graph, draft="d", score=1)["out"] == 0.5
    assert run(graph, draft="d", score=0.5)["out"] == 0.25
    with pytest.raises(InvalidInputError, match="float"):
        run(graph, draft="d", score=True)
    with pytest.raises(InvalidInputError, match="float"):
        run(graph, draft="d", score="1")


def test_a_question_function_returning_none_fails_the_node(run: Any) -> None:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        return None  # type: ignore[return-value]

    result = run(Graph([review]), draft="x")
    assert result.failed and result.failed_node == "review"
    assert isinstance(result.error, TypeError)
    assert "returned None" in str(result.error) and "How to fix:" in str(result.error)


def test_a_question_function_returning_no_question_fails_the_node(run: Any) -> None:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        return f"Publish {draft}?"  # type: ignore[return-value]

    result = run(Graph([review]), draft="x")
    assert result.failed and not result.pauses and result.failed_node == "review"
    assert isinstance(result.error, TypeError)
    text = str(result.error)
    assert "'review' returned str 'Publish x?'" in text and "prompt" in text
    assert "How to fix:" in text


def _routed_graph(options: tuple[str, ...]) -> Graph:
    @interrupt(answer_name="choice")
    def pick(draft: str) -> Choice:
        return Choice("Publish?", options=options)

    @route(targets=["publish", "revise", END])
    def decide(choice: str) -> Any:
        return END if choice == "drop" else choice

    @node(output_name="published")
    def publish(draft: str) -> str:
        return draft

    @node(output_name="revised")
    def revise(draft: str) -> str:
        return draft + "!"

    return Graph([pick, decide, publish, revise])


def test_options_that_a_route_accepts_pause_normally(run: Any) -> None:
    graph = _routed_graph(("publish", "revise", "drop"))
    result = run(graph, draft="d")
    assert result.paused and result.pause.value.options == ("publish", "revise", "drop")
    assert run(graph, draft="d", choice="revise")["revised"] == "d!"


def test_an_option_no_gate_target_accepts_fails_before_the_question_surfaces(run: Any) -> None:
    result = run(_routed_graph(("publish", "archive")), draft="d")
    assert result.failed and not result.pauses and result.failed_node == "pick"
    assert isinstance(result.error, GraphConfigError)
    text = str(result.error)
    assert "'archive'" in text and "'decide'" in text and "How to fix:" in text


def test_options_are_checked_against_a_gate_of_an_enclosing_graph(run: Any) -> None:
    """The interrupt sits two levels down; the gate reading its (renamed) answer at the top."""

    def graph(options: tuple[str, ...]) -> Graph:
        inner = _routed_graph(options).nodes["pick"]
        middle = Graph([Graph([inner], name="inner").as_node()], name="middle")

        @route(targets=["publish", END])
        def decide(verdict: str) -> Any:
            return "publish" if verdict == "publish" else END if verdict == "drop" else verdict

        @node(output_name="published")
        def publish(draft: str) -> str:
            return draft

        top = middle.as_node(name="m").rename_outputs(choice="verdict")
        return Graph([top, decide, publish])

    fine = run(graph(("publish", "drop")), draft="d")
    assert fine.paused and fine.pause.response_key == "verdict"
    result = run(graph(("publish", "revise")), draft="d")
    assert result.failed and not result.pauses and result.failed_node == "m"
    assert isinstance(result.error, GraphConfigError)
    text = str(result.error)
    assert "Interrupt 'm.inner.pick' offers option 'revise'" in text
    assert "gate 'decide'" in text and "How to fix:" in text


def test_options_are_checked_against_a_gate_inside_a_graph_node_they_feed(run: Any) -> None:
    def graph(options: tuple[str, ...]) -> Graph:
        @route(targets=["publish", END])
        def decide(verdict: str, draft: str) -> Any:
            return "publish" if verdict == "publish" else END if verdict == "drop" else verdict

        @node(output_name="published")
        def publish(draft: str) -> str:
            return draft

        flow = Graph([decide, publish], name="flow").as_node().rename_inputs(verdict="choice")
        return Graph([_routed_graph(options).nodes["pick"], flow])

    fine = run(graph(("publish", "drop")), draft="d")
    assert fine.paused and fine.pause.node_name == "pick"
    result = run(graph(("publish", "revise")), draft="d")
    assert result.failed and not result.pauses and result.failed_node == "pick"
    text = str(result.error)
    assert "Interrupt 'pick' offers option 'revise', which gate 'flow.decide'" in text


def test_options_feeding_an_ifelse_must_give_a_bool(run: Any) -> None:
    @interrupt(answer_name="choice")
    def pick(draft: str) -> Choice:
        return Choice("?", options=("publish", "revise"))

    @ifelse(when_true="publish", when_false=END)
    def decide(choice: str) -> bool:
        return True if choice == "publish" else None  # type: ignore[return-value]

    @node(output_name="published")
    def publish(draft: str) -> str:
        return draft

    result = run(Graph([pick, decide, publish]), draft="d")
    assert result.failed and "'revise'" in str(result.error)


# -- cycles --------------------------------------------------------------------------------


def flat_loop(asked: list[str]) -> Graph:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        asked.append(draft)
        return Approval(f"Approve {draft!r}?")

    @route(targets=["revise", END])
    def decide(approved: bool) -> Any:
        return END if approved else "revise"

    @node(output_name="draft")
    def revise(draft: str) -> str:
        return draft + "+"

    return Graph([review, decide, revise])


def test_in_a_cycle_an_answer_is_consumed_once(run: Any) -> None:
    asked: list[str] = []
    result = run(flat_loop(asked), draft="v", approved=False)
    # The answer fed the first review; coming back around, the second one asks again.
    assert result.paused and asked == ["v+"]
    assert result.pause.value.prompt == "Approve 'v+'?"


def gate_first_loop(asked: list[str]) -> Graph:
    """draft -> review -> record, repeated while the reviewer says no (the example's shape)."""

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

    return Graph([decide, one_round])


def test_a_nested_interrupt_in_a_cycle_consumes_its_answer_once(run: Any) -> None:
    asked: list[str] = []
    graph = gate_first_loop(asked)
    result = run(graph, history=(), approved=False)
    assert result.paused and asked == ["v1"]
    assert result.pause.node_name == "round/review" and result.pause.response_key == "approved"
    assert result["history"] == (("v0", False),)
    # Stateless resume of a loop: give the loop's value as it was at the pause.
    again = run(graph, history=result["history"], approved=False)
    assert again.paused and again["history"] == (("v0", False), ("v1", False))
    done = run(graph, history=again["history"], approved=True)
    assert done.completed
    assert done["history"] == (("v0", False), ("v1", False), ("v2", True))


# -- nesting -------------------------------------------------------------------------------


def two_levels() -> Graph:
    inner = approval_graph(name="inner")
    middle = Graph([inner.as_node().rename_outputs(approved="ok")], name="middle")
    return Graph([middle.as_node(name="m").rename_outputs(ok="accepted")])


def test_a_pause_two_levels_down_names_the_path_and_the_outer_response_key(run: Any) -> None:
    result = run(two_levels(), draft="hey")
    assert result.paused
    assert result.pause == PauseInfo(
        "m/inner/review", Approval("Publish 'hey'?", evidence=("hey",)), "accepted"
    )
    nested = result["m"]
    assert nested.paused and nested.pause.node_name == "inner/review"
    assert nested.pause.response_key == "ok"


def test_resuming_a_nested_interrupt_by_its_outer_name_or_its_address(run: Any) -> None:
    graph = two_levels()
    by_name = run(graph, draft="hey", accepted=True)
    assert by_name.completed and by_name["final"] == "HEY" and by_name["accepted"] is True
    by_address = run(graph, {"draft": "hey", "m.inner.approved": True})
    assert by_address.completed and by_address["final"] == "HEY"
    with pytest.raises(InvalidInputError, match=r"m\.inner\.review"):
        run(graph, draft="hey", accepted="yes")


def test_a_mapped_graph_node_pauses_per_item_with_a_dotted_response_key(run: Any) -> None:
    inner = approval_graph(name="inner")
    graph = Graph([inner.as_node(name="batch").map_over("draft")])
    result = run(graph, draft=["a", "b"])
    assert result.paused
    assert [p.node_name for p in result.pauses] == ["batch[0]/review", "batch[1]/review"]
    assert {p.response_key for p in result.pauses} == {"batch.approved"}
    done = run(graph, {"draft": ["a", "b"], "batch.approved": True})
    assert done.completed and done["final"] == ["A", "B"]


# -- map -----------------------------------------------------------------------------------


def test_map_items_pause_independently_and_resume_per_item(run_map: Any) -> None:
    graph = approval_graph()
    drafts = ["a", "b", "c"]
    first = run_map(graph, draft=drafts, map_over="draft")
    assert first.status is RunStatus.PAUSED and first.paused == (0, 1, 2)
    assert all(r.pause.response_key == "approved" for r in first)
    second = run_map(
        graph,
        draft=drafts,
        map_over="draft",
        answers={0: {"approved": True}, 2: {"approved": False}},
    )
    assert second.status is RunStatus.PAUSED and second.paused == (1,)
    assert second[0]["final"] == "A" and second[2]["final"] == "rejected"
    last = run_map(
        graph,
        draft=drafts,
        map_over="draft",
        answers={0: {"approved": True}, 1: {"approved": True}, 2: {"approved": False}},
    )
    assert last.status is RunStatus.COMPLETED and last["final"] == ["A", "B", "rejected"]


def test_map_answers_as_per_item_values(run_map: Any) -> None:
    result = run_map(
        approval_graph(),
        {"draft": ["a", "b"], "approved": [True, False]},
        map_over=["draft", "approved"],
    )
    assert result.status is RunStatus.COMPLETED and result["final"] == ["A", "rejected"]


def test_map_answers_are_checked_before_any_item_runs(run_map: Any) -> None:
    graph = approval_graph()
    with pytest.raises(InvalidInputError, match="item index"):
        run_map(graph, draft=["a"], map_over="draft", answers={3: {"approved": True}})
    with pytest.raises(InvalidInputError, match="Did you mean 'approved'"):
        run_map(graph, draft=["a"], map_over="draft", answers={0: {"aproved": True}})
    with pytest.raises(InvalidInputError, match="bool"):
        run_map(graph, draft=["a"], map_over="draft", answers={0: {"approved": "y"}})
    with pytest.raises(TypeError, match="answers"):
        run_map(graph, draft=["a"], map_over="draft", answers=[True])


# -- events and iter() ---------------------------------------------------------------------


def test_interrupt_event_then_paused_ends(runner_kind: str) -> None:
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            events.append(event)

    graph = two_levels()
    if runner_kind == "sync":
        SyncRunner().run(graph, draft="x", event_processors=[Collect()])
    else:
        asyncio.run(AsyncRunner().run(graph, draft="x", event_processors=[Collect()]))
    (asked,) = [e for e in events if isinstance(e, InterruptEvent)]
    assert asked.node_name == "m/inner/review" and asked.graph_name == "inner"
    assert asked.value == Approval("Publish 'x'?", evidence=("x",))
    # The key to answer under, as the caller of the top-level run gives it (PauseInfo's).
    assert asked.response_key == "accepted" and asked.superstep == 0
    after = events[events.index(asked) + 1]
    assert isinstance(after, NodeEndEvent) and after.status == "paused"
    assert after.span_id == asked.span_id
    ends = [e for e in events if isinstance(e, RunEndEvent)]
    assert [e.status for e in ends] == ["paused", "paused", "paused"]
    assert ends[-1].result is not None and ends[-1].result.paused


def test_interrupt_events_carry_the_pause_infos_names(run: Any, run_map: Any) -> None:
    """Under nesting, mapping and runner.map, an InterruptEvent names what PauseInfo names."""
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            if isinstance(event, InterruptEvent):
                events.append(event)

    inner = approval_graph(name="inner")
    mapped = Graph([inner.as_node(name="batch").map_over("draft")], name="outer")
    nested = Graph([mapped.as_node(name="o").rename_outputs(final="out")])
    for result in (
        run(mapped, draft=["a", "b"], event_processors=[Collect()]),
        run(nested, draft=["a"], event_processors=[Collect()]),
        *run_map(two_levels(), draft=["x", "y"], map_over="draft", event_processors=[Collect()]),
    ):
        asked = [(e.node_name, e.response_key) for e in events[: len(result.pauses)]]
        del events[: len(result.pauses)]
        assert sorted(asked) == [(p.node_name, p.response_key) for p in result.pauses]
    assert events == []


def test_async_iter_yields_the_interrupt_and_ends_with_the_paused_result() -> None:
    async def collect() -> list[Any]:
        return [e async for e in AsyncRunner().iter(approval_graph(), draft="x")]

    events = asyncio.run(collect())
    assert any(isinstance(e, InterruptEvent) and e.node_name == "review" for e in events)
    last = events[-1]
    assert isinstance(last, RunEndEvent) and last.status == "paused"
    assert last.result is not None and last.result.pause.response_key == "approved"


def test_map_end_event_reports_paused(run_map: Any) -> None:
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            events.append(event)

    run_map(approval_graph(), draft=["a"], map_over="draft", event_processors=[Collect()])
    assert isinstance(events[-1], RunEndEvent) and events[-1].status == "paused"
    assert [e.status for e in events if isinstance(e, MapItemEndEvent)] == ["paused"]


def test_a_map_with_a_paused_and_a_failed_item_ends_paused(run_map: Any) -> None:
    """The map's end event agrees with MapResult.status: resumable, so PAUSED."""
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            events.append(event)

    @node(output_name="draft")
    def check(text: str) -> str:
        if not text:
            raise ValueError("empty draft")
        return text

    graph = Graph([check, *approval_graph().nodes.values()])
    result = run_map(graph, text=["a", ""], map_over="text", event_processors=[Collect()])
    assert result.status is RunStatus.PAUSED and result.paused == (0,)
    assert len(result.failures) == 1
    assert isinstance(events[-1], RunEndEvent) and events[-1].status == "paused"


# -- cache ---------------------------------------------------------------------------------


def test_interrupts_are_never_cached(runner_kind: str) -> None:
    from hypergraph_runners.cache import InMemoryCache

    asked: list[str] = []
    graph = approval_graph(asked)
    cache = InMemoryCache()
    for _ in range(2):
        if runner_kind == "sync":
            result = SyncRunner(cache=cache).run(graph, draft="x")
        else:
            result = asyncio.run(AsyncRunner(cache=cache).run(graph, draft="x"))
        assert result.paused
    assert asked == ["x", "x"]


# -- corners -------------------------------------------------------------------------------


def test_a_paused_run_does_not_warn_about_its_select(run: Any) -> None:
    result = run(approval_graph(), draft="x", select=["final", "length"])  # warnings are errors
    assert result.paused and result.values == {"length": 1}


def test_a_failure_in_the_pausing_superstep_wins(run: Any) -> None:
    @node(output_name="boom")
    def explode(draft: str) -> str:
        raise ValueError("no")

    graph = Graph([*approval_graph().nodes.values(), explode])
    result = run(graph, draft="x")
    assert result.failed and result.failed_node == "explode" and result.pauses == ()


def test_a_question_function_that_raises_fails_its_node(run: Any) -> None:
    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        raise KeyError(draft)

    result = run(Graph([review]), draft="x")
    assert result.failed and result.failed_node == "review"
    assert isinstance(result.error, KeyError)


def test_renamed_inputs_and_a_gate_choosing_the_interrupt(run: Any) -> None:
    @interrupt(answer_name="ok", rename_inputs={"draft": "text"})
    def review(draft: str) -> Approval:
        return Approval(f"ok {draft}?")

    @route(targets=["review", END])
    def needs_review(text: str) -> Any:
        return "review" if len(text) > 3 else END

    graph = Graph([needs_review, review])
    assert run(graph, text="hi").completed
    long = run(graph, text="hello")
    assert long.paused and long.pause.value.prompt == "ok hello?"
    assert run(graph, text="hello", ok=True)["ok"] is True


def test_a_nested_graph_run_by_another_runner_pauses_the_parent() -> None:
    """SyncRunner hands a nested graph with an async node to AsyncRunner; the pause comes back."""

    @node(output_name="draft")
    async def fetch(topic: str) -> str:
        return topic.title()

    @interrupt(answer_name="approved")
    def review(draft: str) -> Approval:
        return Approval(f"ok {draft}?")

    inner = Graph([fetch, review], name="inner")
    outer = Graph([inner.as_node()])
    result = SyncRunner().run(outer, topic="cats")
    assert result.paused and result.pause == PauseInfo(
        "inner/review", Approval("ok Cats?"), "approved"
    )
    assert SyncRunner().run(outer, topic="cats", approved=True)["approved"] is True


# -- dotted response keys (a mapped GraphNode's, or an address) ----------------------------


def test_a_dotted_answer_of_the_wrong_type_is_refused_before_anything_runs(run: Any) -> None:
    asked: list[str] = []
    inner = approval_graph(asked, name="inner")
    nested = Graph([Graph([inner.as_node()], name="middle").as_node(name="m")])
    with pytest.raises(InvalidInputError, match=r"'m\.inner\.review'.*not bool"):
        run(nested, {"draft": "hey", "m/inner/approved": "yes"})
    mapped = Graph([inner.as_node(name="batch").map_over("draft")])
    with pytest.raises(InvalidInputError, match=r"(?s)'batch\.review'.*How to fix:"):
        run(mapped, {"draft": ["a", "b"], "batch.approved": "yes"})
    assert asked == []


def test_map_answers_take_the_dotted_response_key_of_a_mapped_graph_node(run_map: Any) -> None:
    """The response_key a paused item reports is the key its answer is given under."""
    inner = approval_graph(name="inner")
    graph = Graph([inner.as_node(name="batch").map_over("draft")])
    drafts = [["a", "b"], ["c"]]
    first = run_map(graph, draft=drafts, map_over="draft")
    assert first.status is RunStatus.PAUSED and first.paused == (0, 1)
    key = first[1].pause.response_key
    assert key == "batch.approved"
    second = run_map(graph, draft=drafts, map_over="draft", answers={1: {key: False}})
    assert second.paused == (0,) and second[1]["final"] == ["rejected"]
    done = run_map(graph, draft=drafts, map_over="draft", answers={0: {key: True}, 1: {key: True}})
    assert done.status is RunStatus.COMPLETED and done["final"] == [["A", "B"], ["C"]]
    with pytest.raises(InvalidInputError, match=r"Did you mean 'batch\.approved'"):
        run_map(graph, draft=drafts, map_over="draft", answers={0: {"batch.aproved": True}})
    with pytest.raises(InvalidInputError, match=r"'batch\.review'.*not bool"):
        run_map(graph, draft=drafts, map_over="draft", answers={0: {key: "yes"}})
