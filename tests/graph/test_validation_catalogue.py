"""The construction-time validation catalogue (SPEC §6.1-§6.4): one row per catalogue entry,
plus how several problems are reported together."""

import functools

import pytest

from hypergraph_graph import FunctionNode, Graph, GraphNode, node
from hypergraph_types import GraphConfigError, RenameError, RunnerCapabilities


class StartsWith(str):
    """A fragment the message must start with, not merely contain."""


class FakeRunner:
    capabilities = RunnerCapabilities()


# --- small building blocks ----------------------------------------------------------------


def ident(x):
    return x


def xy(x, y):
    return x


def returns_int() -> int:
    return 1


async def make_coroutine():
    return 1


def make_generator():
    yield 1


def alpha_beta(alpha, beta):
    return alpha


def with_k(k=1):
    return k


def with_k_other(k=2):
    return k


def with_k_str(k="left"):
    return k


def with_k_str_other(k="right"):
    return k


def k_without_default(k):
    return k


def produce_int(a) -> int:
    return a


def consume_str(v: str) -> str:
    return v


def untyped_consumer(v):
    return v


XY = FunctionNode(xy, output_name="r")
DUP_1 = FunctionNode(ident, name="f", output_name="a")
DUP_2 = FunctionNode(xy, name="f", output_name="b")


def inner_graph_node(name: str = "inner", *, prefix: str = "in"):
    @node(output_name=f"{prefix}_out")
    def body(x):
        return x

    return Graph([body.with_inputs(x=f"{prefix}_x")], name=name).as_node()


def graph_node_inputs_alpha_beta():
    return Graph([FunctionNode(alpha_beta, output_name="r")], name="g").as_node()


def defaulted_graph_node(value):
    """A GraphNode whose input ``k`` has a default through a binding."""
    return Graph([FunctionNode(k_without_default, output_name="inner_r")], name="gk").bind(k=value)


# --- the table ----------------------------------------------------------------------------

