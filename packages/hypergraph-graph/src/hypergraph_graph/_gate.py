"""Gates: nodes that decide which node runs next (``route``, ``ifelse``) and ``END``.

A gate wraps a plain sync function like a ``FunctionNode`` (inputs, defaults, renames and
bindings work the same) but has no outputs: its return value is a *decision* naming the
target node(s) to run next, or ``END``. A gate target runs only after a controlling gate
decided for it; the decision stays in force until that gate runs again.

Example:
    >>> @route(targets=["increment", END])
    ... def check(count: int) -> object:
    ...     return "increment" if count < 3 else END
    >>> check.targets
    ['increment', END]

Compatibility with the original v1.3 gates (issue 13 case 16): ``.targets`` is a list, a
route's ``fallback`` joins its targets, ``END`` is a valid decision only where it is a
target, and the messages keep the v1.3 wording ("cannot be async", "invalid target", ...)
inside the three-part recipe.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from hypergraph_types import GraphConfigError
from hypergraph_types._internal import did_you_mean, message, quote, short_repr

from ._function import FunctionNode
from ._introspect import target_function

__all__ = [
    "END",
    "GateNode",
    "IfElseNode",
    "RouteNode",
    "check_plain_sync",
    "decide",
    "ifelse",
    "route",
]


class _EndType(type):
    def __repr__(cls) -> str:
        return "END"

    def __str__(cls) -> str:
        return "END"

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("END is a sentinel and cannot be instantiated; use END itself")


class END(metaclass=_EndType):
    """Sentinel a gate returns to stop: no target of that gate runs. ``END != "END"``."""


def _label(target: object) -> str:
    return "END" if target is END else short_repr(target)


def _config_error(gate: str, what: str, fix: str, details: Sequence[str] = ()) -> GraphConfigError:
    return GraphConfigError(message(f"Gate {quote(gate)}: {what}", details, fix))


class GateNode(FunctionNode):
    """Common base of gates: a sync function whose return value chooses the next node(s).

    Attributes:
        targets: The node names (or ``END``) this gate may choose, duplicates removed, as a
            list (v1.3 compatibility; treat it as read-only: the graph reads it when built).
        descriptions: Target -> description, when targets were given as a dict.
        multi_target: Whether a decision may name several targets (a list).
        fallback: For a route, the target used when the function returns ``None``.
    """

    _warns_on_unused_return = False
    _is_gate = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "GateNode is the common base of gates and has no targets of its own. "
            "How to fix: use RouteNode / @route or IfElseNode / @ifelse."
        )

    targets: list[Any]
    descriptions: dict[Any, str]
    multi_target: bool
    fallback: Any

    def _init_gate(
        self,
        func: Callable[..., Any],
        name: str | None,
        rename_inputs: Mapping[str, str] | None,
        cache: bool,
        cache_version: str | int | None = None,
        emit: str | tuple[str, ...] | None = None,
        wait_for: str | tuple[str, ...] | None = None,
    ) -> None:
        check_plain_sync(func, "gate", "decision")
        FunctionNode.__init__(
            self,
            func,
            name,
            None,
            rename_inputs=rename_inputs,
            cache=cache,
            cache_version=cache_version,
            emit=emit,
            wait_for=wait_for,
        )

    @property
    def definition_hash(self) -> str:
        """The function's source plus the routing: kind, targets in order, fallback, mode."""
        parts = [type(self).__name__, *map(_label, self.targets)]
        routing = "|".join([*parts, _label(self.fallback), str(self.multi_target)])
        return hashlib.sha256(f"{super().definition_hash}:{routing}".encode()).hexdigest()

    @property
    def exclusive(self) -> bool:
        """True if the gate activates at most one target at a time (route or ifelse)."""
        return not self.multi_target

    def __repr__(self) -> str:
        label = (
            self._func_name
            if self.name == self._func_name
            else f"{self._func_name} as '{self.name}'"
        )
        targets = ", ".join(_label(t) for t in self.targets)
        return f"{type(self).__name__}({label}, targets=[{targets}])"

    def _copy(self) -> Self:
        clone = super()._copy()
        clone.targets = list(self.targets)  # a list: copies must not share it
        clone.descriptions = dict(self.descriptions)
        return clone


