"""Static analysis without runners: Graph.describe() and ``python -m hypergraph_graph describe``."""

import os
import subprocess
import sys
import textwrap

import pytest

from hypergraph_graph import Graph, node


@node(output_name="count")
def step(count, limit=3):
    return count


@node(output_name="report")
async def report(count, title):
    return title


@node(output_name="items")
def items(title, extra):
    yield title


@node(output_name="r")
def inner(a):
    return a


def demo_graph() -> Graph:
    mapped = Graph([inner], name="sub").as_node().map_over("a")
    return Graph([step, report, items, mapped], name="demo").bind(extra=1)


def lines_of(graph: Graph) -> list[str]:
    text = graph.describe()
    assert isinstance(text, str)
    return text.splitlines()


def test_header_names_the_graph_and_its_hash() -> None:
    graph = demo_graph()
    lines = lines_of(graph)
    assert lines[0] == "Graph 'demo'"
    assert f"  definition hash: {graph.definition_hash}" in lines
    assert lines_of(Graph([]))[0] == "Graph (unnamed)"


def test_inputs_by_kind() -> None:
    lines = lines_of(demo_graph())
    assert "  required: title, a" in lines
    assert "  optional: limit, extra (bound)" in lines
    assert "  seeds:    count" in lines


def test_outputs_and_leaf_outputs() -> None:
    lines = lines_of(demo_graph())
    assert "Outputs: count, report, items, r" in lines
    assert "  leaf outputs: report, items, r" in lines


def test_nodes_with_kind_ports_and_flags() -> None:
    lines = lines_of(demo_graph())
    assert "Nodes (4):" in lines
    assert "  step: FunctionNode(count, limit) -> count [cyclic]" in lines
    assert "  report: FunctionNode(count, title) -> report [async]" in lines
    assert "  items: FunctionNode(title, extra) -> items [generator]" in lines
    assert "  sub: GraphNode(a) -> r [map_over=a (zip)]" in lines


def test_node_without_outputs() -> None:
    @node
    def sink(x):
        return None

    assert "  sink: FunctionNode(x) -> -" in lines_of(Graph([sink]))


def test_edges_including_self_edges() -> None:
    lines = lines_of(demo_graph())
    start = lines.index("Edges (2):")
    assert lines[start + 1 : start + 3] == ["  step -> step (count)", "  step -> report (count)"]


def test_cycles_are_grouped_by_component() -> None:
    @node(output_name="a")
    def node_a(c):
        return c

    @node(output_name="b")
    def node_b(a):
        return a

    @node(output_name="c")
    def node_c(b):
        return b

    @node(output_name="z")
    def after(c):
        return c

    lines = lines_of(Graph([node_a, node_b, node_c, after, step]))
    assert "Cycles: node_a, node_b, node_c; step" in lines
    assert "Cycles: none" in lines_of(Graph([inner]))


def test_empty_graph_report() -> None:
    lines = lines_of(Graph([]))
    assert "  required: -" in lines
    assert "  optional: -" in lines
    assert "  seeds:    -" in lines
    assert "Outputs: -" in lines
    assert "Nodes (0):" in lines
    assert "Edges (0):" in lines
    assert "Cycles: none" in lines


# --- the command line ---------------------------------------------------------------------

MODULE = textwrap.dedent(
    """
    from hypergraph_graph import Graph, node

    @node(output_name="y")
    def double(x):
        return 2 * x

    @node(output_name="z")
    def inc(y, step=1):
        return y + step

    graph = Graph([double, inc], name="cli_demo")
    not_a_graph = 42

    class Holder:
        nested = graph
    """
)


@pytest.fixture
def cli_dir(tmp_path):
    (tmp_path / "cli_flows.py").write_text(MODULE)
    return tmp_path


