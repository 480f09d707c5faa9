"""The transitive code fingerprint: what a function reaches is part of its cache key."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hypergraph_graph import FunctionNode, ifelse, node, route
from hypergraph_graph._fingerprint import code_fingerprint
from hypergraph_runners.cache._digest import try_digest


def fp(func: Callable[..., Any]) -> str:
    return code_fingerprint(func, try_digest)


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """``load(name, source)``: write a module to tmp_path and (re)import it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded: list[str] = []

    def _load(name: str, source: str) -> ModuleType:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        sys.modules.pop(name, None)
        loaded.append(name)
        return importlib.import_module(name)

    yield _load
    for name in loaded:
        sys.modules.pop(name, None)


BASE = """
    SCALE = 2

    def helper(x):
        return x * SCALE

    def step(x):
        return helper(x) + 1
"""


def test_editing_a_helper_changes_the_fingerprint(load: Callable[..., ModuleType]) -> None:
    before = fp(load("fp_helper", BASE).step)
    after = fp(load("fp_helper", BASE.replace("x * SCALE", "x * SCALE + 0")).step)
    assert before != after


def test_comments_and_formatting_do_not(load: Callable[..., ModuleType]) -> None:
    before = fp(load("fp_fmt", BASE).step)
    reformatted = BASE.replace("return helper(x) + 1", "return helper( x )+1  # same")
    assert fp(load("fp_fmt", reformatted).step) == before


def test_a_module_constant_changes_it_even_when_rebound_later(
    load: Callable[..., ModuleType],
) -> None:
    mod = load("fp_const", BASE)
    before = fp(mod.step)
    mod.SCALE = 3  # a notebook cell rebinding a constant: same function objects
    assert fp(mod.step) != before
    mod.SCALE = 2
    assert fp(mod.step) == before


def test_a_helper_in_another_user_module_counts(load: Callable[..., ModuleType]) -> None:
    load("fp_lib", "def norm(x):\n    return x.strip()\n")
    main = load("fp_main", "import fp_lib\n\ndef step(x):\n    return fp_lib.norm(x)\n")
    before = fp(main.step)
    load("fp_lib", "def norm(x):\n    return x.strip().lower()\n")
    main = load("fp_main", "import fp_lib\n\ndef step(x):\n    return fp_lib.norm(x)\n")
    assert fp(main.step) != before


def test_closures_and_defaults_count() -> None:
    def make(k: int) -> Callable[[int], int]:
        def f(x: int) -> int:
            return x + k

        return f

    assert fp(make(1)) == fp(make(1))
    assert fp(make(1)) != fp(make(2))

    def with_default(k: int) -> Callable[..., int]:
        def g(x: int, y: int = k) -> int:
            return x + y

        return g

    assert fp(with_default(1)) != fp(with_default(2))


def test_third_party_and_stdlib_code_count_by_name_not_source() -> None:
    import json

    def f(x: Any) -> str:
        return json.dumps(x)

    def g(x: Any) -> str:
        return json.dumps(x)

    assert fp(f) != fp(g)  # different names of the function: its qualname is in the part
    assert len(fp(f)) == 64


def test_recursion_and_cycles_terminate(load: Callable[..., ModuleType]) -> None:
    mod = load(
        "fp_cycle",
        """
        def even(n):
            return True if n == 0 else odd(n - 1)

        def odd(n):
            return False if n == 0 else even(n - 1)
        """,
    )
    assert len(fp(mod.even)) == 64


def test_cache_version_is_validated_and_stored() -> None:
    def f(x: int) -> int:
        return x

    assert FunctionNode(f, output_name="y", cache_version="2").cache_version == "2"
    assert node(f, output_name="y", cache_version=3).cache_version == 3
    assert node(output_name="y")(f).cache_version is None
    assert route(["a"], cache_version="r")(f).cache_version == "r"
    assert ifelse("a", "b", cache_version="i")(f).cache_version == "i"
    with pytest.raises(TypeError, match="How to fix"):
        FunctionNode(f, output_name="y", cache_version=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="How to fix"):
        FunctionNode(f, output_name="y", cache_version=True)
    renamed = node(f, output_name="y", cache=True, cache_version="v").with_inputs(x="z")
    assert renamed.cache_version == "v"
    assert renamed.cache


class Embedder:
    def __init__(self, model: str) -> None:
        self.model = model

    def embed(self, text: str) -> str:
        return f"{self.model}:{text}"

    def __call__(self, text: str) -> str:
        return self.embed(text)


class Opaque:
    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()

    def run(self, x: int) -> int:
        return x


def test_bound_methods_and_callable_objects_count_their_state() -> None:
    assert fp(Embedder("a").embed) == fp(Embedder("a").embed)
    assert fp(Embedder("a").embed) != fp(Embedder("b").embed)
    assert fp(Embedder("a")) != fp(Embedder("b"))


def test_an_unreadable_bound_instance_refuses_a_fingerprint() -> None:
    from hypergraph_graph._fingerprint import FingerprintError

    with pytest.raises(FingerprintError, match="How to fix"):
        fp(Opaque().run)


def test_a_global_config_object_counts_by_its_attributes(
    load: Callable[..., ModuleType],
) -> None:
    mod = load(
        "fp_config",
        """
        class Config:
            def __init__(self, model):
                self.model = model

        CONFIG = Config("small")

        def step(x):
            return CONFIG.model + x
        """,
    )
    before = fp(mod.step)
    mod.CONFIG = mod.Config("large")
    assert fp(mod.step) != before
