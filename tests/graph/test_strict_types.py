"""strict_types: the eight compatibility rules (SPEC §3.3) and the edge checks they drive.

No ``from __future__ import annotations``: node annotations must be real objects.
"""

import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, Optional, TypeVar, Union

import pytest

from hypergraph_graph import FunctionNode, Graph, node
from hypergraph_graph._typecheck import is_compatible
from hypergraph_types import GraphConfigError

T_INT = TypeVar("T_INT", bound=int)
T_CONSTRAINED = TypeVar("T_CONSTRAINED", int, str)
T_FREE = TypeVar("T_FREE")

RULES = [
    # 1. equal types; Any on either side
    pytest.param(int, int, True, id="1-equal"),
    pytest.param(list[int], list[int], True, id="1-equal-generic"),
    pytest.param(Any, int, True, id="1-any-provided"),
    pytest.param(int, Any, True, id="1-any-required"),
    # 2. Annotated is compared as its type; None means NoneType
    pytest.param(Annotated[int, "meta"], int, True, id="2-annotated-provided"),
    pytest.param(int, Annotated[int, "meta"], True, id="2-annotated-required"),
    pytest.param(Annotated[int, "meta"], str, False, id="2-annotated-mismatch"),
    pytest.param(Annotated[bool, "a"], Annotated[int, "b"], True, id="2-annotated-both"),
    pytest.param(None, type(None), True, id="2-none-is-nonetype"),
    pytest.param(type(None), None, True, id="2-nonetype-is-none"),
    pytest.param(None, int, False, id="2-none-into-int"),
    # 3. unions
    pytest.param(int | str, int | str | float, True, id="3-union-subset"),
    pytest.param(Union[int, str], int, False, id="3-union-member-fails"),  # noqa: UP007
    pytest.param(bool | int, int, True, id="3-union-all-members-fit"),
    pytest.param(int, Optional[int], True, id="3-into-optional"),  # noqa: UP045
    pytest.param(None, Optional[int], True, id="3-none-into-optional"),  # noqa: UP045
    pytest.param(int, int | None, True, id="3-into-pipe-optional"),
    pytest.param(str, int | float, False, id="3-no-member-fits"),
    pytest.param(bool, Union[str, int], True, id="3-subclass-of-member"),  # noqa: UP007
    pytest.param(Optional[int], int, False, id="3-optional-into-plain"),  # noqa: UP045
    # 4. TypeVars
    pytest.param(bool, T_INT, True, id="4-bound-ok"),
    pytest.param(str, T_INT, False, id="4-bound-fails"),
    pytest.param(int, T_CONSTRAINED, True, id="4-constraint-int"),
    pytest.param(str, T_CONSTRAINED, True, id="4-constraint-str"),
    pytest.param(float, T_CONSTRAINED, False, id="4-constraint-fails"),
    pytest.param(object, T_FREE, True, id="4-unconstrained"),
    pytest.param(T_FREE, int, True, id="4-provided-typevar"),
    pytest.param(T_INT, str, True, id="4-provided-bound-typevar"),
    # 5. Literal
    pytest.param(Literal["a", "b"], Literal["a", "b", "c"], True, id="5-literal-subset"),
    pytest.param(Literal["a", "z"], Literal["a", "b"], False, id="5-literal-not-subset"),
    pytest.param(Literal[1, 2], int, True, id="5-literal-instances"),
    pytest.param(Literal[1, "a"], int, False, id="5-literal-not-all-instances"),
    pytest.param(Literal[True], int, True, id="5-literal-bool-is-int"),
    pytest.param(int, Literal[1], False, id="5-class-into-literal"),
    pytest.param(str, Literal["a"], False, id="5-str-into-literal"),
    # 6. parameterised generics
    pytest.param(list[bool], list[int], True, id="6-covariant-args"),
    pytest.param(list[int], list[str], False, id="6-arg-mismatch"),
    pytest.param(list[int], list, True, id="6-bare-required"),
    pytest.param(list, list[int], True, id="6-bare-provided"),
    pytest.param(list[int], Sequence[int], True, id="6-origin-subclass"),
    pytest.param(list[int], Iterable[int], True, id="6-origin-abc"),
    pytest.param(Sequence[int], list[int], False, id="6-origin-not-subclass"),
    pytest.param(list[int], dict[int, int], False, id="6-unrelated-origins"),
    pytest.param(dict[str, int], Mapping[str, int], True, id="6-mapping"),
    pytest.param(dict[str, int], dict[str, str], False, id="6-second-arg"),
    pytest.param(typing.List[int], list[int], True, id="6-typing-alias"),  # noqa: UP006
    pytest.param(list[int], int, False, id="6-generic-into-class"),
    pytest.param(int, list[int], False, id="6-class-into-generic"),
    pytest.param(tuple[int, ...], tuple[int, ...], True, id="6-variadic-tuples"),
    pytest.param(tuple[bool, int], tuple[int, ...], True, id="6-fixed-into-variadic"),
    pytest.param(tuple[int, str], tuple[int, ...], False, id="6-fixed-into-variadic-fails"),
    pytest.param(tuple[bool, str], tuple[int, str], True, id="6-fixed-pairwise"),
    pytest.param(tuple[int, int], tuple[int, int, int], False, id="6-fixed-arity"),
    pytest.param(tuple[str, str], tuple[int, str], False, id="6-fixed-pairwise-fails"),
    pytest.param(list[list[bool]], list[list[int]], True, id="6-nested"),
    pytest.param(list[list[str]], list[list[int]], False, id="6-nested-fails"),
    # 7. plain classes
    pytest.param(bool, int, True, id="7-bool-into-int"),
    pytest.param(int, float, False, id="7-int-into-float"),
    pytest.param(int, object, True, id="7-into-object"),
    pytest.param(str, int, False, id="7-unrelated"),
    pytest.param(int, bool, False, id="7-superclass-into-subclass"),
]


