"""``import hypergraph`` leaves the optional extras alone: rich (progress), opentelemetry (otel)
and networkx load only when a feature that needs them is used, so a plain import stays fast and
works without them installed."""

from __future__ import annotations

import subprocess
import sys

OPTIONAL = ("rich", "opentelemetry", "networkx", "pipefunc")


def test_import_hypergraph_imports_no_optional_extra() -> None:
    probe = (
        "import sys, hypergraph, hypergraph_graph, hypergraph_runners\n"
        f"print(*sorted(m for m in sys.modules if m.split('.')[0] in {OPTIONAL!r}))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []


# executors (issue 19): the core imports no engine and no serialiser, not even for a map on a
# thread executor; a Dask Client is recognised by its class's module name.
ENGINES = ("dask", "distributed", "cloudpickle", "tblib", "loky")


def test_import_and_a_plain_map_import_no_engine() -> None:
    probe = (
        "import asyncio, sys, concurrent.futures as cf, hypergraph\n"
        "from hypergraph import Graph, node, SyncRunner, AsyncRunner\n"
        "@node(output_name='y')\n"
        "def double(x: int) -> int:\n"
        "    return 2 * x\n"
        "g = Graph([double])\n"
        "assert SyncRunner().map(g, x=[1, 2], map_over='x')['y'] == [2, 4]\n"
        "assert asyncio.run(AsyncRunner().map(g, x=[1], map_over='x'))['y'] == [2]\n"
        "with cf.ThreadPoolExecutor(2) as pool:\n"
        "    assert SyncRunner(executor=pool).map(g, x=[1, 2], map_over='x')['y'] == [2, 4]\n"
        f"print(*sorted(m for m in sys.modules if m.split('.')[0] in {ENGINES!r}))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []


# Pictures (GraphView) read their assets with importlib.resources, which brings tempfile,
# shutil and the compressors: ~6 ms of every import, so only a picture loads them.
PICTURE_ONLY = ("importlib.resources", "tempfile", "shutil")


def test_import_hypergraph_leaves_picture_assets_for_the_first_picture() -> None:
    probe = (
        f"import sys, hypergraph\nprint(*sorted(m for m in {PICTURE_ONLY!r} if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []
