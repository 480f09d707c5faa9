"""Ordering-only ports of a node: ``emit=`` and ``wait_for=`` (issue 23, agent loops).

An *emit* is an output that carries no value: the runner produces it (a version bump) each
time the node completes, so another node can wait for that completion. A *wait_for* name is
an input that carries no value: the node does not run until each such name exists and was
produced again since the node last ran. Both are part of the wiring (edges, the definition
hash, pictures), never of ``RunResult.values`` or of a function's arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypergraph_types import GraphConfigError
from hypergraph_types._internal import fmt_names, message, short_repr

__all__ = ["check_ordering", "ordering_names"]


def ordering_names(value: Any, option: str, node_name: str) -> tuple[str, ...]:
    """``emit=`` / ``wait_for=`` as a tuple of names: a name, a tuple/list of names, or None."""
    if value is None:
        return ()
    names: tuple[Any, ...] = (value,) if isinstance(value, str) else ()
    if not names:
        if not isinstance(value, (tuple, list)) or not all(isinstance(v, str) for v in value):
            raise TypeError(
                f"{option} must be a str or a tuple of str, got {type(value).__name__} "
                f"({short_repr(value)}) for node '{node_name}'. "
                f"How to fix: pass {option}='done' or {option}=('a', 'b')."
            )
        names = tuple(value)
    problems = [n for n in names if not n or "." in n or "/" in n]
    if problems:
        raise GraphConfigError(
            message(
                f"Invalid {option} name {fmt_names(problems)} on node '{node_name}'",
                ["'.' and '/' separate nested addresses, and a name cannot be empty"],
                f"choose plain names for {option}, e.g. {option}='tool_done'",
            )
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GraphConfigError(
            message(
                f"{option} of node '{node_name}' lists {fmt_names(repeated)} twice",
                [f"{option}={short_repr(names)}"],
                "list each name once",
            )
        )
    return names


def check_ordering(
    node_name: str,
    emit: tuple[str, ...],
    wait_for: tuple[str, ...],
    outputs: Iterable[str],
    parameters: Iterable[str],
) -> None:
    """Emits may not be data outputs; wait_for names may not be parameters."""
    clash = [e for e in emit if e in set(outputs)]
    if clash:
        raise GraphConfigError(
            message(
                f"Node '{node_name}': emit {fmt_names(clash)} is also an output_name",
                ["an emit signals completion and carries no value; an output carries one"],
                "give the emit its own name, e.g. emit='"
                + clash[0]
                + "_done', or drop it from output_name",
            )
        )
    clash = [w for w in wait_for if w in set(parameters)]
    if clash:
        raise GraphConfigError(
            message(
                f"Node '{node_name}': wait_for {fmt_names(clash)} is also a parameter",
                ["wait_for names only order the node; a parameter receives a value"],
                "drop it from wait_for (a parameter already waits for its value), or rename "
                "the parameter",
            )
        )
