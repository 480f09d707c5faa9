"""cache=True under both runners: hits skip the body and behave exactly like the body."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypergraph_graph import END, FunctionNode, Graph, ifelse, node, route
from hypergraph_runners import AsyncRunner, SyncRunner
from hypergraph_runners.cache import CacheWarning, InMemoryCache, compute_cache_key
from hypergraph_types import (
    CacheHitEvent,
    NodeEndEvent,
    NodeStartEvent,
    OutputMismatchError,
    RunStatus,
)
from support import Calls

Run = Callable[..., Any]


def test_a_second_run_hits_and_skips_the_body(run: Run, backend: Any) -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    graph = Graph([double])
    assert run(graph, backend, x=2)["y"] == 4
    assert run(graph, backend, x=2)["y"] == 4
    assert run(graph, backend, x=3)["y"] == 6
    assert calls == [2, 3]


def test_nodes_without_cache_true_always_run(run: Run) -> None:
    calls: list[int] = []

    @node(output_name="y")
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    cache = InMemoryCache()
    run(Graph([double]), cache, x=2)
    run(Graph([double]), cache, x=2)
    assert calls == [2, 2]
    assert len(cache) == 0


def test_equal_inputs_of_other_types_miss(run: Run) -> None:
    seen: list[Any] = []

    @node(output_name="y", cache=True)
    def ident(x: Any) -> Any:
        seen.append(x)
        return x

    cache = InMemoryCache()
    for value in (1, 1.0, True, "1", (1,), [1]):
        assert run(Graph([ident]), cache, x=value)["y"] == value
    assert len(seen) == 6
    assert type(run(Graph([ident]), cache, x=1.0)["y"]) is float


def test_generators_and_multi_outputs_are_cached(run: Run, backend: Any) -> None:
    calls: list[str] = []

    @node(output_name=("a", "b"), cache=True)
    def split(x: int) -> tuple[int, int]:
        calls.append("split")
        return x, x + 1

    @node(output_name="items", cache=True)
    def items(a: int, b: int) -> Iterator[int]:
        calls.append("items")
        yield from range(a, b + 1)

    graph = Graph([split, items])
    first = run(graph, backend, x=1)
    second = run(graph, backend, x=1)
    assert first.values == second.values == {"a": 1, "b": 2, "items": [1, 2]}
    assert calls == ["split", "items"]


def test_async_bodies_and_async_generators_are_cached(backend: Any) -> None:
    calls: list[str] = []

    @node(output_name=("a", "b"), cache=True)
    async def split(x: int) -> tuple[int, int]:
        calls.append("split")
        return x, x + 1

    @node(output_name="agen", cache=True)
    async def agen(a: int, b: int) -> Any:
        calls.append("agen")
        for i in (a, b):
            yield i * 10

    graph = Graph([split, agen])
    for sync_nodes in ("thread", "inline"):
        runner = AsyncRunner(cache=backend, sync_nodes=sync_nodes)  # type: ignore[arg-type]
        result = asyncio.run(runner.run(graph, x=1))
        assert result.values == {"a": 1, "b": 2, "agen": [10, 20]}
    assert calls == ["split", "agen"]


def test_failures_are_never_cached(run: Run) -> None:
    attempts: list[int] = []

    @node(output_name="y", cache=True)
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise ValueError("first try fails")
        return x

    cache = InMemoryCache()
    assert run(Graph([flaky]), cache, x=1).status is RunStatus.FAILED
    assert run(Graph([flaky]), cache, x=1)["y"] == 1
    assert run(Graph([flaky]), cache, x=1)["y"] == 1
    assert attempts == [1, 1]


def test_an_output_mismatch_is_not_cached_and_fails_the_same_way(run: Run) -> None:
    calls: list[int] = []

    @node(output_name=("a", "b"), cache=True)
    def wrong(x: int) -> Any:
        calls.append(x)
        return x

    cache = InMemoryCache()
    for _ in range(2):
        result = run(Graph([wrong]), cache, x=1)
        assert isinstance(result.error, OutputMismatchError)
    assert calls == [1, 1]
    assert len(cache) == 0


def test_a_mutated_hit_does_not_leak_into_the_next_run(run: Run, backend: Any) -> None:
    @node(output_name="data", cache=True)
    def load(n: int) -> dict[str, list[int]]:
        return {"rows": list(range(n))}

    @node(output_name="count")
    def consume(data: dict[str, list[int]]) -> int:
        data["rows"].append(-1)  # a downstream node mutating its input
        return len(data["rows"])

    graph = Graph([load, consume])
    assert [run(graph, backend, n=3)["count"] for _ in range(3)] == [4, 4, 4]


def test_one_function_with_two_output_names_never_shares_an_entry(run: Run) -> None:
    calls: list[str] = []

    def pair(x: int) -> tuple[int, int]:
        calls.append("pair")
        return x, -x

    whole = FunctionNode(pair, name="whole", output_name="both", cache=True)
    split = FunctionNode(pair, name="split", output_name=("pos", "neg"), cache=True)
    cache = InMemoryCache()
    assert run(Graph([whole]), cache, x=1)["both"] == (1, -1)
    result = run(Graph([split]), cache, x=1)
    assert (result["pos"], result["neg"]) == (1, -1)
    assert calls == ["pair", "pair"]
    assert compute_cache_key(whole, {"x": 1}) != compute_cache_key(split, {"x": 1})


def test_renamed_wiring_and_other_graphs_share_the_entry(run: Run) -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    cache = InMemoryCache()
    run(Graph([double], name="one"), cache, x=2)
    renamed = double.with_inputs(x="value").with_name("other")
    assert run(Graph([renamed], name="two"), cache, value=2)["y"] == 4
    assert calls == [2]
    assert compute_cache_key(renamed, {"value": 2}) == compute_cache_key(double, {"x": 2})


def test_a_gate_decision_is_cached_and_restored(run: Run, backend: Any) -> None:
    calls: list[str] = []

    @route(["big", "small"], cache=True)
    def size(x: int) -> str:
        calls.append("route")
        return "big" if x > 10 else "small"

    @ifelse("yes", END, cache=True)
    def check(x: int) -> bool:
        calls.append("ifelse")
        return x % 2 == 0

    @node(output_name="label")
    def big(x: int) -> str:
        return "big"

    @node(output_name="label")
    def small(x: int) -> str:
        return "small"

    @node(output_name="even")
    def yes(x: int) -> bool:
        return True

    graph = Graph([size, big, small, check, yes])
    for x, label, even in [(20, "big", True), (3, "small", None), (20, "big", True)]:
        result = run(graph, backend, x=x)
        assert result["label"] == label
        assert result.values.get("even") == even
    assert sorted(calls) == ["ifelse", "ifelse", "route", "route"]  # third run: all hits


def test_graph_nodes_never_cache_but_the_nodes_inside_do(run: Run) -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def inner(x: int) -> int:
        calls.append(x)
        return x + 1

    nested = Graph([inner], name="inner").as_node()
    assert nested.cache is False
    cache = InMemoryCache()
    assert run(Graph([nested]), cache, x=1)["y"] == 2
    assert run(Graph([inner]), cache, x=1)["y"] == 2  # the same entry at another level
    assert calls == [1]


def test_map_items_share_the_cache(run_map: Run, runner_kind: str) -> None:
    # A Calls log, not a list: a list the body reaches is digested into its fingerprint, so
    # appending to it from concurrent items would change keys (misses, never wrong hits).
    calls = Calls()

    @node(output_name="y", cache=True)
    def slow(x: int) -> int:
        calls.add(x)
        return x * x

    cache = InMemoryCache()
    # One item at a time, so the duplicates come after their first computation.
    one = {} if runner_kind == "sync" else {"max_concurrency": 1}
    results = run_map(Graph([slow]), cache, x=[1, 2, 1, 2, 3], map_over="x", **one)
    assert [r["y"] for r in results] == [1, 4, 1, 4, 9]
    assert sorted(calls.items) == [1, 2, 3]  # type: ignore[type-var]
    results = run_map(Graph([slow]), cache, x=[3, 2], map_over="x")
    assert [r["y"] for r in results] == [9, 4]
    assert sorted(calls.items) == [1, 2, 3]  # type: ignore[type-var]


def test_map_of_a_nested_mapped_graph_shares_the_cache(run: Run) -> None:
    calls = Calls()

    @node(output_name="y", cache=True)
    def square(x: int) -> int:
        calls.add(x)
        return x * x

    inner = Graph([square], name="inner").as_node().map_over("x")
    cache = InMemoryCache()
    assert run(Graph([inner]), cache, x=[1, 2])["y"] == [1, 4]
    assert run(Graph([inner]), cache, x=[2, 1, 3])["y"] == [4, 1, 9]
    assert sorted(calls.items) == [1, 2, 3]  # type: ignore[type-var]


def test_a_chain_of_def_nodes_under_async_still_uses_the_cache(backend: Any) -> None:
    calls: list[str] = []

    @node(output_name="a")
    def first(x: int) -> int:
        calls.append("first")
        return x + 1

    @node(output_name="b", cache=True)
    def second(a: int) -> int:
        calls.append("second")
        return a * 2

    @node(output_name="c")
    def third(b: int) -> int:
        calls.append("third")
        return b - 1

    graph = Graph([first, second, third])
    for inline in ("thread", "inline"):
        runner = AsyncRunner(cache=backend, sync_nodes=inline)  # type: ignore[arg-type]
        assert asyncio.run(runner.run(graph, x=1))["c"] == 3
    assert calls == ["first", "second", "third", "first", "third"]


def _events(runner_kind: str, graph: Graph, cache: Any, **values: Any) -> list[Any]:
    events: list[Any] = []

    class Collect:
        def on_event(self, event: Any) -> None:
            events.append(event)

    if runner_kind == "sync":
        SyncRunner(cache=cache).run(graph, values, event_processors=[Collect()])
    else:
        asyncio.run(AsyncRunner(cache=cache).run(graph, values, event_processors=[Collect()]))
    return [e for e in events if isinstance(e, NodeStartEvent | NodeEndEvent | CacheHitEvent)]


def test_a_hit_emits_cache_hit_then_node_end_cached(runner_kind: str) -> None:
    @node(output_name="y", cache=True)
    def double(x: int) -> int:
        return 2 * x

    @node(output_name="z")
    def plus(y: int) -> int:
        return y + 1

    graph = Graph([double, plus], name="g")
    cache = InMemoryCache()
    miss = _events(runner_kind, graph, cache, x=1)
    assert [type(e).__name__ for e in miss] == ["NodeStartEvent", "NodeEndEvent"] * 2
    assert not any(e.cached for e in miss if isinstance(e, NodeEndEvent))
    hit = _events(runner_kind, graph, cache, x=1)
    assert [type(e).__name__ for e in hit] == [
        "NodeStartEvent",
        "CacheHitEvent",
        "NodeEndEvent",
        "NodeStartEvent",
        "NodeEndEvent",
    ]
    start, event, end = hit[:3]
    assert isinstance(event, CacheHitEvent)
    assert (event.node_name, event.graph_name) == ("double", "g")
    assert event.cache_key == compute_cache_key(double, {"x": 1})
    assert event.span_id == start.span_id == end.span_id
    assert event.superstep == (0 if runner_kind == "sync" else None)
    assert end.cached is True
    assert hit[4].cached is False


def test_an_undigestable_input_runs_uncached_with_one_warning(run: Run, runner_kind: str) -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def use(lock: Any, x: int) -> int:
        calls.append(x)
        return x

    cache = InMemoryCache()
    lock = threading.Lock()
    with pytest.warns(CacheWarning) as record:
        results = run_map_or_run(run, runner_kind, Graph([use]), cache, lock)
    assert results == [1, 2, 1]
    # Every item ran, the repeated 1 included (AsyncRunner runs map items concurrently, so
    # the order of the calls is not fixed).
    assert sorted(calls) == [1, 1, 2]
    messages = [str(w.message) for w in record if w.category is CacheWarning]
    assert len(messages) == 1
    assert "'use'" in messages[0] and "'lock'" in messages[0] and "lock" in messages[0].lower()
    assert len(cache) == 0


def run_map_or_run(run: Run, runner_kind: str, graph: Graph, cache: Any, lock: Any) -> list[int]:
    """Three executions in one call (a map), so 'one warning per call' is observable."""
    if runner_kind == "sync":
        results = SyncRunner(cache=cache).map(graph, {"lock": lock, "x": [1, 2, 1]}, map_over="x")
    else:
        runner = AsyncRunner(cache=cache)
        results = asyncio.run(runner.map(graph, {"lock": lock, "x": [1, 2, 1]}, map_over="x"))
    return [r["y"] for r in results]


class Broken:
    """A backend whose storage is gone: every call raises."""

    def get(self, key: str) -> tuple[bool, Any]:
        raise OSError("disk unplugged")

    def set(self, key: str, value: Any) -> None:
        raise OSError("No space left on device")


def test_a_broken_backend_is_a_miss_with_a_warning(run: Run) -> None:
    @node(output_name="y", cache=True)
    def double(x: int) -> int:
        return 2 * x

    with pytest.warns(CacheWarning) as record:
        assert run(Graph([double]), Broken(), x=2)["y"] == 4
    texts = [str(w.message) for w in record]
    assert any("Broken.get() failed" in t and "'double'" in t for t in texts)
    assert any("Broken.set() failed" in t for t in texts)


def test_an_unstorable_value_is_a_warning_not_a_failure(run: Run, backend: Any) -> None:
    @node(output_name="lock", cache=True)
    def make(x: int) -> Any:
        return threading.Lock()  # can be neither copied nor pickled

    with pytest.warns(CacheWarning, match=r"set\(\) failed"):
        assert run(Graph([make]), backend, x=1)["lock"] is not None
    assert backend.get(compute_cache_key(make, {"x": 1})) == (False, None)


def test_the_runner_rejects_what_is_not_a_backend() -> None:
    with pytest.raises(TypeError, match="How to fix"):
        SyncRunner(cache={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="How to fix"):
        AsyncRunner(cache="disk")  # type: ignore[arg-type]
    assert SyncRunner()._cache is None
    assert AsyncRunner()._cache is None


def test_compute_cache_key_checks_its_arguments() -> None:
    @node(output_name="y", cache=True)
    def double(x: int) -> int:
        return 2 * x

    with pytest.raises(TypeError, match="Did you mean 'x'"):
        compute_cache_key(double, {"xx": 1})
    with pytest.raises(TypeError, match="GraphNode"):
        compute_cache_key(Graph([double], name="g").as_node(), {"x": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="register_digest"):
        compute_cache_key(double, {"x": threading.Lock()})
    salted = node(double.func, output_name="y", cache=True, cache_version="2")
    assert compute_cache_key(salted, {"x": 1}) != compute_cache_key(double, {"x": 1})


def test_a_cached_sibling_stopped_by_a_failure_reports_the_failure(backend: Any) -> None:
    started = threading.Event()

    @node(output_name="a", cache=True)
    def slow(x: int) -> int:
        started.wait(5)
        return x

    @node(output_name="b")
    def boom(x: int) -> int:
        started.set()
        raise ValueError("boom")

    @node(output_name="c")
    def join(a: int, b: int) -> int:
        return a + b

    result = asyncio.run(AsyncRunner(cache=backend).run(Graph([slow, boom, join]), x=1))
    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, ValueError)
    assert "c" not in result.values


def test_a_bound_method_with_unreadable_state_runs_uncached_with_a_warning(run: Run) -> None:
    class Client:
        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.calls = 0

        def fetch(self, x: int) -> int:
            self.calls += 1
            return x

    client = Client()
    step = FunctionNode(client.fetch, output_name="y", cache=True)
    cache = InMemoryCache()
    with pytest.warns(CacheWarning, match="'fetch'.*__hypergraph_key__"):
        assert run(Graph([step]), cache, x=1)["y"] == 1
    with pytest.warns(CacheWarning):
        run(Graph([step]), cache, x=1)
    assert client.calls == 2
    assert len(cache) == 0


def test_async_runner_never_calls_a_disk_cache_on_the_event_loop(tmp_path: Any) -> None:
    from hypergraph_runners.cache import DiskCache

    threads: list[int] = []

    class Recording(DiskCache):
        def get(self, key: str) -> tuple[bool, Any]:
            threads.append(threading.get_ident())
            return super().get(key)

        def set(self, key: str, value: Any) -> None:
            threads.append(threading.get_ident())
            super().set(key, value)

    @node(output_name="a", cache=True)
    async def fetch(x: int) -> int:
        return x + 1

    @node(output_name="b", cache=True)
    def compute(a: int) -> int:
        return a * 2

    cache = Recording(tmp_path / "c")

    async def main() -> tuple[int, int]:
        loop_thread = threading.get_ident()
        for sync_nodes in ("thread", "inline", "thread"):
            runner = AsyncRunner(cache=cache, sync_nodes=sync_nodes)  # type: ignore[arg-type]
            assert (await runner.run(Graph([fetch, compute]), x=1))["b"] == 4
        return loop_thread, len(threads)

    loop_thread, count = asyncio.run(main())
    assert count == 2 + 2 + 2 + 2  # 2 misses with stores, then 2 hits per later run
    assert loop_thread not in threads
    cache.close()


def test_a_large_broadcast_input_is_hashed_once_per_call(
    run_map: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import hypergraph_runners.cache._digest as digest_module

    hashed: list[int] = []

    def counting(data: bytes) -> Any:
        hashed.append(len(data))
        return hashlib.sha256(data)

    monkeypatch.setattr(digest_module, "_sha256", counting)

    @node(output_name="n", cache=True)
    def size(blob: bytes, i: int) -> int:
        return len(blob) + i

    blob = bytes(1024**2)
    cache = InMemoryCache()
    results = run_map(Graph([size]), cache, {"blob": blob, "i": list(range(5))}, map_over="i")
    assert [r["n"] for r in results] == [1024**2 + i for i in range(5)]
    assert hashed == [1024**2]  # five keys, one hash of the megabyte
    key = compute_cache_key(size, {"blob": bytes(1024**2), "i": 0})  # no memo: same key
    assert cache.get(key) == (True, 1024**2)
