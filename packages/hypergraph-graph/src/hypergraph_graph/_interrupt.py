"""Interrupts: nodes that ask a person a question and pause the run until it is answered.

An ``InterruptNode`` wraps a plain sync function, like a gate. The function receives the
node's inputs and returns a *question*: any object with ``prompt: str``, ``options:
tuple[str, ...] | None`` and ``evidence: tuple``, whose class (the function's return
annotation) names the type of the expected answer as ``answer_type``. The answer arrives as
the value ``answer_name``, the node's only output, and feeds downstream nodes like any
output. Runners own the pausing; this module only describes the node, so graphs with
interrupts build, describe and draw with the runners absent.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Approval:
    ...     prompt: str
    ...     options: tuple[str, ...] | None = None
    ...     evidence: tuple[object, ...] = ()
    ...     answer_type = bool
    >>> @interrupt(answer_name="approved")
    ... def review(draft: str) -> Approval:
    ...     return Approval(f"Publish {draft!r}?")
    >>> review.outputs, review.answer_type
    (('approved',), <class 'bool'>)
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any, ForwardRef

from hypergraph_types import GraphConfigError
from hypergraph_types._internal import message, quote, short_repr

from ._function import FunctionNode
from ._gate import check_plain_sync

__all__ = ["InterruptNode", "interrupt"]

_UNSET: Any = object()


def _check_answer_name(answer_name: Any, output_name: Any, label: str) -> str:
    if output_name is not _UNSET:
        raise TypeError(
            message(
                f"Interrupt {quote(label)}: output_name= is not accepted",
                ["an interrupt's output is the answer to its question, named by answer_name"],
                f"write answer_name={short_repr(output_name)} instead of output_name=",
            )
        )
    if isinstance(answer_name, (tuple, list)):
        raise TypeError(
            message(
                f"Interrupt {quote(label)}: answer_name must be one name, got a "
                f"{type(answer_name).__name__} {short_repr(answer_name)}",
                ["an interrupt produces exactly one value: the answer"],
                "pass one str, and let a downstream node split the answer if it has parts",
            )
        )
    if callable(answer_name):  # a bare ``@interrupt`` passes the function as answer_name
        func = getattr(answer_name, "__name__", "the function")
        raise TypeError(
            message(
                f"Interrupt {quote(func)}: @interrupt was used without its answer_name",
                ["an interrupt names the value its answer arrives as"],
                "write @interrupt(answer_name='approved') above the function",
            )
        )
    if not isinstance(answer_name, str):
        raise TypeError(
            message(
                f"Interrupt {quote(label)}: answer_name must be a str, got "
                f"{type(answer_name).__name__}",
                [],
                "pass the name of the answer value, e.g. answer_name='approved'",
            )
        )
    return answer_name


class InterruptNode(FunctionNode):
    """A node whose function returns a question; its output ``answer_name`` is the answer.

    Reaching it without its answer pauses the run (``RunResult.paused``); the answer is
    given back as the value ``answer_name`` (its ``response_key``). Interrupts are never
    cached.

    Attributes:
        answer_name: The name of the answer value, the node's only output.
    """

    _warns_on_unused_return = False
    _is_interrupt = True
    _special = True

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        *,
        answer_name: str,
        rename_inputs: Mapping[str, str] | None = None,
        cache: bool = False,
        output_name: Any = _UNSET,
    ) -> None:
        label = str(name or getattr(func, "__name__", "interrupt"))
        answer = _check_answer_name(answer_name, output_name, label)
        if cache is not False:
            raise GraphConfigError(
                message(
                    f"Interrupt {quote(label)}: cache={short_repr(cache)} is not supported",
                    ["interrupts are never cached: every pause must reach a person"],
                    "drop cache=, and cache the nodes that compute the question's inputs",
                )
            )
        check_plain_sync(func, "interrupt", "question")
        FunctionNode.__init__(self, func, name, answer, rename_inputs=rename_inputs)

    @property
    def definition_hash(self) -> str:
        """The function's source plus the node's kind: the same function as a plain node or
        as an interrupt differs (names, like ``answer_name``, are ignored as for any node)."""
        return hashlib.sha256(f"{super().definition_hash}:InterruptNode".encode()).hexdigest()

    @property
    def answer_name(self) -> str:
        """The name of the answer value (the node's output; renames apply)."""
        return self.outputs[0]

    @property
    def question_type(self) -> Any:
        """The function's return annotation (the question class), or ``None``."""
        ret = self._resolved().get("return", inspect.Signature.empty)
        return None if ret is inspect.Signature.empty else ret

    @property
    def answer_type(self) -> Any:
        """``answer_type`` of the question class; ``None`` when the annotation lacks it."""
        return getattr(self.question_type, "answer_type", None)

    @property
    def output_annotation(self) -> dict[str, Any]:
        answer_type = self.answer_type
        return {} if answer_type is None else {self.outputs[0]: answer_type}

    def question_problem(self) -> str | None:
        """Why the question class is unusable (checked when a graph is built), or ``None``."""
        ret = self.question_type
        if ret is None:
            what = "has no return annotation"
        elif isinstance(ret, (str, ForwardRef)):
            name = ret if isinstance(ret, str) else ret.__forward_arg__
            what = (
                f"returns {name!r}, a name that cannot be resolved (a class defined inside a "
                "function, under `from __future__ import annotations`?)"
            )
        elif getattr(ret, "answer_type", None) is None:
            what = f"returns {short_repr(ret)}, which has no answer_type"
        else:
            return None
        return message(
            f"Interrupt {quote(self.name)}: its function {what}",
            [
                "the return annotation is the question class; its answer_type is the type "
                f"of the answer {quote(self.answer_name)}",
            ],
            "annotate the function with a question class that defines answer_type, e.g. "
            "class Approval: ... answer_type = bool",
        )

    def __repr__(self) -> str:
        label = self._func_name
        if self.name != label:
            label = f"{label} as '{self.name}'"
        return f"InterruptNode({label}, answer_name={self.answer_name!r})"


def interrupt(
    answer_name: str,
    *,
    cache: bool = False,
    name: str | None = None,
    rename_inputs: Mapping[str, str] | None = None,
    output_name: Any = _UNSET,
) -> Callable[[Callable[..., Any]], InterruptNode]:
    """Decorate a function returning a question as an ``InterruptNode``.

    ``output_name=`` and a tuple ``answer_name`` are ``TypeError``s (an interrupt has one
    output, its answer).
    """
    label = name or "interrupt"
    _check_answer_name(answer_name, output_name, label)

    def decorate(func: Callable[..., Any]) -> InterruptNode:
        return InterruptNode(
            func, name, answer_name=answer_name, rename_inputs=rename_inputs, cache=cache
        )

    return decorate
