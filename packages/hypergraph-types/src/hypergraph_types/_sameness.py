"""The sameness rule (SPEC §4.5), shared by versions, defaults checks and conflict detection."""

from __future__ import annotations

from typing import Any

__all__ = ["is_same"]


def is_same(a: Any, b: Any) -> bool:
    """True if ``a is b``, else ``bool(a == b)``; any exception on the way means "not the same".

    Two distinct NumPy arrays with several elements are therefore not the same (their ``==``
    gives an array whose truth value raises).
    """
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False
