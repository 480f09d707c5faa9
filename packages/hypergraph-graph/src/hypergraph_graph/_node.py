"""``HyperNode``: the abstract node every graph is made of, and its rename machinery (NODE-01)."""

from __future__ import annotations

import abc
import copy
import hashlib
from collections.abc import Mapping
from typing import Any, Self

from hypergraph_types import RenameEntry

from ._names import merge_renames, next_batch_id, plan_renames

__all__ = ["HyperNode"]


class HyperNode(abc.ABC):
    """A node: a name, the value names it consumes (``inputs``) and produces (``outputs``).

    ``name``, ``inputs`` and ``outputs`` are plain attributes that the library never changes
    after construction. ``rename_inputs``, ``rename_outputs`` and ``with_name`` (and the v1.3
    aliases ``with_inputs`` / ``with_outputs``) return a new node and leave this one as it is.

    Subclasses keep name-keyed state of their own (defaults, annotations, port maps) in sync
    with renames by overriding ``_renamed``.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    _rename_history: list[RenameEntry]
    #: Ordering-only outputs (``emit=``): listed in ``outputs``, produced on completion, no value.
    emit: tuple[str, ...] = ()
    #: Ordering-only inputs (``wait_for=``): not in ``inputs``; the node waits for fresh ones.
    wait_for: tuple[str, ...] = ()
    #: Names that are both an input and an output of the node without feeding it back (a
    #: nested graph's shared names): no self edge is inferred for them.
    shared_ports: tuple[str, ...] = ()
    #: Any of the three above is set: the graph leaves its name-inference fast path.
    _wires = False
    #: ``_wires``, or an interrupt: the few nodes a graph's construction looks at again (one
    #: scan of the nodes finds them all).
    _special = False

    # Class-level kind flags: cheaper than isinstance() on an ABC in the graph's hot loops.
    _is_graph_node = False
    _is_gate = False
    _is_interrupt = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if cls is HyperNode:
            raise TypeError(
                "HyperNode is abstract and cannot be instantiated. "
                "How to fix: use @node, FunctionNode(...) or Graph.as_node()."
            )
        return super().__new__(cls)

    # -- metadata with defaults ------------------------------------------------------------

    @property
    def data_outputs(self) -> tuple[str, ...]:
        """``outputs`` without the ``emit`` names: the outputs that carry a value."""
        emit = self.emit
        return tuple([o for o in self.outputs if o not in emit]) if emit else self.outputs

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the node's class, name, inputs and outputs."""
        text = f"{type(self).__name__}:{self.name}:{self.inputs}:{self.outputs}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def is_async(self) -> bool:
        """True if running the node needs an event loop."""
        return False

    @property
    def is_generator(self) -> bool:
        """True if the node's body yields values that are collected into a list."""
        return False

    @property
    def cache(self) -> bool:
        """Caching metadata; it has no runtime effect in this release."""
        return False

    def has_default_for(self, param: str) -> bool:
        """True if the node declares a default for input ``param``."""
        return False

    def get_default_for(self, param: str) -> Any:
        """The default of input ``param``; ``KeyError`` when there is none."""
        raise KeyError(f"No default for '{param}' in node '{self.name}'")

    def get_input_type(self, param: str) -> Any | None:
        """The annotated type of input ``param``, or ``None``."""
        return None

    def get_output_type(self, output: str) -> Any | None:
        """The annotated type of ``output``, or ``None``."""
        return None

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Translate current input names to the names the node's body uses."""
        return dict(values)

    # -- renames ---------------------------------------------------------------------------

    def with_name(self, name: str) -> Self:
        """A copy named ``name``. The ``Graph`` validates the name, this never fails on content."""
        if not isinstance(name, str):
            raise TypeError(
                f"with_name() expects a str, got {type(name).__name__}. "
                "How to fix: pass the new name as a string, e.g. node.with_name('step')."
            )
        clone = self._copy()
        if name != self.name:
            clone._rename_history.append(RenameEntry("name", self.name, name))
            clone.name = name
        return clone

    def rename_inputs(self, mapping: Mapping[str, str] | None = None, /, **renames: str) -> Self:
        """A copy with inputs renamed; all renames of one call apply at once (``x<->y`` swaps).

        Pass ``old="new"`` keywords, a ``{"old": "new"}`` mapping, or both (keywords win).
        Raises ``RenameError`` for a name that is not a current input (naming the rename
        chain when it was renamed before) or a result with a name twice.

        Example:
            >>> from hypergraph_graph import node
            >>> @node(output_name="y")
            ... def double(x: int) -> int:
            ...     return 2 * x
            >>> double.rename_inputs(x="amount").inputs
            ('amount',)
        """
        return self._with_renames("inputs", merge_renames(mapping, renames, "rename_inputs()"))

    def rename_outputs(self, mapping: Mapping[str, str] | None = None, /, **renames: str) -> Self:
        """A copy with outputs renamed; all renames of one call apply at once."""
        return self._with_renames("outputs", merge_renames(mapping, renames, "rename_outputs()"))

    # The v1.3 spellings stay as aliases: the same functions, so the same results and errors.
    with_inputs = rename_inputs
    with_outputs = rename_outputs

    def _with_renames(self, kind: str, renames: dict[str, str]) -> Self:
        current = self.inputs if kind == "inputs" else self.outputs
        new_names = plan_renames(self.name, kind, current, renames, self._rename_history)
        clone = self._copy()
        batch = next_batch_id()
        applied = {old: new for old, new in renames.items() if old != new}
        clone._rename_history.extend(
            RenameEntry(kind, old, new, batch)  # type: ignore[arg-type]
            for old, new in applied.items()
        )
        if kind == "inputs":
            clone.inputs = new_names
        else:
            clone.outputs = new_names
            if clone.emit:
                clone.emit = tuple([applied.get(e, e) for e in clone.emit])
        if applied:
            clone._renamed(kind, applied)
        return clone

    def _renamed(self, kind: str, renames: dict[str, str]) -> None:  # noqa: B027 - optional hook
        """Hook: re-key name-keyed state after ``renames`` (old -> new) of ``kind`` applied."""

    def _copy(self) -> Self:
        """A shallow copy with its own rename history."""
        clone = copy.copy(self)
        clone._rename_history = list(self._rename_history)
        return clone