@pytest.mark.parametrize(("provided", "required", "expected"), RULES)
def test_compatibility_rules(provided, required, expected) -> None:
    assert is_compatible(provided, required) is expected


@pytest.mark.parametrize(
    ("provided", "required"),
    [
        pytest.param(typing.ForwardRef("Missing"), int, id="provided"),
        pytest.param(int, typing.ForwardRef("Missing"), id="required"),
        pytest.param(list[int], typing.ForwardRef("Missing"), id="generic-provided"),
    ],
)
def test_rule_8_forward_refs_warn_and_count_as_compatible(provided, required) -> None:
    with pytest.warns(UserWarning, match="Unresolvable type hint") as record:
        assert is_compatible(provided, required) is True
    assert len(record) == 1
    assert "Missing" in str(record[0].message)


def test_rule_8_undecidable_pairs_are_accepted() -> None:
    assert is_compatible(typing.Callable[[int], str], typing.Callable[[str], str]) is True
    assert is_compatible("not a type", 42) is True


# --- through Graph(strict_types=True) ----------------------------------------------------


@node(output_name="v")
def make_int(a: int) -> int:
    return a


@node(output_name="v")
def make_bool(a: int) -> bool:
    return True


@node(output_name="r")
def takes_int(v: int) -> int:
    return v


@node(output_name="r")
def takes_float(v: float) -> float:
    return v


@node(output_name="r")
def takes_optional(v: Optional[int]) -> int:  # noqa: UP045
    return 0


@node(output_name="r")
def takes_str(v: str) -> str:
    return v


@node(output_name="r")
def takes_untyped(v):
    return v


@node(output_name="v")
def make_untyped(a):
    return a


def test_compatible_edges_build() -> None:
    graph = Graph([make_bool, takes_int], strict_types=True)
    assert graph.strict_types is True
    Graph([make_int, takes_optional], strict_types=True)


def test_strict_types_off_accepts_mismatches() -> None:
    graph = Graph([make_int, takes_str])
    assert graph.strict_types is False


def test_type_mismatch_names_both_nodes_value_and_types() -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph([make_int, takes_float], strict_types=True)
    text = str(info.value)
    for fragment in ("Type mismatch", "'make_int'", "'takes_float'", "'v'", "int", "float"):
        assert fragment in text
    assert "How to fix" in text


@pytest.mark.parametrize(
    ("producer", "consumer", "missing"),
    [
        pytest.param(make_untyped, takes_int, "make_untyped", id="producer"),
        pytest.param(make_int, takes_untyped, "takes_untyped", id="consumer"),
    ],
)
def test_missing_annotation(producer, consumer, missing) -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph([producer, consumer], strict_types=True)
    text = str(info.value)
    assert "Missing type annotation" in text
    assert f"'{missing}'" in text
    assert "'v'" in text
    assert "How to fix" in text