CATALOGUE = [
    # §6.2 Node construction and renames
    pytest.param(lambda: node(42), TypeError, ["expected a callable", "int"], id="6.2-source-int"),
    pytest.param(
        lambda: FunctionNode("text"), TypeError, ["expected a callable", "str"], id="6.2-source-str"
    ),
    pytest.param(
        lambda: FunctionNode(None),
        TypeError,
        ["expected a callable", "NoneType"],
        id="6.2-source-none",
    ),
    pytest.param(
        lambda: node(make_coroutine()),
        TypeError,
        ["result of calling", "coroutine", "pass the function itself"],
        id="6.2-coroutine-object",
    ),
    pytest.param(
        lambda: node(make_generator()),
        TypeError,
        ["result of calling", "generator", "pass the function itself"],
        id="6.2-generator-object",
    ),
    pytest.param(lambda: FunctionNode(dict), TypeError, ["dict", "def"], id="6.2-no-signature"),
    pytest.param(
        lambda: FunctionNode(functools.partial(xy, 1)), TypeError, ["name="], id="6.2-no-name"
    ),
    pytest.param(
        lambda: FunctionNode(ident, name=3), TypeError, ["name", "int"], id="6.2-name-not-str"
    ),
    pytest.param(
        lambda: FunctionNode(ident, output_name=3),
        TypeError,
        ["output_name", "int"],
        id="6.2-output-name-int",
    ),
    pytest.param(
        lambda: FunctionNode(ident, output_name=("a", 2)),
        TypeError,
        ["output_name", "tuple"],
        id="6.2-output-name-tuple-of-non-str",
    ),
    pytest.param(
        lambda: FunctionNode(ident, cache="yes"),
        TypeError,
        ["cache", "str"],
        id="6.2-cache-not-bool",
    ),
    pytest.param(
        lambda: FunctionNode(ident, output_name=("a", "b", "a")),
        GraphConfigError,
        ["'a'", "ident"],
        id="6.2-repeated-output-name",
    ),
    pytest.param(
        lambda: node(xy, rename_inputs={"z": "q"}),
        RenameError,
        ["Cannot rename unknown inputs: 'z'. Valid inputs: 'x', 'y'."],
        id="6.2-unknown-rename-inputs",
    ),
    pytest.param(
        lambda: FunctionNode(returns_int),
        UserWarning,
        ["has return type", "output_name", "returns_int"],
        id="6.2-return-annotation-warning",
    ),
    pytest.param(
        lambda: XY.with_inputs(k="z"),
        RenameError,
        ["'k' not found", "Current inputs: ('x', 'y')"],
        id="6.2-with-inputs-never-existed",
    ),
    pytest.param(
        lambda: XY.with_outputs(k="z"),
        RenameError,
        ["'k' not found", "Current outputs: ('r',)"],
        id="6.2-with-outputs-never-existed",
    ),
    pytest.param(
        lambda: XY.with_inputs(x="a").with_inputs(a="b").with_inputs(x="c"),
        RenameError,
        ["'x' was renamed: x→a→b", "Current inputs: ('b', 'y')"],
        id="6.2-renamed-earlier",
    ),
    pytest.param(
        lambda: XY.with_inputs(x="y"), RenameError, ["'y'", "'xy'"], id="6.2-rename-duplicates"
    ),
    pytest.param(
        lambda: FunctionNode(xy, output_name=("p", "q")).with_outputs(p="q"),
        RenameError,
        ["'q'", "'xy'"],
        id="6.2-rename-duplicates-outputs",
    ),
    # §6.3 GraphNode configuration and bind
    pytest.param(
        lambda: Graph([XY]).as_node(),
        GraphConfigError,
        [StartsWith("GraphNode requires a name"), "as_node(name="],
        id="6.3-as-node-without-name",
    ),
    pytest.param(
        lambda: Graph([XY]).as_node(name="a.b"),
        GraphConfigError,
        ["'.'", "Reserved characters"],
        id="6.3-graph-node-name-dot",
    ),
    pytest.param(
        lambda: Graph([XY]).as_node(name="a/b"),
        GraphConfigError,
        ["'/'", "Reserved characters"],
        id="6.3-graph-node-name-slash",
    ),
    pytest.param(
        lambda: Graph([XY]).as_node(name="g", runner=42),
        TypeError,
        ["int"],
        id="6.3-runner-not-a-runner",
    ),
    pytest.param(
        lambda: Graph([XY], name="g").as_node().with_runner("runner"),
        TypeError,
        ["str"],
        id="6.3-with-runner-not-a-runner",
    ),
    pytest.param(
        lambda: graph_node_inputs_alpha_beta().map_over(),
        GraphConfigError,
        ["at least one parameter"],
        id="6.3-map-over-nothing",
    ),
    pytest.param(
        lambda: graph_node_inputs_alpha_beta().map_over("alpah"),
        GraphConfigError,
        ["is not an input", "'alpha', 'beta'", "Did you mean 'alpha'?"],
        id="6.3-map-over-not-an-input",
    ),
    pytest.param(
        lambda: graph_node_inputs_alpha_beta().map_over("alpha", "alpha"),
        GraphConfigError,
        ["listed twice", "'alpha'"],
        id="6.3-map-over-repeated",
    ),
    pytest.param(
        lambda: graph_node_inputs_alpha_beta().map_over("alpha", mode="zipped"),
        GraphConfigError,
        ["Unknown map mode", "'zip'", "'product'"],
        id="6.3-map-over-bad-mode",
    ),
    pytest.param(
        lambda: Graph(
            [FunctionNode(ident, output_name="y"), FunctionNode(xy, output_name="r")]
        ).bind(y=1),
        GraphConfigError,
        ["Cannot bind 'y': output of node 'ident'"],
        id="6.3-bind-output",
    ),
    pytest.param(
        lambda: Graph([FunctionNode(alpha_beta, output_name="r")]).bind(alpah=1),
        GraphConfigError,
        [
            "Cannot bind 'alpah': not a graph input. Valid inputs: ('alpha', 'beta')",
            "Did you mean 'alpha'?",
        ],
        id="6.3-bind-non-input",
    ),
    # §6.4 Graph construction
    pytest.param(
        lambda: Graph([XY, ident]),
        TypeError,
        ["item #1", "function", "@node"],
        id="6.4-1-not-a-node",
    ),
    pytest.param(
        lambda: Graph([ident, XY, 3]),
        TypeError,
        ["item #0", "item #2", "function", "int", "@node"],
        id="6.4-1-every-offending-item",
    ),
    pytest.param(
        lambda: Graph([DUP_1, DUP_2]),
        GraphConfigError,
        ["Duplicate node name: 'f'", repr(DUP_1), repr(DUP_2), "How to fix"],
        id="6.4-2-duplicate-node-name",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(ident, name="p1", output_name="y"),
                FunctionNode(xy, name="p2", output_name="y"),
            ]
        ),
        GraphConfigError,
        ["Multiple nodes produce 'y'", "'p1'", "'p2'", "How to fix"],
        id="6.4-3-multiple-producers",
    ),
    pytest.param(
        lambda: Graph([XY], name="a.b"),
        GraphConfigError,
        ["Invalid graph name", "a.b", "cannot contain '.'"],
        id="6.4-4-graph-name-dot",
    ),
    pytest.param(
        lambda: Graph([XY], name="a/b"),
        GraphConfigError,
        ["Invalid graph name", "a/b", "cannot contain '/'"],
        id="6.4-4-graph-name-slash",
    ),
    pytest.param(
        lambda: Graph([XY.with_name("END")]),
        GraphConfigError,
        ["reserved", "'END'"],
        id="6.4-5-end-function-node",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node("END")]),
        GraphConfigError,
        ["reserved", "'END'"],
        id="6.4-5-end-graph-node",
    ),
    pytest.param(
        lambda: Graph([FunctionNode(lambda v: v, output_name="r")]),
        GraphConfigError,
        ["Invalid node name", "<lambda>", "valid Python identifiers"],
        id="6.4-6-lambda",
    ),
    pytest.param(
        lambda: Graph([XY.with_name("")]),
        GraphConfigError,
        ["Invalid node name", "''", "valid Python identifiers"],
        id="6.4-6-empty",
    ),
    pytest.param(
        lambda: Graph([XY.with_name("1abc")]),
        GraphConfigError,
        ["Invalid node name", "'1abc'", "valid Python identifiers"],
        id="6.4-6-not-identifier",
    ),
    pytest.param(
        lambda: Graph([XY.with_name("class")]),
        GraphConfigError,
        ["Invalid node name", "'class'", "keyword"],
        id="6.4-6-keyword",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node().with_name("a.b")]),
        GraphConfigError,
        ["Invalid node name", "a.b", "Reserved characters"],
        id="6.4-7-graph-node-dot",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node().with_name("a/b")]),
        GraphConfigError,
        ["Invalid node name", "a/b", "Reserved characters"],
        id="6.4-7-graph-node-slash",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node().with_name("")]),
        GraphConfigError,
        ["Invalid node name", "''", "Reserved characters"],
        id="6.4-7-graph-node-empty",
    ),
    pytest.param(
        lambda: Graph([XY.with_outputs(r="not valid")]),
        GraphConfigError,
        ["Invalid output name", "'not valid'", "'xy'", "valid Python identifiers"],
        id="6.4-8-output-not-identifier",
    ),
    pytest.param(
        lambda: Graph([FunctionNode(ident, output_name="1x")]),
        GraphConfigError,
        ["Invalid output name", "'1x'", "'ident'", "valid Python identifiers"],
        id="6.4-8-output-name-argument",
    ),
    pytest.param(
        lambda: Graph([XY.with_outputs(r="for")]),
        GraphConfigError,
        ["Invalid output name", "'for'", "'xy'", "keyword"],
        id="6.4-8-output-keyword",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node().with_outputs(in_out="bad-out")]),
        GraphConfigError,
        ["Invalid output name", "'bad-out'", "'inner'"],
        id="6.4-8-graph-node-output",
    ),
    pytest.param(
        lambda: Graph([XY.with_inputs(x="x-y")]),
        GraphConfigError,
        ["Invalid input name", "'x-y'", "'xy'"],
        id="6.4-9-input-not-identifier",
    ),
    pytest.param(
        lambda: Graph([XY.with_inputs(y="def")]),
        GraphConfigError,
        ["Invalid input name", "'def'", "'xy'"],
        id="6.4-9-input-keyword",
    ),
    pytest.param(
        lambda: Graph([inner_graph_node().with_inputs(in_x="in.x")]),
        GraphConfigError,
        ["Invalid input name", "'in.x'", "'inner'"],
        id="6.4-9-graph-node-input",
    ),
    pytest.param(
        lambda: Graph([FunctionNode(ident, name="p", output_name="inner"), inner_graph_node()]),
        GraphConfigError,
        ["collides with output", "'inner'", "'p'"],
        id="6.4-10-graph-node-name-is-an-output",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(ident, name="c", output_name="r").with_inputs(x="inner"),
                inner_graph_node(),
            ]
        ),
        GraphConfigError,
        ["collides with input", "'inner'"],
        id="6.4-11-graph-node-name-is-an-input",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(with_k, name="d1", output_name="o1"),
                FunctionNode(k_without_default, name="d2", output_name="o2"),
            ]
        ),
        GraphConfigError,
        [
            "Inconsistent defaults for 'k'",
            "with default",
            "without default",
            "'d1'",
            "'d2'",
            "bind",
        ],
        id="6.4-12-default-missing-in-some",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(with_k_str, name="d1", output_name="o1"),
                FunctionNode(with_k_str_other, name="d2", output_name="o2"),
            ]
        ),
        GraphConfigError,
        ["Inconsistent defaults for 'k'", "'left'", "'right'", "'d1'", "'d2'", "bind"],
        id="6.4-12-different-defaults",
    ),
    pytest.param(
        lambda: Graph(
            [
                defaulted_graph_node("inner_value").as_node(),
                FunctionNode(with_k_str, name="d2", output_name="o2"),
            ]
        ),
        GraphConfigError,
        ["Inconsistent defaults for 'k'", "'inner_value'", "'left'", "'gk'", "'d2'", "bind"],
        id="6.4-12-graph-node-different-default",
    ),
    pytest.param(
        lambda: Graph(
            [
                defaulted_graph_node("inner_value").as_node(),
                FunctionNode(k_without_default, name="d2", output_name="o2"),
            ]
        ),
        GraphConfigError,
        ["Inconsistent defaults for 'k'", "with default", "without default", "'gk'", "'d2'"],
        id="6.4-12-graph-node-default-missing",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(produce_int, name="p", output_name="v"),
                FunctionNode(untyped_consumer, name="c", output_name="r"),
            ],
            strict_types=True,
        ),
        GraphConfigError,
        ["Missing type annotation", "'p'", "'c'", "'v'", "How to fix"],
        id="6.4-13-missing-annotation",
    ),
    pytest.param(
        lambda: Graph(
            [
                FunctionNode(produce_int, name="p", output_name="v"),
                FunctionNode(consume_str, name="c", output_name="r"),
            ],
            strict_types=True,
        ),
        GraphConfigError,
        ["Type mismatch", "'p'", "'c'", "'v'", "int", "str", "How to fix"],
        id="6.4-14-type-mismatch",
    ),
]


