"""What invalidates an entry, observed through runs: code the node reaches, and its salt."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hypergraph_graph import Graph, node
from hypergraph_runners.cache import DiskCache, InMemoryCache

Run = Callable[..., Any]

PIPELINE = """
    from hypergraph_graph import node

    CALLS = []
    SUFFIX = "!"

    def helper(text):
        return text.upper() + SUFFIX

    @node(output_name="out", cache=True)
    def shout(text: str) -> str:
        CALLS.append(text)
        return helper(text)
"""


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], ModuleType]]:
    """``load(source)``: (re)write ``pipeline_mod.py`` in tmp_path and import it afresh."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def _load(source: str) -> ModuleType:
        (tmp_path / "pipeline_mod.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        sys.modules.pop("pipeline_mod", None)
        return importlib.import_module("pipeline_mod")

    yield _load
    sys.modules.pop("pipeline_mod", None)


def test_a_helper_edited_between_runs_misses(
    run: Run, load: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    cache = DiskCache(tmp_path / "cache")
    mod = load(PIPELINE)
    assert run(Graph([mod.shout]), cache, text="hi")["out"] == "HI!"
    mod = load(PIPELINE)  # unchanged code, new process-like import: a hit
    assert run(Graph([mod.shout]), cache, text="hi")["out"] == "HI!"
    assert mod.CALLS == []
    mod = load(PIPELINE.replace("def helper(text):", "def helper( text ):  # a comment"))
    assert run(Graph([mod.shout]), cache, text="hi")["out"] == "HI!"
    assert mod.CALLS == []  # comments and formatting do not invalidate
    mod = load(PIPELINE.replace("text.upper() + SUFFIX", "text.title() + SUFFIX"))
    assert run(Graph([mod.shout]), cache, text="hi")["out"] == "Hi!"
    assert mod.CALLS == ["hi"]
    cache.close()


def test_a_module_constant_rebound_between_runs_misses(
    run: Run, load: Callable[[str], ModuleType]
) -> None:
    cache = InMemoryCache()
    mod = load(PIPELINE)
    assert run(Graph([mod.shout]), cache, text="a")["out"] == "A!"
    mod.SUFFIX = "?"  # a notebook cell re-run
    assert run(Graph([mod.shout]), cache, text="a")["out"] == "A?"
    assert mod.CALLS == ["a", "a"]


def test_a_closure_value_changed_misses(run: Run) -> None:
    def make(prefix: str) -> Any:
        @node(output_name="out", cache=True)
        def tag(text: str) -> str:
            return prefix + text

        return tag

    cache = InMemoryCache()
    assert run(Graph([make("a:")]), cache, text="x")["out"] == "a:x"
    assert run(Graph([make("b:")]), cache, text="x")["out"] == "b:x"
    assert len(cache) == 2


def test_cache_version_salts_the_key(run: Run) -> None:
    seen: list[str] = []

    def read(path: str) -> str:
        seen.append(path)
        return f"contents of {path}"

    cache = InMemoryCache()
    for version in ("1", "1", "2"):
        step = node(read, output_name="text", cache=True, cache_version=version)
        run(Graph([step]), cache, path="data.txt")
    assert seen == ["data.txt", "data.txt"]


def test_a_disk_hit_survives_a_new_process_with_another_hash_seed(tmp_path: Path) -> None:
    (tmp_path / "seeded_mod.py").write_text(
        textwrap.dedent(
            """
            import sys
            from hypergraph_graph import Graph, node
            from hypergraph_runners import SyncRunner
            from hypergraph_runners.cache import DiskCache

            @node(output_name="out", cache=True)
            def count(words: frozenset) -> int:
                print("ran", file=sys.stderr)
                return len(words)

            cache = DiskCache(sys.argv[1])
            result = SyncRunner(cache=cache).run(Graph([count]), words=frozenset("abcdefgh"))
            print(result["out"])
            """
        )
    )
    outs = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, str(tmp_path / "seeded_mod.py"), str(tmp_path / "c")],
            env={**_env(tmp_path), "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outs.append((proc.stdout, proc.stderr.count("ran")))
    assert outs == [("8\n", 1), ("8\n", 0)]


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}


NO_CACHE = """
import asyncio
import sys

try:
    import hypergraph  # the facade, when installed, must not import the cache either
except ImportError:
    pass
from hypergraph_graph import Graph, node
from hypergraph_runners import AsyncRunner, SyncRunner

@node(output_name="y", cache=True)
def double(x: int) -> int:
    return 2 * x

assert SyncRunner().run(Graph([double]), x=1)["y"] == 2
assert asyncio.run(AsyncRunner().run(Graph([double]), x=1))["y"] == 2
loaded = [m for m in sys.modules if m == "sqlite3" or m.startswith(
    ("hypergraph_runners.cache", "hypergraph.cache", "hypergraph_runners._codec",
     "hypergraph_graph._fingerprint"))]
print(loaded)
"""


def test_cache_none_imports_no_persistence_module(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", NO_CACHE],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == "[]\n", proc.stderr
