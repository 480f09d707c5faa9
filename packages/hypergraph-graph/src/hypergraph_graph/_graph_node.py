"""``GraphNode``: a whole graph used as one node of another (NODE-05, NODE-06, NODE-07)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Self

from hypergraph_types import GraphConfigError, RunnerCapabilities
from hypergraph_types._internal import did_you_mean, fmt_names, message, quote, short_repr

from ._node import HyperNode

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["GraphNode", "check_runner"]

MapMode = Literal["zip", "product"]
_MODES = ("zip", "product")


def check_runner(runner: object) -> None:
    """Duck-type check for a runner override (this layer cannot import the runners)."""
    if runner is None:
        return
    if not isinstance(getattr(runner, "capabilities", None), RunnerCapabilities):
        raise TypeError(
            f"runner must be a BaseRunner (e.g. SyncRunner() or AsyncRunner()), got "
            f"{type(runner).__name__}\n"
            "How to fix: pass a runner instance, or None to inherit the parent's runner"
        )


class GraphNode(HyperNode):
    """A nested graph as a node: its inputs are the inner graph's inputs, its outputs all the
    inner outputs. Create it with ``graph.as_node()``.

    Inputs and outputs can be renamed like any node; values are translated to the inner names
    when the nested graph runs, and back when its outputs are written.
    """

    _is_graph_node = True

    def __init__(self, graph: Graph, *, name: str | None = None, runner: Any = None) -> None:
        from ._graph import Graph

        if not isinstance(graph, Graph):
            raise TypeError(
                f"GraphNode expects a Graph, got {type(graph).__name__}. "
                "How to fix: wrap the nodes first, Graph([...], name='inner').as_node()."
            )
        if name is None:
            name = graph.name
        if name is None:
            raise GraphConfigError(
                "GraphNode requires a name, but neither the graph nor as_node() has one\n"
                "  -> the name is the key of the nested result and of addresses ('inner.x')\n"
                "How to fix: set it on the graph, Graph([...], name='inner'), "
                "or pass it to as_node(name='inner')"
            )
        if not isinstance(name, str):
            raise TypeError(
                f"GraphNode name must be a str, got {type(name).__name__}. "
                "How to fix: pass the name as a string, e.g. as_node(name='inner')."
            )
        for ch in (".", "/"):
            if ch in name:
                raise GraphConfigError(
                    message(
                        f"Invalid GraphNode name {short_repr(name)}: it contains {ch!r}",
                        ["Reserved characters: '.' and '/' (they separate nested addresses)"],
                        "choose a name without '.' or '/'",
                    )
                )
        check_runner(runner)
        self._graph = graph
        self.name = name
        self._runner = runner
        self._rename_history = []
        self.inputs = graph.inputs.all
        self.outputs = graph.outputs
        # The inner graph's emits are this node's emits too: a parent may wait for them.
        self.emit = graph._structure.emits
        self._inner_in = {p: p for p in self.inputs}  # current input -> inner name
        self._inner_out = {o: o for o in self.outputs}  # current output -> inner name
        self._map_over: list[str] | None = None
        self._map_mode: MapMode = "zip"

    # -- configuration ---------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        """The wrapped graph (the very object passed in, shared by every copy)."""
        return self._graph

    @property
    def runner(self) -> Any:
        """The runner override, or ``None`` to inherit the parent's runner."""
        return self._runner

    @property
    def map_config(self) -> tuple[list[str], str] | None:
        """``(mapped input names, mode)``, or ``None`` when the node is not mapped."""
        if self._map_over is None:
            return None
        return list(self._map_over), self._map_mode

    def with_runner(self, runner: Any) -> Self:
        """A copy run by ``runner`` (``None`` clears the override)."""
        check_runner(runner)
        clone = self._copy()
        clone._runner = runner
        return clone

    def map_over(self, *params: str, mode: MapMode = "zip") -> Self:
        """A copy that runs the inner graph once per item of the given inputs."""
        if not params:
            raise GraphConfigError(
                message(
                    f"map_over() on GraphNode '{self.name}' needs at least one parameter",
                    [f"Available inputs: {fmt_names(self.inputs)}"],
                    "name the inputs to map over, e.g. .map_over('x')",
                )
            )
        for p in params:
            if not isinstance(p, str):
                raise TypeError(
                    f"map_over() expects input names (str), got {type(p).__name__}. "
                    "How to fix: name the inputs as strings, e.g. .map_over('x')."
                )
            if p not in self.inputs:
                raise GraphConfigError(
                    message(
                        f"map_over(): {quote(p)} is not an input of GraphNode '{self.name}'",
                        [
                            did_you_mean(p, self.inputs),
                            f"Available inputs: {fmt_names(self.inputs)}",
                        ],
                        "map over one of the available inputs",
                    )
                )
        repeated = sorted({p for p in params if params.count(p) > 1})
        if repeated:
            raise GraphConfigError(
                message(
                    f"map_over(): {fmt_names(repeated)} listed twice on GraphNode '{self.name}'",
                    [f"Given: {fmt_names(params)}"],
                    "list each input once",
                )
            )
        if mode not in _MODES:
            raise GraphConfigError(
                message(
                    f"Unknown map mode {short_repr(mode)} for GraphNode '{self.name}'",
                    ["Valid modes: 'zip', 'product'"],
                    "use mode='zip' (pair items) or mode='product' (every combination)",
                )
            )
        clone = self._copy()
        clone._map_over = list(params)
        clone._map_mode = mode
        return clone

    # -- HyperNode API ---------------------------------------------------------------------

    @property
    def definition_hash(self) -> str:
        inner = self._graph.definition_hash
        if self._map_over is None:
            return inner
        mapped = ",".join(self._inner_in[p] for p in self._map_over)
        return hashlib.sha256(f"{inner}:map:{self._map_mode}:{mapped}".encode()).hexdigest()

    @property
    def is_async(self) -> bool:
        return self._graph.has_async_nodes

    @property
    def _wires(self) -> bool:  # type: ignore[override]
        return bool(self.emit or self.shared_ports)

    @property
    def _special(self) -> bool:  # type: ignore[override]
        return self._wires

    @property
    def shared_ports(self) -> tuple[str, ...]:  # type: ignore[override]
        """The inner graph's shared names, where one port both reads and writes them.

        The nested run reads their initial value and writes their final value; it does not
        feed itself (no self edge in the parent), so the parent runs it once per input change.
        """
        shared = self._graph.shared
        if not shared:
            return ()
        outer = {inner: port for port, inner in self._inner_out.items()}
        return tuple(
            p for p, inner in self._inner_in.items() if inner in shared and outer.get(inner) == p
        )

    def has_default_for(self, param: str) -> bool:
        inner = self._inner_in.get(param)
        return inner is not None and inner in self._graph.inputs.optional

    def get_default_for(self, param: str) -> Any:
        inner = self._inner_in.get(param)
        if inner is not None:
            bound = self._graph.inputs.bound
            if inner in bound:
                return bound[inner]
            for n in self._graph._nodes.values():
                if inner in n.inputs and n.has_default_for(inner):
                    return n.get_default_for(inner)
        raise KeyError(f"No default for '{param}' in GraphNode '{self.name}'")

    def get_input_type(self, param: str) -> Any | None:
        inner = self._inner_in.get(param)
        if inner is None:
            return None
        for n in self._graph._nodes.values():
            if inner in n.inputs:
                tp = n.get_input_type(inner)
                if tp is not None:
                    return tp
        return None

    def get_output_type(self, output: str) -> Any | None:
        inner = self._inner_out.get(output)
        tp = None
        if inner is not None:
            producers = self._graph._structure.producers.get(inner, ())
            if producers:
                tp = self._graph._nodes[producers[0]].get_output_type(inner)
        if self._map_over is not None and inner is not None:
            return list if tp is None else list[tp]  # type: ignore[valid-type]
        return tp

    @property
    def output_annotation(self) -> dict[str, Any]:
        """Current output name -> type for every output, ``None`` where no type is known."""
        return {o: self.get_output_type(o) for o in self.outputs}

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        inner = self._inner_in
        return {inner.get(k, k): v for k, v in values.items()}

    def map_outputs_from_original(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Translate inner output names to the current output names."""
        outer = {v: k for k, v in self._inner_out.items()}
        return {outer.get(k, k): v for k, v in values.items()}

    def _renamed(self, kind: str, renames: dict[str, str]) -> None:
        if kind == "inputs":
            self._inner_in = {renames.get(k, k): v for k, v in self._inner_in.items()}
            if self._map_over is not None:
                self._map_over = [renames.get(p, p) for p in self._map_over]
        else:
            self._inner_out = {renames.get(k, k): v for k, v in self._inner_out.items()}

    def _copy(self) -> Self:
        clone = super()._copy()
        if self._map_over is not None:
            clone._map_over = list(self._map_over)
        return clone

    def __repr__(self) -> str:
        text = f"GraphNode({self.name!r}, inputs={self.inputs!r}, outputs={self.outputs!r}"
        if self._map_over is not None:
            text += f", map_over={self._map_over!r}, mode={self._map_mode!r}"
        return text + ")"
