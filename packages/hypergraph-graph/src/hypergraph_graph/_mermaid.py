"""``Graph.to_mermaid()``: a graph as Mermaid flowchart text, and ``MermaidDiagram``.

Mermaid is drawn by GitHub, GitLab, mkdocs-material and JupyterLab, so the text is the picture
for READMEs, docs and code review. The output is deterministic (node order, then edge order):
the same graph always gives the same text, so golden files and docs can compare it.

Sections, in order: the ``flowchart`` header, ``%% Inputs``, ``%% Nodes``, ``%% Edges`` and
``%% Styling``. Ids are node names (a nested node is ``<graph>__<node>``); a name that is a
Mermaid keyword (``end``, ``graph``, ...) gets a ``node_`` prefix so the text still parses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hypergraph_types._internal import did_you_mean, message

from ._picture import Item, Link, Picture

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["MermaidDiagram", "to_mermaid"]

DIRECTIONS = ("TD", "TB", "BT", "LR", "RL")
#: classDef name -> default style; ``colors=`` overrides entries by name.
STYLES = {
    "function": "fill:#E8F0FE,stroke:#3B5B92,color:#10223F",
    "branch": "fill:#FFF3D6,stroke:#B7791F,color:#3D2A05",
    "input": "fill:#E6F4EA,stroke:#2F7D43,color:#0E3318",
    "end": "fill:#EEEEEE,stroke:#666666,color:#222222",
}
# ``end`` is a Mermaid keyword: ``classDef end`` does not parse, so that class is ``endNode``.
_CLASS_NAME = {"function": "function", "branch": "branch", "input": "input", "end": "endNode"}
_CLASS_OF = {"function": "function", "graph": "function", "gate": "branch", "end": "end"}
_INPUT = Item("", "", "input", None, 0)  # stands for a regrouped input node
_KEYWORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click"}
_KEYWORDS |= {"linkstyle", "direction", "default", "call", "href", "interpolate"}


class MermaidDiagram:
    """Mermaid flowchart text; notebooks draw it, ``str()`` gives the text.

    Example:
        >>> from hypergraph_graph import Graph, node
        >>> @node(output_name="y")
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> Graph([double]).to_mermaid().startswith("flowchart TD")
        True
    """

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __contains__(self, text: str) -> bool:
        return text in self.source

    def startswith(self, prefix: str | tuple[str, ...]) -> bool:
        """``str.startswith`` on the text."""
        return self.source.startswith(prefix)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MermaidDiagram):
            return self.source == other.source
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        lines = self.source.splitlines()
        return f"<MermaidDiagram {lines[0]!r}, {len(lines)} lines>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # JupyterLab >= 4.1 and VS Code draw text/vnd.mermaid; others fall back to the text.
        return {"text/vnd.mermaid": self.source, "text/plain": self.source}


def _id(item_id: str) -> str:
    return f"node_{item_id}" if item_id.lower() in _KEYWORDS else item_id


def _text(text: str) -> str:
    """Escape for a quoted Mermaid label (entity codes, as Mermaid documents them)."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")


def _label(head: list[str], rows: tuple[str, ...]) -> str:
    if not rows:
        return "<br/>".join(map(_text, head))
    rule = "-" * max(len(line) for line in (*head, *rows))
    return "<br/>".join([*map(_text, head), rule, *map(_text, rows)])


def _shape(item: Item, rows: tuple[str, ...]) -> str:
    head = [item.name, item.note] if item.note else [item.name]
    label = _label(head, rows)
    if item.kind == "gate":
        return f'{_id(item.id)}{{{{"{label}"}}}}'
    if item.kind == "end":
        return f'{_id(item.id)}(["{label}"])'
    if item.kind == "graph":
        return f'{_id(item.id)}[["{label}"]]'
    return f'{_id(item.id)}["{label}"]'


def _check(depth: object, direction: object, colors: object) -> dict[str, str]:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ValueError(
            f"depth must be an int >= 0, got {depth!r}. How to fix: 0 draws nested graphs "
            "as single nodes, 1 opens the outer level, and so on."
        )
    if direction not in DIRECTIONS:
        raise ValueError(
            message(
                f"Unknown direction {direction!r}",
                [
                    f"Valid directions: {', '.join(DIRECTIONS)}",
                    did_you_mean(str(direction), DIRECTIONS),
                ],
                "pass one of them, e.g. direction='LR' for left to right",
            )
        )
    styles = dict(STYLES)
    if colors is not None:
        if not isinstance(colors, Mapping):
            raise TypeError(
                f"colors must be a mapping of class name -> Mermaid style, got "
                f"{type(colors).__name__}. How to fix: e.g. colors={{'function': 'fill:#fff'}}."
            )
        for key, style in colors.items():
            if key not in STYLES:
                raise ValueError(
                    message(
                        f"Unknown color class {key!r}",
                        [f"Valid classes: {', '.join(STYLES)}", did_you_mean(str(key), STYLES)],
                        "use one of them as the key",
                    )
                )
            styles[key] = str(style)
    return styles