def _raise_or_warn(build, expected) -> str:
    if issubclass(expected, Warning):
        with pytest.warns(expected) as record:
            build()
        assert len(record) == 1
        return str(record[0].message)
    with pytest.raises(expected) as info:
        build()
    assert type(info.value) is expected
    return str(info.value)


@pytest.mark.parametrize(("build", "expected", "fragments"), CATALOGUE)
def test_catalogue(build, expected, fragments) -> None:
    text = _raise_or_warn(build, expected)
    for fragment in fragments:
        if isinstance(fragment, StartsWith):
            assert text.startswith(fragment), text
        else:
            assert fragment in text, f"{fragment!r} not in:\n{text}"


ERROR_ROWS = [
    pytest.param(*row.values, id=row.id)
    for row in CATALOGUE
    if issubclass(row.values[1], Exception)
]


@pytest.mark.parametrize(("build", "expected", "fragments"), ERROR_ROWS)
def test_catalogue_errors_have_a_how_to_fix_section(build, expected, fragments) -> None:
    """§6.1: every error message has a what-part first and a final ``How to fix:`` section."""
    text = _raise_or_warn(build, expected)
    assert "How to fix:" in text, text
    assert not text.startswith("How to fix:"), text


def test_a_coroutine_object_is_closed_before_raising() -> None:
    coroutine = make_coroutine()
    with pytest.raises(TypeError):
        node(coroutine)
    assert coroutine.cr_frame is None  # closed: nothing warns "never awaited" later


