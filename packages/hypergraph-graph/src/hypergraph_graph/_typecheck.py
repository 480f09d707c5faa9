"""Type compatibility for ``strict_types`` (SPEC §3.3, rules 1-8).

``is_compatible(provided, required)`` answers whether a value annotated ``provided`` may flow
into a parameter annotated ``required``. Pairs the rules cannot decide are accepted.
"""

from __future__ import annotations

import types
import typing
import warnings
from typing import Any

from hypergraph_types._internal import short_repr, user_stacklevel

__all__ = ["is_compatible"]

_UNION_TYPES = (typing.Union, types.UnionType)


def _normalise(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if tp is None:
        return type(None)
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in _UNION_TYPES


def is_compatible(provided: Any, required: Any) -> bool:
    """True if ``provided`` is compatible with ``required``; warns on unresolvable hints."""
    p, r = _normalise(provided), _normalise(required)
    for tp in (p, r):
        if isinstance(tp, typing.ForwardRef):
            warnings.warn(
                f"Unresolvable type hint {short_repr(tp.__forward_arg__)}; "
                "treating it as compatible. "
                "How to fix: import the type where the function is defined.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
            return True
    return _compatible(p, r)


def _compatible(p: Any, r: Any) -> bool:  # one branch per rule of the spec
    p, r = _normalise(p), _normalise(r)
    if p == r or p is typing.Any or r is typing.Any:
        return True
    if isinstance(p, typing.ForwardRef) or isinstance(r, typing.ForwardRef):
        return True
    if _is_union(p):
        return all(_compatible(m, r) for m in typing.get_args(p))
    if _is_union(r):
        return any(_compatible(p, m) for m in typing.get_args(r))
    if isinstance(r, typing.TypeVar):
        if r.__bound__ is not None:
            return _compatible(p, r.__bound__)
        if r.__constraints__:
            return any(_compatible(p, c) for c in r.__constraints__)
        return True
    if isinstance(p, typing.TypeVar):
        return True
    p_origin, r_origin = typing.get_origin(p), typing.get_origin(r)
    if p_origin is typing.Literal:
        values = typing.get_args(p)
        if r_origin is typing.Literal:
            return set(values) <= set(typing.get_args(r))
        if isinstance(r, type):
            return all(isinstance(v, r) for v in values)
        return True
    if r_origin is typing.Literal:
        return False
    if p_origin is not None or r_origin is not None:
        return _compatible_generic(p, r, p_origin, r_origin)
    if isinstance(p, type) and isinstance(r, type):
        return issubclass(p, r)
    return True


def _compatible_generic(p: Any, r: Any, p_origin: Any, r_origin: Any) -> bool:
    p_base = p_origin if p_origin is not None else p
    r_base = r_origin if r_origin is not None else r
    if not (isinstance(p_base, type) and isinstance(r_base, type)):
        return True
    if not issubclass(p_base, r_base):
        return False
    p_args, r_args = typing.get_args(p), typing.get_args(r)
    if not p_args or not r_args:
        return True
    if r_base is tuple or p_base is tuple:
        return _compatible_tuple(p_args, r_args)
    if len(p_args) != len(r_args):
        return True
    return all(_compatible(a, b) for a, b in zip(p_args, r_args))


def _compatible_tuple(p_args: tuple[Any, ...], r_args: tuple[Any, ...]) -> bool:
    p_var = len(p_args) == 2 and p_args[1] is Ellipsis
    r_var = len(r_args) == 2 and r_args[1] is Ellipsis
    if r_var:
        items = p_args[:1] if p_var else p_args
        return all(_compatible(a, r_args[0]) for a in items)
    if p_var:
        return all(_compatible(p_args[0], b) for b in r_args)
    if len(p_args) != len(r_args):
        return False
    return all(_compatible(a, b) for a, b in zip(p_args, r_args))
