"""``Graph.visualize()``: one offline HTML file, checked in a real headless Chromium.

The browser tests open the written file, let its script lay the graph out, and count the SVG
shapes: one per visible node and one per edge (the numbers below are counted by hand from
``picture_graphs``). Each saves a screenshot next to the file and prints its path. They skip
when no Chromium binary is found; ``.ci/run`` installs Debian's ``chromium`` so CI runs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hypergraph_graph import Graph, GraphView, node
from picture_graphs import GRAPHS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def chromium() -> str:
    found = os.environ.get("HYPERGRAPH_CHROMIUM") or next(
        (path for name in BROWSERS if (path := shutil.which(name))), None
    )
    if found is None:
        if os.environ.get("HYPERGRAPH_REQUIRE_BROWSER") == "1":  # set by .ci/run
            pytest.fail("HYPERGRAPH_REQUIRE_BROWSER=1 but no Chromium binary was found")
        pytest.skip(
            "no Chromium binary found (looked for chromium, chromium-browser, google-chrome, "
            "chrome, $HYPERGRAPH_CHROMIUM); install it with `apt-get install chromium`"
        )
    return found


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--window-size=1000,800",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=45,
        check=True,
    )


# case -> (graph, depth, visible nodes, edges, open nested graphs)
SHAPES = {
    "empty": ("empty", 0, 0, 0, 0),
    "flat": ("flat", 0, 5, 5, 0),
    "gated": ("gated", 0, 8, 11, 0),
    "nested_collapsed": ("nested", 0, 5, 5, 0),
    "nested_expanded": ("nested", 1, 7, 8, 1),
    "cyclic": ("cyclic", 0, 7, 11, 0),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_browser_draws_one_shape_per_node_and_edge(case: str, tmp_path: Path) -> None:
    graph_name, depth, n_nodes, n_edges, n_open = SHAPES[case]
    page = tmp_path / f"{case}.html"
    GRAPHS[graph_name]().visualize(depth=depth, filepath=page)
    dom = browse(page, tmp_path / "profile", "--dump-dom").stdout
    svg = dom[dom.index("<svg") : dom.index("</svg>")]
    assert count_shapes(dom) == (n_nodes, n_edges, n_open)
    assert "NaN" not in svg  # every shape got a position from the layout
    if graph_name in ("gated", "cyclic"):
        assert 'class="hg-node hg-gate"' in svg
        assert 'class="hg-node hg-end"' in svg
        assert 'class="hg-edge hg-control' in svg
        assert re.search(r'<path d="M[^"]+" class="hg-edge hg-control', svg)
    if graph_name == "cyclic":
        assert 'data-source="increment" data-target="increment"' in svg
        assert "hg-cyclic" in svg
    assert ">cleaned: str<" in svg or graph_name in ("cyclic", "empty")  # types are shown
    shot = tmp_path / f"{case}.png"
    browse(page, tmp_path / "profile", f"--screenshot={shot}")
    assert shot.stat().st_size > 1000
    print(f"screenshot: {shot}")


def test_page_is_self_contained_and_small(tmp_path: Path) -> None:
    view = GRAPHS["nested"]().visualize()
    assert isinstance(view, GraphView)
    page = view.html
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "<link" not in page and "sourceMappingURL" not in page
    assert "dagre" in page
    assert len(page.encode()) < 100_000
    cell = view._repr_html_()
    assert cell.startswith("<iframe srcdoc=") and len(cell.encode()) < 1_000_000
    assert repr(view).startswith("<GraphView ")


def test_a_hundred_node_graph_stays_well_under_a_megabyte() -> None:
    def make(i: int) -> object:
        def step(x: int) -> int:
            return x

        return node(step, output_name=f"v{i}").with_inputs(x=f"v{i - 1}").with_name(f"step{i}")

    graph = Graph([make(i) for i in range(1, 101)], name="chain")
    cell = graph.visualize()._repr_html_()
    assert len(cell.encode()) < 300_000


def test_filepath_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "view.html"
    view = GRAPHS["flat"]().visualize(filepath=str(target))
    assert target.read_text(encoding="utf-8") == view.html
    assert view.save(tmp_path / "again.html").read_text(encoding="utf-8") == view.html


def test_bad_depth_is_refused() -> None:
    with pytest.raises(ValueError, match="depth must be an int >= 0"):
        GRAPHS["flat"]().visualize(depth=-1)


def count_shapes(dom: str) -> tuple[int, int, int]:
    svg = dom[dom.index("<svg") : dom.index("</svg>")]
    return (
        len(re.findall(r'<g [^>]*class="hg-node ', svg)),
        len(re.findall(r'<path [^>]*class="hg-edge ', svg)),
        len(re.findall(r'<g [^>]*class="hg-cluster"', svg)),
    )


@pytest.mark.parametrize(
    ("clicks", "shapes"),
    [
        pytest.param("document.querySelector('[data-id=summarize]')", (7, 8, 1), id="open-node"),
        pytest.param(
            "document.querySelector('[data-id=summarize]'); "
            "document.querySelector('.hg-cluster-title')",
            (5, 5, 0),
            id="open-then-close",
        ),
        pytest.param("document.getElementById('hg-open-all')", (7, 8, 1), id="open-all"),
    ],
)
def test_clicks_open_and_close_nested_graphs(
    clicks: str, shapes: tuple[int, int, int], tmp_path: Path
) -> None:
    page = tmp_path / "nested.html"
    html = GRAPHS["nested"]().visualize().html
    # Each expression is evaluated after the previous click re-drew the picture.
    script = "".join(
        f"({expr}).dispatchEvent(new MouseEvent('click'));" for expr in clicks.split("; ")
    )
    page.write_text(html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    assert count_shapes(browse(page, tmp_path / "profile", "--dump-dom").stdout) == shapes