def test_check_1_raises_before_any_other_check() -> None:
    with pytest.raises(TypeError, match="item #2"):
        Graph([DUP_1, DUP_2, ident], name="bad.name")


def test_check_1_rejects_a_non_iterable() -> None:
    with pytest.raises(TypeError):
        Graph(XY)  # type: ignore[arg-type]


# --- several problems at once -------------------------------------------------------------


def _blocks(text: str) -> list[str]:
    _header, *blocks = text.split("\n\n")
    return blocks


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph([DUP_1, DUP_2, XY.with_name("END"), FunctionNode(lambda v: v)], name="a.b")
    text = str(info.value)
    assert text.startswith("4 problems found")
    blocks = _blocks(text)
    assert len(blocks) == 4
    assert "Duplicate node name: 'f'" in blocks[0]
    assert "Invalid graph name" in blocks[1]
    assert "reserved" in blocks[2]
    assert "<lambda>" in blocks[3]


def test_one_problem_has_no_count_header() -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph([DUP_1, DUP_2])
    assert "problems found" not in str(info.value)
    assert str(info.value).startswith("Duplicate node name: 'f'")


def _every_check_graph_nodes() -> list:
    """Nodes that trigger each of checks 2-12 once, listed in reverse check order."""

    @node(output_name="o_h1")
    def h1(k=1):
        return k

    @node(output_name="o_h2")
    def h2(k=2):
        return k

    gin = inner_graph_node("gin", prefix="gin")
    cin = FunctionNode(ident, name="cin", output_name="o_cin").with_inputs(x="gin")
    gcol = inner_graph_node("gcol", prefix="gcol")
    pcol = FunctionNode(ident, name="pcol", output_name="gcol").with_inputs(x="pcol_x")
    bad_in = FunctionNode(ident, name="n9", output_name="o9").with_inputs(x="bad in")
    bad_out = FunctionNode(ident, name="n8", output_name="o8").with_outputs(o8="bad out")
    bad_graph_node = inner_graph_node("g7", prefix="g7").with_name("g/7")
    lam = FunctionNode(lambda lam_x: lam_x, output_name="o_lambda")
    end = FunctionNode(ident, name="END", output_name="o_end").with_inputs(x="end_x")
    p1 = FunctionNode(ident, name="p1", output_name="shared").with_inputs(x="p_x")
    p2 = FunctionNode(ident, name="p2", output_name="shared").with_inputs(x="p_x")
    d1 = FunctionNode(ident, name="dup", output_name="o_d1").with_inputs(x="d_x")
    d2 = FunctionNode(ident, name="dup", output_name="o_d2").with_inputs(x="d_x")
    return [h1, h2, gin, cin, gcol, pcol, bad_in, bad_out, bad_graph_node, lam, end, p1, p2, d1, d2]


