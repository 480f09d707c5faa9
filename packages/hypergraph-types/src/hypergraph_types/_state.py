"""The execution core's state record: ``GraphState`` and ``NodeExecution`` (TYPE-05)."""

from __future__ import annotations

from typing import Any

import msgspec

from ._sameness import is_same

__all__ = ["GraphState", "NodeExecution"]


class NodeExecution(msgspec.Struct):
    """What one node consumed and produced at its last execution.

    Attributes:
        node_name: The node's name.
        input_versions: Input name -> the version consumed at that execution.
        outputs: Output name -> the value that execution produced.
    """

    node_name: str
    input_versions: dict[str, int]
    outputs: dict[str, Any]


class GraphState(msgspec.Struct):
    """Current values and their versions during a run.

    Attributes:
        values: Name -> current value.
        versions: Name -> version; bumped only when a written value is not the same.
        node_executions: Node name -> its last ``NodeExecution``.
    """

    values: dict[str, Any] = msgspec.field(default_factory=dict)
    versions: dict[str, int] = msgspec.field(default_factory=dict)
    node_executions: dict[str, NodeExecution] = msgspec.field(default_factory=dict)

    def update_value(self, name: str, value: Any) -> None:
        """Store ``value``; version 1 for a new name, +1 when not the same as the old value."""
        values = self.values
        if name not in values:
            self.versions[name] = 1
        elif not is_same(values[name], value):
            self.versions[name] += 1
        values[name] = value

    def get_version(self, name: str) -> int:
        """The current version of ``name``, or 0 if it was never written."""
        return self.versions.get(name, 0)

    def copy(self) -> GraphState:
        """New dicts and new ``NodeExecution`` records; the values themselves are shared."""
        return GraphState(
            dict(self.values),
            dict(self.versions),
            {
                k: NodeExecution(e.node_name, dict(e.input_versions), dict(e.outputs))
                for k, e in self.node_executions.items()
            },
        )