def simplified(links: list[Link], items: Mapping[str, Item]) -> list[Link]:
    """Drop data edges ``u -> v`` that a longer path of unconditional data edges implies.

    Control edges, edges on a cycle and edges touching a gate-decided node always stay: for
    those the direct edge says something a longer path does not.
    """
    data: dict[str, list[str]] = {}
    for link in links:
        if link.kind == "data":
            data.setdefault(link.source, []).append(link.target)

    def implied(u: str, v: str) -> bool:
        stack = [w for w in data.get(u, ()) if w != v and not items[w].conditional]
        seen = set(stack)
        while stack:
            w = stack.pop()
            for x in data.get(w, ()):
                if x == v:
                    return True
                if x not in seen and not items[x].conditional:
                    seen.add(x)
                    stack.append(x)
        return False

    return [
        link
        for link in links
        if link.kind != "data"
        or link.cyclic
        or items[link.source].kind == "input"
        or items[link.source].conditional
        or items[link.target].conditional
        or not implied(link.source, link.target)
    ]


def to_mermaid(
    graph: Graph,
    *,
    depth: int = 0,
    show_types: bool = True,
    separate_outputs: bool = False,
    simplify: bool = True,
    direction: str = "TD",
    colors: Mapping[str, str] | None = None,
) -> MermaidDiagram:
    """The text behind ``Graph.to_mermaid()`` (see there)."""
    styles = _check(depth, direction, colors)
    picture = Picture(graph, show_types=show_types)
    expanded = picture.expanded(depth)
    links = picture.view_links(expanded, by_value=separate_outputs)
    if simplify and not separate_outputs:
        links = simplified(links, picture.items)
    out = [f"flowchart {direction}"]
    if graph.shared:
        out.append(f"    %% Shared (several writers, no edge): {', '.join(graph.shared)}")
    classes: dict[str, list[str]] = {name: [] for name in STYLES}
    _inputs(picture, links, out, classes)
    out.append("    %% Nodes")
    children: dict[str | None, list[Item]] = {}
    for item in picture.items.values():
        if item.kind != "input":
            children.setdefault(item.parent, []).append(item)

    def emit(parent: str | None, indent: str) -> None:
        for item in children.get(parent, ()):
            if item.id in expanded:
                title = f"{item.name}, {item.note}" if item.note else item.name
                out.append(f'{indent}subgraph {_id(item.id)} ["{_text(title)}"]')
                emit(item.id, indent + "    ")
                out.append(f"{indent}end")
                continue
            rows = () if separate_outputs else item.lines
            out.append(indent + _shape(item, rows))
            classes[_CLASS_OF[item.kind]].append(_id(item.id))
            if separate_outputs:
                for value, row in zip(item.outputs, item.lines):
                    out.append(f'{indent}{_id(item.id)}__out_{value}[/"{_text(row)}"/]')

    emit(None, "    ")
    out.append("    %% Edges")
    out.extend(_edge(link, picture, separate_outputs) for link in links)
    if separate_outputs:
        for item in picture.items.values():
            shown = picture.visible(item.id, expanded) == item.id and item.id not in expanded
            if item.kind != "input" and shown:
                out.extend(f"    {_id(item.id)} --> {_id(item.id)}__out_{o}" for o in item.outputs)
    out.append("    %% Styling")
    out.extend(f"    classDef {_CLASS_NAME[name]} {style}" for name, style in styles.items())
    out.extend(
        f"    class {','.join(ids)} {_CLASS_NAME[name]}" for name, ids in classes.items() if ids
    )
    return MermaidDiagram("\n".join(out))


def _edge(link: Link, picture: Picture, separate_outputs: bool) -> str:
    u, v = _id(link.source), _id(link.target)
    if link.kind == "control":
        arrow = f"-.->|{link.label}|" if link.label else "-.->"
        return f"    {u} {arrow} {v}"
    if link.kind == "ordering":  # dashed and labelled: order only, no value
        return f"    {u} -.->|{_text(link.label)}| {v}"
    if separate_outputs and picture.items.get(link.source, _INPUT).kind != "input":
        return f"    {u}__out_{link.value(link.source)} --> {v}"
    return f"    {u} --> {v}"


def _inputs(
    picture: Picture, links: list[Link], out: list[str], classes: dict[str, list[str]]
) -> None:
    """Input nodes, one per set of consumers: inputs read by the same nodes share a node."""
    readers: dict[str, tuple[str, ...]] = {}
    for link in links:
        if picture.items[link.source].kind == "input":
            readers[link.source] = (*readers.get(link.source, ()), link.target)
    groups: dict[tuple[str, ...], list[Item]] = {}
    for _, item in picture.inputs:
        groups.setdefault(readers.get(item.id, ()), []).append(item)
    out.append("    %% Inputs")
    renamed: dict[str, str] = {}
    for members in groups.values():
        group_id = "input_" + "_".join(m.name for m in members)
        label = "<br/>".join(_text(m.lines[0]) for m in members)
        out.append(f'    {group_id}(["{label}"])')
        classes["input"].append(group_id)
        for m in members:
            renamed[m.id] = group_id
    # Grouped inputs share one node: rewrite their links, keeping one per (group, reader).
    seen: set[tuple[str, str]] = set()
    kept: list[Link] = []
    for link in links:
        if link.source in renamed:
            key = (renamed[link.source], link.target)
            if key in seen:
                continue
            seen.add(key)
            link = Link(renamed[link.source], link.target, link.kind, link.label, link.cyclic)
        kept.append(link)
    links[:] = kept