EXPECTED_CHECK_ORDER = [
    "Duplicate node name: 'dup'",  # 2
    "Multiple nodes produce 'shared'",  # 3
    "Invalid graph name",  # 4
    "reserved",  # 5
    "<lambda>",  # 6
    "g/7",  # 7
    "Invalid output name 'bad out'",  # 8
    "Invalid input name 'bad in'",  # 9
    "collides with output",  # 10
    "collides with input",  # 11
    "Inconsistent defaults for 'k'",  # 12
]


def test_problems_are_reported_in_check_order() -> None:
    with pytest.raises(GraphConfigError) as info:
        Graph(_every_check_graph_nodes(), name="bad.name")
    text = str(info.value)
    assert text.startswith(f"{len(EXPECTED_CHECK_ORDER)} problems found")
    blocks = _blocks(text)
    assert len(blocks) == len(EXPECTED_CHECK_ORDER), text
    for block, fragment in zip(blocks, EXPECTED_CHECK_ORDER):
        assert fragment in block, f"{fragment!r} not in block:\n{block}"


def test_an_object_listed_twice_is_reported_by_check_2_only() -> None:
    producer = FunctionNode(ident, output_name="y")
    with pytest.raises(GraphConfigError) as info:
        Graph([producer, producer])
    text = str(info.value)
    assert "problems found" not in text
    assert "Duplicate node name: 'ident'" in text
    assert "Multiple nodes produce" not in text


