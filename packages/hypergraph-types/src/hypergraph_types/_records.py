"""Small immutable records: ``RunnerCapabilities``, ``InputSpec``, ``RenameEntry``."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = ["InputSpec", "RenameEntry", "RunnerCapabilities"]


class RunnerCapabilities(msgspec.Struct, frozen=True, gc=False):
    """What a runner can execute; checked before any node runs.

    Attributes:
        supports_cycles: The runner can execute graphs with cycles.
        supports_async_nodes: The runner can execute ``async def`` nodes itself.
        supports_streaming: Reserved for streaming runners; no built-in runner streams.
        returns_coroutine: ``run()`` / ``map()`` return coroutines that must be awaited.
    """

    supports_cycles: bool = True
    supports_async_nodes: bool = False
    supports_streaming: bool = False
    returns_coroutine: bool = False


class InputSpec(msgspec.Struct, frozen=True):
    """How a graph's inputs are classified.

    Attributes:
        required: Inputs that must be provided, in first-occurrence order.
        optional: Inputs with a default or a binding (bound names included).
        seeds: Initial values that a cycle needs; always required at run time.
        bound: The graph's bindings, name -> value, in binding order.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...]
    seeds: tuple[str, ...]
    bound: dict[str, Any]

    @property
    def all(self) -> tuple[str, ...]:
        """``required + optional + seeds``, in that order."""
        return self.required + self.optional + self.seeds

    # InputSpec is deliberately not iterable (SPEC TYPE-04).
    __iter__ = None


RenameKind = Literal["name", "inputs", "outputs"]


class RenameEntry(msgspec.Struct, frozen=True, gc=False):
    """One applied rename in a node's history.

    Attributes:
        kind: ``"name"``, ``"inputs"`` or ``"outputs"``.
        old: The name before the rename.
        new: The name after the rename.
        batch_id: The id shared by all renames of one ``with_*`` call (``None`` for names).
    """

    kind: RenameKind
    old: str
    new: str
    batch_id: int | None = None
