"""``Graph.visualize()``: one self-contained, offline HTML file that draws the graph.

Why this renderer: the file must work without a network and stay small enough for a notebook
cell, so everything it needs is inlined. Mermaid's own bundle is about 3.5 MB; instead the page
carries dagre (``_static/dagre.min.js``, @dagrejs/dagre 3.1.3, MIT, license next to it: 49 KB),
a Sugiyama-style layered layout with nested clusters, and ``_static/view.js`` (about 8 KB),
which draws the SVG. A small graph's page is about 61 KB (70 KB as a notebook cell), 100
nodes about 112 KB, 1,000 nodes about 510 KB: well under 1 MB for what fits on a screen. The
layout runs in the browser because nested graphs open and close on click: the page embeds the
fully expanded picture (``_picture.Picture``) and re-lays it out for each state, no server.
The vendored ``dagre.min.js`` is the npm file unchanged; its source-map comment is dropped
when the page is built.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._mermaid import _check
from ._picture import Picture

if TYPE_CHECKING:
    from ._graph import Graph

__all__ = ["GraphView", "render_html"]

_RANKDIR = {"TD": "TB", "TB": "TB", "BT": "BT", "LR": "LR", "RL": "RL"}

_CSS = """
body { margin: 0; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #fff; color: #10223f; }
header { display: flex; gap: 8px; align-items: center; padding: 6px 10px;
  border-bottom: 1px solid #dde3ee; }
header h1 { font-size: 13px; margin: 0 12px 0 0; }
header button { font: inherit; padding: 2px 8px; cursor: pointer; white-space: nowrap; }
.legend { margin-left: auto; color: #555; }
#hg-canvas { overflow: auto; padding: 8px; }
text { font: inherit; text-anchor: middle; fill: #10223f; }
.hg-name { font-weight: bold; }
.hg-note, .hg-edge-label { font-style: italic; fill: #555; }
.hg-shape { stroke-width: 1.4; }
.hg-function .hg-shape { fill: #e8f0fe; stroke: #3b5b92; }
.hg-graph { cursor: pointer; }
.hg-graph .hg-shape { fill: #e8f0fe; stroke: #3b5b92; }
.hg-inner { fill: none; stroke: #3b5b92; stroke-width: 0.8; }
.hg-gate .hg-shape { fill: #fff3d6; stroke: #b7791f; }
.hg-input .hg-shape { fill: #e6f4ea; stroke: #2f7d43; }
.hg-end .hg-shape { fill: #eeeeee; stroke: #666; }
.hg-conditional .hg-shape { stroke-dasharray: 5 3; }
.hg-rule { stroke: #9aa9c4; }
.hg-cluster rect { fill: #f7f9fc; stroke: #9aa9c4; stroke-dasharray: 4 3; }
.hg-cluster-title { text-anchor: start; font-weight: bold; cursor: pointer; }
.hg-edge { fill: none; stroke: #4a5a78; stroke-width: 1.3; }
.hg-control { stroke: #b7791f; stroke-dasharray: 5 4; }
.hg-cyclic { stroke: #b03a48; }
.hg-arrow-data { fill: #4a5a78; }
.hg-arrow-control { fill: #b7791f; }
.hg-ordering { stroke: #6b7a99; stroke-dasharray: 2 3; }
.hg-arrow-ordering { fill: #6b7a99; }
"""


def _asset(name: str) -> str:
    # Imported here: importlib.resources brings tempfile, shutil and the compressors with it,
    # ~6 ms of every `import hypergraph` for a feature most runs never use.
    from importlib import resources

    return resources.files("hypergraph_graph").joinpath("_static", name).read_text("utf-8")


def _script(source: str) -> str:
    # Inline scripts end at the first "</script": keep it out of the embedded text.
    return source.replace("</script", "<\\/script")


def render_html(
    graph: Graph, *, depth: int = 0, show_types: bool = True, direction: str = "TD"
) -> str:
    """The page behind ``Graph.visualize()``: HTML, CSS, the picture as JSON and the scripts."""
    _check(depth, direction, None)
    picture = Picture(graph, show_types=show_types)
    data: dict[str, Any] = {
        "depth": depth,
        "direction": _RANKDIR[direction],
        "items": [
            {
                "id": i.id,
                "name": i.name,
                "kind": i.kind,
                "parent": i.parent,
                "level": i.level,
                "lines": list(i.lines),
                "note": i.note if i.kind != "input" else "",
                "conditional": i.conditional,
            }
            for i in picture.items.values()
        ],
        "links": [
            {
                "source": link.source,
                "target": link.target,
                "kind": link.kind,
                "label": link.label,
                "cyclic": link.cyclic,
            }
            for link in picture.links
        ],
    }
    title = html.escape(graph.name or "graph")
    dagre = _asset("dagre.min.js").replace("//# sourceMappingURL=dagre.min.js.map", "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>{title}</h1>
<button id="hg-open-all" type="button">open all</button>
<button id="hg-close-all" type="button">close all</button>
<span class="legend">click a double-framed node to open it, a frame's title to close it;
dashed orange: gate decision, red: cycle</span></header>
<div id="hg-canvas"></div>
<script type="application/json" id="hg-data">{_script(json.dumps(data, sort_keys=True))}</script>
<script>{_script(dagre)}</script>
<script>{_script(_asset("view.js"))}</script>
</body></html>
"""


class GraphView:
    """What ``Graph.visualize()`` returns: the page as ``.html``; notebooks display it inline.

    ``save(path)`` writes the file; open it in any browser, no network needed.
    """

    __slots__ = ("html",)

    def __init__(
        self, graph: Graph, *, depth: int = 0, show_types: bool = True, direction: str = "TD"
    ) -> None:
        self.html = render_html(graph, depth=depth, show_types=show_types, direction=direction)

    def save(self, filepath: str | Path) -> Path:
        """Write the page to ``filepath`` (UTF-8) and return the path."""
        path = Path(filepath)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and styles apart from the notebook's.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            'style="width:100%;height:560px;border:1px solid #dde3ee" '
            'sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<GraphView {len(self.html)} bytes of HTML; .save(path) writes it>"