@pytest.mark.parametrize("soft", ["match", "type", "case", "_"])
def test_soft_keywords_are_valid_names(soft) -> None:
    renamed = FunctionNode(xy, output_name="r").with_name(soft)
    graph = Graph([renamed.with_inputs(x=soft).with_outputs(r=f"{soft}_out")])
    assert soft in graph.nodes
    assert graph.inputs.required == (soft, "y")
    as_output = Graph([FunctionNode(xy, output_name=soft)])
    assert as_output.outputs == (soft,)


def test_soft_keyword_parameter_names() -> None:
    def soft(match, type, case, _):
        return match

    graph = Graph([FunctionNode(soft, output_name="case_")])
    assert graph.inputs.required == ("match", "type", "case", "_")


def test_strict_types_runs_only_when_checks_2_to_12_pass() -> None:
    typed = [
        FunctionNode(produce_int, name="p", output_name="v"),
        FunctionNode(consume_str, name="c", output_name="r"),
    ]
    with pytest.raises(GraphConfigError) as info:
        Graph([*typed, DUP_1, DUP_2], strict_types=True)
    assert "Duplicate node name" in str(info.value)
    assert "Type mismatch" not in str(info.value)
    with pytest.raises(GraphConfigError, match="Type mismatch"):
        Graph(typed, strict_types=True)


def test_strict_types_is_not_evaluated_after_structural_problems() -> None:
    def unresolvable(a) -> "NoSuchType":  # noqa: F821
        return a

    def takes(v: int) -> int:
        return v

    nodes = [
        FunctionNode(unresolvable, name="p", output_name="v"),
        FunctionNode(takes, name="c", output_name="r"),
    ]
    # Evaluating the edge would emit the "Unresolvable type hint" warning (an error here).
    with pytest.raises(GraphConfigError, match="Duplicate node name"):
        Graph([*nodes, DUP_1, DUP_2], strict_types=True)


def test_all_type_problems_are_reported_together() -> None:
    def two_out(a) -> tuple[int, int]:
        return a, a

    def takes_str(v: str, w) -> str:
        return v

    with pytest.raises(GraphConfigError) as info:
        Graph(
            [
                FunctionNode(two_out, name="p", output_name=("v", "w")),
                FunctionNode(takes_str, name="c", output_name="r"),
            ],
            strict_types=True,
        )
    text = str(info.value)
    assert text.startswith("2 problems found")
    assert "Type mismatch" in text
    assert "Missing type annotation" in text


def test_consistent_defaults_are_accepted() -> None:
    def a(k=None):
        return k

    def b(k=None):
        return k

    def c(k=(1, 2)):
        return k

    def d(k=(1, 2)):
        return k

    assert Graph([FunctionNode(a, output_name="o1"), FunctionNode(b, output_name="o2")])
    graph = Graph([FunctionNode(c, output_name="o1"), FunctionNode(d, output_name="o2")])
    assert graph.inputs.optional == ("k",)


class Unequal:
    def __eq__(self, other):
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "Unequal()"


def test_defaults_that_cannot_be_compared_are_not_the_same() -> None:
    one, two = Unequal(), Unequal()

    def a(k=one):
        return k

    def b(k=two):
        return k

    def c(k=one):
        return k

    with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'k'"):
        Graph([FunctionNode(a, output_name="o1"), FunctionNode(b, output_name="o2")])
    # the very same object is the same, even when == raises
    Graph([FunctionNode(a, output_name="o1"), FunctionNode(c, output_name="o2")])