def check_plain_sync(func: Any, role: str, returns: str) -> None:
    """A ``TypeError`` unless ``func`` is a plain sync function (gates and interrupts)."""
    kind = _forbidden_kind(func) if callable(func) else None  # FunctionNode checks callable
    if kind is not None:
        name = quote(getattr(func, "__name__", type(func).__name__))
        raise TypeError(
            message(
                f"{role.capitalize()} function {name} cannot be {kind}",
                [f"a {role} must be a plain sync function: a def that returns its {returns}"],
                f"make it a def; do async or streaming work in a node that feeds the {role}",
            )
        )


def _forbidden_kind(func: Callable[..., Any]) -> str | None:
    """What makes ``func`` unfit for a gate (async, a generator), or ``None`` if nothing does."""
    target = target_function(func)
    if inspect.iscoroutinefunction(target):
        return "async"
    if inspect.isasyncgenfunction(target):
        return "async (it is an async generator function)"
    if inspect.isgeneratorfunction(target):
        return "a generator"
    return None


def _normalise_targets(
    gate: str, targets: Any, fallback: Any = None
) -> tuple[list[Any], dict[Any, str]]:
    """Targets as a list without duplicates (plus ``fallback``, v1.3), and their descriptions."""
    if isinstance(targets, Mapping):
        descriptions = dict(targets)
        items = list(targets)
    elif isinstance(targets, (list, tuple)):
        descriptions = {}
        items = list(targets)
    else:
        raise TypeError(
            f"Gate {quote(gate)}: targets must be a list of node names (or END) or a dict "
            f"name -> description, got {type(targets).__name__}. "
            "How to fix: e.g. targets=['retrieve', END]."
        )
    if not items:
        raise _config_error(
            gate,
            "targets is empty; a gate needs at least one target",
            "list the nodes it may choose, e.g. ['a', END]",
        )
    # v1.3: the fallback is one of the targets even when not listed (so fallback=END allows END).
    if fallback is not None:
        items.append(fallback)
    for t in items:
        if t == "END" and t is not END:
            raise _config_error(
                gate,
                "uses 'END' as a string target; the string 'END' is not a target",
                "use the END sentinel: from hypergraph import END",
            )
        if t is not END and not isinstance(t, str):
            raise TypeError(
                f"Gate {quote(gate)}: targets must be node names (str) or END, got {_label(t)}. "
                "How to fix: list node names."
            )
    return list(dict.fromkeys(items)), descriptions


class RouteNode(GateNode):
    """A gate whose function returns the name of the next node, ``END`` or ``None``.

    With ``multi_target=True`` it returns a list of names (empty or ``None``: nothing runs).
    ``None`` selects ``fallback`` if one is given, else nothing; a ``fallback`` that is not
    listed joins ``targets``.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        targets: Sequence[Any] | Mapping[Any, str],
        *,
        fallback: Any = None,
        multi_target: bool = False,
        cache: bool = False,
        cache_version: str | int | None = None,
        name: str | None = None,
        rename_inputs: Mapping[str, str] | None = None,
        emit: str | tuple[str, ...] | None = None,
        wait_for: str | tuple[str, ...] | None = None,
    ) -> None:
        label = str(name or getattr(func, "__name__", "route"))
        if not isinstance(multi_target, bool):
            raise TypeError(f"multi_target must be a bool, got {type(multi_target).__name__}")
        self.targets, self.descriptions = _normalise_targets(label, targets, fallback)
        if fallback is not None and multi_target:
            raise _config_error(
                label,
                "cannot have both fallback and multi_target=True",
                "return an explicit list instead of None (None runs nothing), or drop fallback",
            )
        self.fallback = fallback
        self.multi_target = multi_target
        self._init_gate(func, name, rename_inputs, cache, cache_version, emit, wait_for)


class IfElseNode(GateNode):
    """A gate returning a ``bool``: ``True`` runs ``when_true``, ``False`` runs ``when_false``."""

    def __init__(
        self,
        func: Callable[..., Any],
        when_true: Any,
        when_false: Any,
        *,
        cache: bool = False,
        cache_version: str | int | None = None,
        name: str | None = None,
        rename_inputs: Mapping[str, str] | None = None,
        emit: str | tuple[str, ...] | None = None,
        wait_for: str | tuple[str, ...] | None = None,
    ) -> None:
        label = str(name or getattr(func, "__name__", "ifelse"))
        if when_true == when_false:
            raise _config_error(
                label,
                f"when_true and when_false are the same target ({_label(when_true)})",
                "give two different targets (one may be END)",
            )
        self.targets, self.descriptions = _normalise_targets(label, [when_true, when_false])
        self.when_true = when_true
        self.when_false = when_false
        self.fallback = None
        self.multi_target = False
        self._init_gate(func, name, rename_inputs, cache, cache_version, emit, wait_for)


def route(
    targets: Sequence[Any] | Mapping[Any, str],
    *,
    fallback: Any = None,
    multi_target: bool = False,
    cache: bool = False,
    cache_version: str | int | None = None,
    name: str | None = None,
    rename_inputs: Mapping[str, str] | None = None,
    emit: str | tuple[str, ...] | None = None,
    wait_for: str | tuple[str, ...] | None = None,
) -> Callable[[Callable[..., Any]], RouteNode]:
    """Decorate a function returning the next node's name (or ``END``) as a ``RouteNode``."""

    def decorate(func: Callable[..., Any]) -> RouteNode:
        return RouteNode(
            func,
            targets,
            fallback=fallback,
            multi_target=multi_target,
            cache=cache,
            cache_version=cache_version,
            name=name,
            rename_inputs=rename_inputs,
            emit=emit,
            wait_for=wait_for,
        )

    return decorate