def test_only_edges_are_checked() -> None:
    # Unannotated graph inputs and unconsumed outputs are fine.
    @node(output_name="out")
    def loose(x):
        return x

    Graph([loose], strict_types=True)


def test_unresolvable_hint_warns_and_is_accepted() -> None:
    def produce(a) -> "NoSuchType":  # noqa: F821
        return a

    producer = FunctionNode(produce, output_name="v")
    with pytest.warns(UserWarning, match="Unresolvable type hint"):
        graph = Graph([producer, takes_int], strict_types=True)
    assert graph.strict_types is True


def test_generator_outputs_are_typed_as_lists() -> None:
    @node(output_name="v")
    def items(a: int) -> Iterator[int]:
        yield a

    @node(output_name="r")
    def takes_list(v: list[int]) -> int:
        return 0

    Graph([items, takes_list], strict_types=True)
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph([items, takes_int], strict_types=True)


def test_multiple_outputs_use_tuple_element_types() -> None:
    @node(output_name=("v", "w"))
    def pair(a: int) -> tuple[int, str]:
        return a, ""

    @node(output_name="r")
    def takes_w(w: str) -> str:
        return w

    Graph([pair, takes_int, takes_w.with_name("t2").with_outputs(r="r2")], strict_types=True)
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph([pair, takes_w.with_inputs(w="v")], strict_types=True)


def test_renamed_ports_keep_their_types() -> None:
    renamed = make_int.with_outputs(v="value")
    consumer = takes_str.with_inputs(v="value")
    with pytest.raises(GraphConfigError, match="'value'"):
        Graph([renamed, consumer], strict_types=True)
    Graph([renamed, takes_int.with_inputs(v="value")], strict_types=True)


# --- GraphNodes take part through their forwarded types -----------------------------------


def inner_producer():
    return Graph([make_int], name="inner")  # input a: int, output v: int


def test_graph_node_output_type_is_checked() -> None:
    gn = inner_producer().as_node()
    Graph([gn, takes_int], strict_types=True)
    with pytest.raises(GraphConfigError) as info:
        Graph([gn, takes_str], strict_types=True)
    text = str(info.value)
    assert "Type mismatch" in text
    assert "'inner'" in text
    assert "'takes_str'" in text


def test_graph_node_input_type_is_checked() -> None:
    @node(output_name="a")
    def make_a(x: int) -> str:
        return ""

    @node(output_name="a")
    def make_a_int(x: int) -> int:
        return x

    gn = inner_producer().as_node()
    with pytest.raises(GraphConfigError, match="Type mismatch") as info:
        Graph([make_a, gn], strict_types=True)
    assert "'inner'" in str(info.value)
    Graph([make_a_int, gn], strict_types=True)


def test_graph_node_renamed_output_keeps_its_type() -> None:
    gn = inner_producer().as_node().with_outputs(v="value")
    Graph([gn, takes_int.with_inputs(v="value")], strict_types=True)
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph([gn, takes_str.with_inputs(v="value")], strict_types=True)


def test_mapped_graph_node_outputs_are_lists() -> None:
    gn = inner_producer().as_node().map_over("a")

    @node(output_name="r")
    def takes_list(v: list[int]) -> int:
        return 0

    Graph([gn, takes_list], strict_types=True)
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph([gn, takes_int], strict_types=True)


def test_mapped_graph_node_unknown_output_type_is_bare_list() -> None:
    gn = Graph([make_untyped], name="inner").as_node().map_over("a")

    @node(output_name="r")
    def takes_list(v: list[int]) -> int:
        return 0

    Graph([gn, takes_list], strict_types=True)  # bare list into list[int]: accepted
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph([gn, takes_int], strict_types=True)


def test_graph_node_without_inner_types_is_missing_annotation() -> None:
    gn = Graph([make_untyped], name="inner").as_node()
    with pytest.raises(GraphConfigError, match="Missing type annotation") as info:
        Graph([gn, takes_int], strict_types=True)
    assert "'inner'" in str(info.value)