# --- long names ---------------------------------------------------------------------------

LONG = "n" * 150
SHORTENED = f"'{LONG[:100]}...'"


def _message(build) -> str:
    with pytest.raises((GraphConfigError, RenameError)) as info:
        build()
    return str(info.value)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Graph([XY], name=f"{LONG}.x"), id="graph-name"),
        pytest.param(lambda: Graph([XY.with_inputs(x=f"{LONG}-x")]), id="input-name"),
        pytest.param(lambda: Graph([XY.with_outputs(r=f"{LONG}-r")]), id="output-name"),
        pytest.param(lambda: Graph([XY]).bind(**{LONG: 1}), id="bind-non-input"),
        pytest.param(
            lambda: Graph(
                [
                    FunctionNode(ident, name="p1", output_name=LONG),
                    FunctionNode(xy, name="p2", output_name=LONG),
                ]
            ),
            id="multiple-producers",
        ),
        pytest.param(
            lambda: Graph([FunctionNode(ident, name="p", output_name=LONG)]).bind(**{LONG: 1}),
            id="bind-output",
        ),
        pytest.param(lambda: graph_node_inputs_alpha_beta().map_over(LONG), id="map-over"),
        pytest.param(lambda: XY.with_inputs(**{LONG: "z"}), id="rename-not-found"),
    ],
)
def test_long_names_are_shortened(build) -> None:
    text = _message(build)
    assert SHORTENED in text, text
    assert LONG not in text, text


def test_long_duplicate_node_name_is_shortened_in_the_headline() -> None:
    text = _message(lambda: Graph([DUP_1.with_name(LONG), DUP_2.with_name(LONG)]))
    first_line = text.splitlines()[0]
    assert first_line == f"Duplicate node name: {SHORTENED}"


# --- wrong argument types elsewhere in the graph layer (§6.1 recipe) ----------------------

ARGUMENT_TYPE_ERRORS = [
    pytest.param(lambda: XY.with_name(3), "int", id="with-name"),
    pytest.param(lambda: XY.with_inputs([("x", "a")]), "list", id="with-inputs-not-a-mapping"),
    pytest.param(lambda: XY.with_inputs({"x": 3}), "int", id="with-inputs-non-str-target"),
    pytest.param(lambda: XY.with_outputs({1: "a"}), "int", id="with-outputs-non-str-key"),
    pytest.param(lambda: graph_node_inputs_alpha_beta().map_over(1), "int", id="map-over-non-str"),
    pytest.param(lambda: Graph([XY]).as_node(name=5), "int", id="graph-node-name"),
    pytest.param(lambda: Graph([XY], name=5), "int", id="graph-name"),
    pytest.param(lambda: Graph([XY], strict_types=1), "int", id="strict-types"),
    pytest.param(lambda: Graph("xy"), "str", id="graph-of-a-string"),
]


@pytest.mark.parametrize(("build", "type_name"), ARGUMENT_TYPE_ERRORS)
def test_argument_type_errors(build, type_name) -> None:
    with pytest.raises(TypeError) as info:
        build()
    text = str(info.value)
    assert type_name in text
    assert "How to fix:" in text
    assert not text.startswith("How to fix:")


def test_graph_node_of_a_non_graph() -> None:
    with pytest.raises(TypeError, match="How to fix:") as info:
        GraphNode(XY, name="x")
    assert "FunctionNode" in str(info.value)


def test_defaults_of_a_produced_name_are_not_compared() -> None:
    # An edge feeds `x`, so neither default ever applies (GRAPH-03): no check-12 problem.
    def src(w):
        return w

    def c1(x=1):
        return x

    def c2(x):
        return x

    g = Graph(
        [
            FunctionNode(src, output_name="x"),
            FunctionNode(c1, output_name="o1"),
            FunctionNode(c2, output_name="o2"),
        ]
    )
    assert g.inputs.required == ("w",)