def ifelse(
    when_true: Any,
    when_false: Any,
    *,
    cache: bool = False,
    cache_version: str | int | None = None,
    name: str | None = None,
    rename_inputs: Mapping[str, str] | None = None,
    emit: str | tuple[str, ...] | None = None,
    wait_for: str | tuple[str, ...] | None = None,
) -> Callable[[Callable[..., Any]], IfElseNode]:
    """Decorate a function returning a ``bool`` as an ``IfElseNode``."""

    def decorate(func: Callable[..., Any]) -> IfElseNode:
        return IfElseNode(
            func,
            when_true,
            when_false,
            cache=cache,
            cache_version=cache_version,
            name=name,
            rename_inputs=rename_inputs,
            emit=emit,
            wait_for=wait_for,
        )

    return decorate


def decide(gate: GateNode, value: Any) -> tuple[str, ...]:
    """The target names a gate's return value activates (``END`` and ``None`` activate none).

    Raises ``TypeError`` / ``ValueError`` naming the gate and its valid targets for an invalid
    decision; runners call this inside the node's capture boundary, so it fails the gate.
    """
    name = quote(gate.name)
    if isinstance(gate, IfElseNode):
        if type(value) is not bool:
            raise TypeError(
                message(
                    f"Gate {name} must return bool, got {type(value).__name__} ({_label(value)})",
                    [f"True runs {_label(gate.when_true)}, False runs {_label(gate.when_false)}"],
                    "return True or False",
                )
            )
        chosen = gate.when_true if value else gate.when_false
        return () if chosen is END else (chosen,)
    valid = f"Valid targets: {', '.join(_label(t) for t in gate.targets)}"
    if gate.multi_target:
        if value is not None and not isinstance(value, (list, tuple)):
            raise TypeError(
                message(
                    f"Gate {name} has multi_target=True but returned {type(value).__name__} "
                    f"({_label(value)})",
                    [valid],
                    "return a list of targets, e.g. ['a', 'b'] (an empty list or None runs "
                    "nothing)",
                )
            )
        choices = list(value or ())
    else:
        if isinstance(value, (list, tuple, set, frozenset)):
            raise TypeError(
                message(
                    f"Gate {name} has multi_target=False but returned a {type(value).__name__}",
                    [valid],
                    "return one target name, or declare the route with multi_target=True",
                )
            )
        if value is None:
            value = gate.fallback
        choices = [] if value is None else [value]
    for choice in choices:
        # END counts only where it is a target (v1.3): a route that never lists it cannot end.
        if (choice is not END and not isinstance(choice, str)) or choice not in gate.targets:
            raise ValueError(
                message(
                    f"Gate {name} returned invalid target {_label(choice)}, which is not one "
                    "of its targets",
                    [
                        did_you_mean(choice, [t for t in gate.targets if t is not END])
                        if isinstance(choice, str)
                        else None,
                        valid,
                    ],
                    "return one of them"
                    + (", or add END to the route's targets" if choice is END else ""),
                )
            )
    return tuple(dict.fromkeys(c for c in choices if c is not END))
