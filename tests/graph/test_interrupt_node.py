"""``InterruptNode`` / ``@interrupt`` as graph structure (issue 18); no runner involved."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_graph import FunctionNode, Graph, InterruptNode, interrupt, node
from hypergraph_types import GraphConfigError
from support import Approval


class NoAnswerType:
    prompt = "?"
    options = None
    evidence = ()


def review(draft: str) -> Approval:
    return Approval(f"Publish {draft}?")


def test_decorator_and_class_build_the_same_node() -> None:
    by_decorator = interrupt(answer_name="approved")(review)
    by_class = InterruptNode(review, answer_name="approved")
    for n in (by_decorator, by_class):
        assert isinstance(n, InterruptNode) and isinstance(n, FunctionNode)
        assert n.name == "review" and n.inputs == ("draft",) and n.outputs == ("approved",)
        assert n.answer_name == "approved" and n.answer_type is bool
        assert n.question_type is Approval and n.cache is False
        assert n.get_output_type("approved") is bool
    assert repr(by_class) == "InterruptNode(review, answer_name='approved')"
    assert by_class.definition_hash == by_decorator.definition_hash
    assert by_class.definition_hash == InterruptNode(review, answer_name="other").definition_hash
    assert by_class.definition_hash != node(review, output_name="approved").definition_hash


def test_name_and_rename_inputs() -> None:
    n = InterruptNode(review, "check", answer_name="ok", rename_inputs={"draft": "text"})
    assert n.name == "check" and n.inputs == ("text",)
    assert n.rename_outputs(ok="yes").answer_name == "yes"


@pytest.mark.parametrize(
    "kwargs",
    [{"answer_name": "a", "output_name": "a"}, {"answer_name": ("a", "b")}, {"answer_name": 3}],
)
def test_output_name_or_a_tuple_answer_name_is_a_type_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="How to fix:"):
        interrupt(**kwargs)
    with pytest.raises(TypeError, match="How to fix:"):
        InterruptNode(review, **kwargs)


def test_interrupt_without_its_answer_name_says_how_to_call_it() -> None:
    with pytest.raises(TypeError, match=r"(?s)'review'.*@interrupt\(answer_name="):
        interrupt(review)  # type: ignore[arg-type]  # written as a bare @interrupt


def test_interrupts_are_never_cached() -> None:
    with pytest.raises(GraphConfigError, match="never cached"):
        InterruptNode(review, answer_name="a", cache=True)


def test_the_function_must_be_a_plain_def() -> None:
    async def ask(draft: str) -> Approval:
        return Approval("?")

    with pytest.raises(TypeError, match="cannot be async"):
        InterruptNode(ask, answer_name="a")


def test_answer_type_is_checked_when_the_graph_is_built() -> None:
    def bare(draft: str):  # type: ignore[no-untyped-def]
        return Approval("?")

    def plain(draft: str) -> NoAnswerType:
        return NoAnswerType()

    unannotated = InterruptNode(bare, answer_name="a")  # building the node is fine
    with pytest.raises(GraphConfigError, match="has no return annotation") as info:
        Graph([unannotated])
    assert "How to fix:" in str(info.value) and "'bare'" in str(info.value)
    with pytest.raises(GraphConfigError, match="no answer_type"):
        Graph([InterruptNode(plain, answer_name="a")])


def test_the_answer_type_is_the_port_type_under_strict_types() -> None:
    ask = InterruptNode(review, answer_name="approved")

    @node(output_name="out")
    def wants_bool(approved: bool) -> bool:
        return approved

    @node(output_name="out")
    def wants_str(approved: str) -> str:
        return approved

    assert Graph([ask, wants_bool], strict_types=True).outputs == ("approved", "out")
    with pytest.raises(GraphConfigError, match="approved"):
        Graph([ask, wants_str], strict_types=True)


def test_describe_and_mermaid_show_the_interrupt() -> None:
    graph = Graph([InterruptNode(review, answer_name="approved")])
    assert "review: InterruptNode(draft) -> approved [interrupt: asks for approved]" in (
        graph.describe()
    )
    assert "interrupt: waits for an answer" in str(graph.to_mermaid())


def test_an_unresolvable_question_class_is_named() -> None:
    def ask(draft: str) -> Missing:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(GraphConfigError, match="'Missing', a name that cannot be resolved"):
        Graph([InterruptNode(ask, answer_name="a")])