def run_cli(cwd, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "hypergraph_graph", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_describes_a_graph(cli_dir) -> None:
    done = run_cli(cli_dir, "describe", "cli_flows:graph")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "Graph 'cli_demo'"
    assert "  required: x" in out
    assert "  optional: step" in out
    assert "Outputs: y, z" in out
    assert "  double -> inc (y)" in out
    assert done.stderr == ""


def test_cli_output_matches_describe(cli_dir, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(cli_dir))
    import importlib

    module = importlib.import_module("cli_flows")
    try:
        done = run_cli(cli_dir, "describe", "cli_flows:graph")
        assert done.stdout == module.graph.describe() + "\n"
    finally:
        sys.modules.pop("cli_flows", None)


def test_cli_dotted_attribute(cli_dir) -> None:
    done = run_cli(cli_dir, "describe", "cli_flows:Holder.nested")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Graph 'cli_demo'")


@pytest.mark.parametrize(
    ("target", "fragments"),
    [
        pytest.param("cli_flows", ["Bad target", "'cli_flows'", "module:attribute"], id="no-colon"),
        pytest.param(":graph", ["Bad target"], id="no-module"),
        pytest.param("cli_flows:", ["Bad target"], id="no-attribute"),
        pytest.param(
            "no_such_module_xyz:graph", ["Cannot import", "no_such_module_xyz"], id="module"
        ),
        pytest.param("cli_flows:missing", ["has no attribute", "'missing'"], id="attribute"),
        pytest.param("cli_flows:not_a_graph", ["int", "not a Graph"], id="not-a-graph"),
    ],
)
def test_cli_bad_target(cli_dir, target, fragments) -> None:
    done = run_cli(cli_dir, "describe", target)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_usage_errors_exit_2(cli_dir) -> None:
    for args in ([], ["unknown-command"], ["describe"]):
        done = run_cli(cli_dir, *args)
        assert done.returncode == 2
        assert "usage:" in done.stderr


# --- gates and control edges ---------------------------------------------------------------


def gated_loop() -> Graph:
    from hypergraph_graph import END, route

    @route(targets=["increment", END])
    def check(count):
        return END

    @node(output_name="count")
    def increment(count):
        return count + 1

    return Graph([check, increment], name="loop")


def test_gate_first_loop_is_one_cycle() -> None:
    lines = lines_of(gated_loop())
    assert "Cycles: check, increment" in lines
    assert "  check: RouteNode(count) -> - [cyclic]" in lines


def test_control_edges_list_every_gate_target() -> None:
    from hypergraph_graph import END, ifelse, route

    @ifelse(when_true="inc", when_false=END)
    def small(y):
        return y < 3

    @route(targets=["inc", "dec"], fallback="dec")
    def pick(y):
        return None

    @route(targets=["inc", "dec"], multi_target=True)
    def both(y):
        return []

    @node(output_name="a")
    def inc(y):
        return y

    @node(output_name="b")
    def dec(y):
        return y

    lines = lines_of(Graph([small, pick, both, inc, dec]))
    start = lines.index("Control edges (6):")
    assert lines[start + 1 : start + 7] == [
        "  small -> inc (True)",
        "  small -> END (False)",
        "  pick -> inc",
        "  pick -> dec (fallback)",
        "  both -> inc",
        "  both -> dec",
    ]
    assert "  both: RouteNode(y) -> - [multi_target]" in lines


def test_no_control_edge_section_without_gates() -> None:
    assert not any(line.startswith("Control edges") for line in lines_of(demo_graph()))


# --- drawing from the command line ----------------------------------------------------------

NESTED_MODULE = MODULE + textwrap.dedent(
    """
    again = double.with_name("again").with_inputs(x="z").with_outputs(y="w")
    outer = Graph([graph.as_node(), again], name="outer")
    """
)


def test_cli_mermaid_prints_to_mermaid(cli_dir, monkeypatch) -> None:
    (cli_dir / "cli_flows.py").write_text(NESTED_MODULE)
    monkeypatch.syspath_prepend(str(cli_dir))
    import importlib

    module = importlib.import_module("cli_flows")
    try:
        for extra, depth in (([], 0), (["--depth", "1"], 1)):
            done = run_cli(cli_dir, "describe", "cli_flows:outer", "--mermaid", *extra)
            assert done.returncode == 0, done.stderr
            assert done.stdout == str(module.outer.to_mermaid(depth=depth)) + "\n"
        assert "subgraph cli_demo" in done.stdout
    finally:
        sys.modules.pop("cli_flows", None)


def test_cli_html_writes_the_page(cli_dir) -> None:
    target = cli_dir / "out" / "graph.html"
    target.parent.mkdir()
    done = run_cli(cli_dir, "describe", "cli_flows:graph", "--html", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {target}\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '"name": "double"' in page


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        pytest.param(["--mermaid", "--html", "x.html"], "not allowed with", id="both"),
        pytest.param(["--mermaid", "--depth", "-1"], "--depth must be 0 or more", id="depth"),
        pytest.param(["--html", "no_dir/x.html"], "error: cannot write", id="unwritable"),
    ],
)
def test_cli_drawing_errors_exit_2(cli_dir, args, fragment) -> None:
    done = run_cli(cli_dir, "describe", "cli_flows:graph", *args)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
