"""Annotations under ``from __future__ import annotations`` (SPEC NODE-02, issue 13 case 17).

This module needs the future import itself: every annotation below is stored as a string, so a
quoted annotation is a string of a string (``"'Missing'"``).
"""

from __future__ import annotations

import typing

from hypergraph_graph import FunctionNode, Graph, node


def quoted(x: "NoSuchType", y: "int") -> "NoSuchType":  # noqa: F821, UP037
    return x


def test_an_unresolvable_string_of_a_string_is_a_forward_ref() -> None:
    n = FunctionNode(quoted, output_name="out")
    fwd = n.parameter_annotations["x"]
    assert isinstance(fwd, typing.ForwardRef)
    assert fwd.__forward_arg__ == "NoSuchType"
    assert isinstance(n.output_annotation["out"], typing.ForwardRef)
    # The resolvable one is evaluated down to the type, not left as the string 'int'.
    assert n.parameter_annotations["y"] is int


def test_graph_node_lists_a_forward_ref_output_and_an_untyped_one() -> None:
    @node(output_name="loose")
    def untyped(out):
        return out

    gn = Graph([FunctionNode(quoted, output_name="out"), untyped], name="g").as_node()
    annotations = gn.output_annotation
    assert list(annotations) == ["out", "loose"]
    assert isinstance(annotations["out"], typing.ForwardRef)
    assert annotations["loose"] is None
