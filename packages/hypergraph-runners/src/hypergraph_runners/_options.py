"""Checking the options of ``run()`` and ``map()`` (SPEC §6.5 step 1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypergraph_graph import Graph, HyperNode
from hypergraph_types import InvalidInputError
from hypergraph_types._internal import message, short_repr

__all__ = [
    "DEFAULT_MAX_ITERATIONS",
    "check_error_handling",
    "check_graph",
    "check_limit",
    "check_select",
    "merge_values",
]

#: The cycle budget used when ``max_iterations`` is ``None``.
DEFAULT_MAX_ITERATIONS = 1000

_ERROR_MODES = ("continue", "raise")


def check_graph(graph: Any) -> Graph:
    if isinstance(graph, Graph):
        return graph
    hint = (
        "wrap the node in a graph: Graph([node])"
        if isinstance(graph, HyperNode)
        else "build a graph from nodes: Graph([f, g])"
    )
    raise TypeError(
        f"run() and map() expect a Graph, got {type(graph).__name__}. How to fix: {hint}."
    )


def merge_values(values: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a Mapping with str keys) merged with keyword shorthand inputs."""
    if values is None:
        merged: dict[str, Any] = {}
    elif isinstance(values, Mapping):
        merged = dict(values)
    else:
        raise TypeError(
            f"values must be a Mapping of input name -> value, got {type(values).__name__}. "
            "How to fix: pass a dict, e.g. run(graph, {'x': 1})."
        )
    for key in merged:
        if not isinstance(key, str):
            raise TypeError(
                f"values keys must be str, got {short_repr(key)} ({type(key).__name__}). "
                "How to fix: use input names as keys."
            )
    if not kwargs:
        return merged
    both = sorted(set(merged) & set(kwargs))
    if both:
        raise InvalidInputError(
            message(
                f"Inputs given twice, in values and as keywords: {', '.join(map(repr, both))}",
                [],
                "pass each input once",
            )
        )
    merged.update(kwargs)
    return merged


def check_select(select: Any) -> tuple[str, ...] | None:
    if select is None:
        return None
    if isinstance(select, str):
        return (select,)
    if isinstance(select, Sequence) and all(isinstance(s, str) for s in select):
        return tuple(select)
    raise TypeError(
        f"select must be None, a str or a sequence of str, got {short_repr(select)}. "
        "How to fix: e.g. select=['answer']."
    )


def check_limit(name: str, value: Any, default: int | None) -> int | None:
    """``max_iterations`` / ``max_concurrency``: ``None`` or an int >= 1 (bool is rejected)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be None or an int >= 1, got {short_repr(value)} "
            f"({type(value).__name__})\n"
            f"How to fix: pass {name}=None (the default) or a positive int such as 10"
        )
    if value < 1:
        raise InvalidInputError(
            message(
                f"{name} must be >= 1, got {short_repr(value)}",
                ["allowed: None or an int >= 1"],
                f"pass {name}=None (the default) or a positive int",
            )
        )
    return value


def check_error_handling(value: Any) -> bool:
    """True for ``"raise"``, False for ``"continue"``."""
    if value not in _ERROR_MODES or not isinstance(value, str):
        raise InvalidInputError(
            message(
                f"Unknown error_handling {short_repr(value)}",
                ["allowed: 'continue' (return a FAILED result) or 'raise' (re-raise)"],
                "pass error_handling='continue' or error_handling='raise'",
            )
        )
    return value == "raise"
