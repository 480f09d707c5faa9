"""The picture of a graph: what both renderers (Mermaid text, the HTML view) draw.

``Picture`` walks a graph once, fully expanded: every node of every nested graph becomes an
``Item`` (nested ones point to their enclosing graph node through ``parent``), and every edge
becomes a ``Link`` between the innermost items it really connects (a value entering a nested
graph goes to the inner nodes that consume it). A view at some ``depth`` then *lifts* each link
to the nearest visible item, so collapsing a nested graph needs no second walk. The tables come
from each graph's ``Structure`` (edges, control edges, cycles); nothing is recomputed here.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._function import _type_label
from ._gate import END, IfElseNode
from ._graph_node import GraphNode
from ._wiring import completion_key

if TYPE_CHECKING:
    from ._graph import Graph
    from ._node import HyperNode

__all__ = ["Item", "Link", "Picture", "type_text"]

SEP = "__"  # between a nested graph's id and its children's names (Mermaid ids allow no '.')
END_ID = "__end__"


def type_text(tp: Any) -> str:
    """A short, readable type: ``int``, ``list[str]``, ``Foo`` for an unresolved ``'Foo'``."""
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__
    if isinstance(tp, str):
        return tp
    return _type_label(tp)


@dataclass(frozen=True)
class Item:
    """One box: a function, gate, nested graph, graph input or the END of a graph.

    ``lines`` are the ``name: type`` rows drawn under the name (outputs, or an input's own row);
    ``note`` says how a nested graph maps; ``level`` counts enclosing graph nodes.
    """

    id: str
    name: str
    kind: str  # "function" | "gate" | "graph" | "input" | "end"
    parent: str | None
    level: int
    lines: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    note: str = ""
    conditional: bool = False  # some gate decides whether it runs


@dataclass(frozen=True)
class Link:
    """An edge between innermost items; ``label`` is ``True``/``False`` for an ifelse.

    ``names`` gives, for the source and each graph item enclosing it up to the edge's level,
    the value's name there (renames differ per level), so a lifted link still knows it.
    """

    source: str
    target: str
    kind: str  # "data" | "control" | "ordering" (emit/wait_for, ordering-only edges)
    label: str = ""
    cyclic: bool = False  # both ends lie on one cycle of their graph
    names: tuple[tuple[str, str], ...] = ()

    def value(self, source: str) -> str:
        """The value's name as ``source`` (this link's source or an ancestor) outputs it."""
        return dict(self.names).get(source, "")


class Picture:
    """Items and links of a graph, fully expanded (see the module docstring)."""

    def __init__(self, graph: Graph, *, show_types: bool = True) -> None:
        self.show_types = show_types
        self.items: dict[str, Item] = {}
        self.links: list[Link] = []
        self.inputs: list[tuple[str, Item]] = []  # (value name, input item)
        s = graph._structure
        for name, kind in s.input_order.items():
            consumers = [s.nodes[c] for c in s.consumers[name]]
            tp = next((t for c in consumers if (t := c.get_input_type(name)) is not None), None)
            row = self._row(name, tp) + (" (shared)" if name in s.shared else "")
            item = Item(f"input_{name}", name, "input", None, 0, (row,), (name,), kind)
            self.items[item.id] = item
            self.inputs.append((name, item))
            for consumer in s.consumers[name]:
                for leaf in self._entries(graph, "", consumer, name):
                    self.links.append(Link(item.id, leaf, "data", names=((item.id, name),)))
        self._walk(graph, "", None, 0)

    def _row(self, value: str, tp: Any) -> str:
        return f"{value}: {type_text(tp)}" if self.show_types and tp is not None else value

    def _walk(self, graph: Graph, prefix: str, parent: str | None, level: int) -> None:
        s = graph._structure
        on_cycle = {name: i for i, group in enumerate(s.cycles) for name in group}
        targets = {t for n in s.nodes.values() if type(n)._is_gate for t in n.targets}  # type: ignore[attr-defined]
        for name, n in s.nodes.items():
            self._add_node(n, prefix + name, parent, level, name in targets)
            if isinstance(n, GraphNode):
                self._walk(n.graph, prefix + name + SEP, prefix + name, level + 1)
        if END in targets:
            end = prefix + END_ID
            self.items[end] = Item(end, "End", "end", parent, level)

        def cyclic(u: str, v: str) -> bool:
            return u in on_cycle and on_cycle[u] == on_cycle.get(v)

        for u, v, value in s.edges:
            for src, names in self._exits(graph, prefix, u, value):
                for dst in self._entries(graph, prefix, v, value):
                    self.links.append(Link(src, dst, "data", "", cyclic(u, v), names))
        for u, v, key in s.ordering_edges:
            label = "after" if key == completion_key(u) else key
            self.links.append(Link(prefix + u, prefix + v, "ordering", label, cyclic(u, v)))
        for name, n in s.nodes.items():
            if not type(n)._is_gate:
                continue
            for t in n.targets:  # type: ignore[attr-defined]
                label = ""
                if isinstance(n, IfElseNode):
                    label = "True" if t == n.when_true else "False"
                target = prefix + (END_ID if t is END else t)
                if target in self.items:  # a target naming no node is a validation matter
                    loop = t is not END and cyclic(name, t)
                    self.links.append(Link(prefix + name, target, "control", label, loop))

    def _add_node(self, n: HyperNode, id_: str, parent: str | None, level: int, cond: bool) -> None:
        rows = tuple(
            f"{o} (emit)" if o in n.emit else self._row(o, n.get_output_type(o)) for o in n.outputs
        )
        kind, note = "function", ""
        if type(n)._is_gate:
            kind = "gate"
        elif type(n)._is_interrupt:
            note = "interrupt: waits for an answer"
        elif isinstance(n, GraphNode):
            kind = "graph"
            if n.map_config is not None:
                params, mode = n.map_config
                note = f"map_over: {', '.join(params)} ({mode})"
        self.items[id_] = Item(id_, n.name, kind, parent, level, rows, n.outputs, note, cond)

    def _entries(self, graph: Graph, prefix: str, name: str, value: str) -> list[str]:
        """The innermost items that read ``value`` when it enters node ``name``."""
        n = graph._structure.nodes[name]
        if not isinstance(n, GraphNode):
            return [prefix + name]
        inner = n._inner_in[value]
        inner_prefix = prefix + name + SEP
        found = [
            leaf
            for c in n.graph._structure.consumers.get(inner, ())
            for leaf in self._entries(n.graph, inner_prefix, c, inner)
        ]
        return found or [prefix + name]

    def _exits(
        self, graph: Graph, prefix: str, name: str, value: str
    ) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        """The innermost items that write ``value`` when node ``name`` outputs it, each with
        the value's name per level (see ``Link.names``)."""
        n = graph._structure.nodes[name]
        here = ((prefix + name, value),)
        if not isinstance(n, GraphNode):
            return [(prefix + name, here)]
        inner = n._inner_out[value]
        inner_prefix = prefix + name + SEP
        found = [
            (leaf, names + here)
            for p in n.graph._structure.producers.get(inner, ())
            for leaf, names in self._exits(n.graph, inner_prefix, p, inner)
        ]
        return found or [(prefix + name, here)]

    # -- views -----------------------------------------------------------------------------

    def expanded(self, depth: int) -> set[str]:
        """Ids of the graph items drawn open at ``depth`` (``depth=1``: the outer level)."""
        return {i.id for i in self.items.values() if i.kind == "graph" and i.level < depth}

    def visible(self, item_id: str, expanded: set[str]) -> str:
        """The item that stands for ``item_id``: itself, or its outermost collapsed ancestor."""
        chain = [item_id]
        while (parent := self.items[chain[-1]].parent) is not None:
            chain.append(parent)
        for candidate in reversed(chain):
            if candidate not in expanded:
                return candidate
        return item_id

    def view_links(self, expanded: set[str], *, by_value: bool = False) -> list[Link]:
        """Links lifted to visible items, without duplicates and without lifted self loops.

        With ``by_value`` links carrying different values between the same items stay apart.
        """
        seen: dict[tuple[str, str, str, str, str], Link] = {}
        for link in self.links:
            u, v = self.visible(link.source, expanded), self.visible(link.target, expanded)
            if u == v and (u != link.source or v != link.target):
                continue  # both ends inside one collapsed graph
            value = link.value(u) if by_value else ""
            key = (u, v, link.kind, link.label, value)
            if key not in seen:
                seen[key] = Link(u, v, link.kind, link.label, link.cyclic, ((u, link.value(u)),))
        return list(seen.values())
