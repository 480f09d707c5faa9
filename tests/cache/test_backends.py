"""InMemoryCache and DiskCache on their own: the protocol, isolation, limits, safety."""

from __future__ import annotations

import pathlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hypergraph_runners.cache import CacheBackend, CacheWarning, DiskCache, InMemoryCache


def test_both_backends_follow_the_protocol(backend: Any) -> None:
    assert isinstance(backend, CacheBackend)
    assert backend.get("k") == (False, None)
    backend.set("k", {"a": (1, 2), "b": None})
    assert backend.get("k") == (True, {"a": (1, 2), "b": None})
    backend.set("none", None)
    assert backend.get("none") == (True, None)  # a stored None is a hit
    stats = backend.stats()
    assert (stats["hits"], stats["misses"], stats["stores"]) == (2, 1, 2)
    backend.clear()
    assert backend.get("k") == (False, None)


def test_values_are_isolated_from_producer_and_consumer(backend: Any) -> None:
    value = {"items": [1, 2]}
    backend.set("k", value)
    value["items"].append(3)  # the producer keeps mutating what it returned
    _, hit = backend.get("k")
    assert hit == {"items": [1, 2]}
    hit["items"].clear()  # a consumer mutates its hit
    assert backend.get("k") == (True, {"items": [1, 2]})


def test_in_memory_lru_evicts_the_least_recently_used() -> None:
    cache = InMemoryCache(max_size=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")
    cache.set("c", 3)
    assert cache.get("b") == (False, None)
    assert cache.get("a") == (True, 1)
    assert cache.get("c") == (True, 3)
    assert cache.stats()["evictions"] == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_in_memory_max_size_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="How to fix"):
        InMemoryCache(max_size=bad)


def test_disk_cache_persists_across_instances(tmp_path: Path) -> None:
    first = DiskCache(tmp_path)
    first.set("k", [1, (2, 3)])
    first.close()
    second = DiskCache(tmp_path)
    assert second.get("k") == (True, [1, (2, 3)])
    second.close()


def test_disk_cache_evicts_least_recently_hit_down_to_90_percent(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_size_bytes=1000)
    cache.touch_interval = 0.0  # refresh last_hit on every hit
    for i in range(4):
        cache.set(f"k{i}", b"x" * 200)
    assert cache.get("k0")[0]  # k0 is now the most recently hit
    cache.set("k4", b"x" * 200)  # 5 x 203 bytes: over 1000, evict k1 (LRU) to reach <= 900
    present = {k for k in ("k0", "k1", "k2", "k3", "k4") if cache.get(k)[0]}
    assert present == {"k0", "k2", "k3", "k4"}
    stats = cache.stats()
    assert stats["bytes"] == 4 * 203
    assert stats["evictions"] == 1
    cache.set("huge", b"x" * 5000)  # larger than the limit: not stored
    assert cache.get("huge") == (False, None)
    cache.close()


def test_disk_cache_ttl_and_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hypergraph_runners.cache._disk as disk

    now = [1000.0]
    monkeypatch.setattr(disk.time, "time", lambda: now[0])
    cache = DiskCache(tmp_path, ttl=10)
    cache.set("k", 1)
    now[0] += 5
    assert cache.get("k") == (True, 1)
    now[0] += 6
    assert cache.get("k") == (False, None)
    assert cache.prune() == 1
    assert cache.stats()["entries"] == 0
    cache.close()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_size_bytes": 0}, ValueError),
        ({"max_size_bytes": 1.5}, TypeError),
        ({"max_size_bytes": None}, TypeError),
        ({"ttl": 0}, ValueError),
        ({"ttl": -1}, ValueError),
    ],
)
def test_disk_cache_options_are_validated(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match="How to fix"):
        DiskCache(tmp_path, **kwargs)


class Marker:
    """Unpickling it creates a file: proof that the stored bytes were unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def _rows(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "cache.sqlite3", isolation_level=None)


def test_a_tampered_row_is_a_miss_and_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    cache = DiskCache(tmp_path)
    cache.set("k", Marker(str(marker)))
    db = _rows(tmp_path)
    (data,) = db.execute("SELECT value FROM entries WHERE key = 'k'").fetchone()
    assert data[:1] == b"P"
    tampered = bytearray(data)
    tampered[-2] ^= 0xFF
    db.execute("UPDATE entries SET value = ? WHERE key = 'k'", (bytes(tampered),))
    db.close()
    with pytest.warns(CacheWarning, match="does not decode"):
        assert cache.get("k") == (False, None)
    assert not marker.exists()
    assert cache.stats()["entries"] == 0  # the bad row was removed
    cache.close()


def test_a_cache_copied_to_another_user_never_unpickles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "unpickled"
    cache = DiskCache(tmp_path / "c")
    cache.set("k", Marker(str(marker)))
    cache.close()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other-user"))  # a new key
    other = DiskCache(tmp_path / "c")
    with pytest.warns(CacheWarning):
        assert other.get("k") == (False, None)
    assert not marker.exists()
    other.close()


def test_a_corrupt_safe_row_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    cache.set("k", [1, 2, 3])
    db = _rows(tmp_path)
    db.execute("UPDATE entries SET value = ? WHERE key = 'k'", (b"M\xc1\xc1",))
    db.close()
    with pytest.warns(CacheWarning):
        assert cache.get("k") == (False, None)
    cache.set("k", [4])
    assert cache.get("k") == (True, [4])
    cache.close()


def test_a_broken_database_is_a_miss_with_a_warning(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    cache.set("k", 1)
    db = _rows(tmp_path)
    db.execute("DROP TABLE entries")  # simulates a database that fails every statement
    db.close()
    with pytest.warns(CacheWarning, match="could not read"):
        assert cache.get("k") == (False, None)
    with pytest.warns(CacheWarning, match="could not store"):
        cache.set("k", 2)
    cache.close()


WORKER = textwrap.dedent(
    """
    import sys
    from hypergraph_runners.cache import DiskCache

    path, seed = sys.argv[1], int(sys.argv[2])
    cache = DiskCache(path, max_size_bytes=10**9)
    wrong = 0
    for i in range(150):
        key = f"k{(i * 7 + seed) % 20}"
        expected = {"key": key, "payload": key * 50}
        found, value = cache.get(key)
        if found and value != expected:
            wrong += 1
        elif not found:
            cache.set(key, expected)
    cache.close()
    print(wrong)
    """
)


def test_many_processes_share_one_directory(tmp_path: Path) -> None:
    """Four processes start at once on a missing database (the init race), then interleave."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    target = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(target), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(4)
    ]
    results = [p.communicate(timeout=50) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["0", "0", "0", "0"]
    db = sqlite3.connect(target / "cache.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    total = db.execute("SELECT bytes FROM totals").fetchone()[0]
    assert total == db.execute("SELECT SUM(size) FROM entries").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 20
    db.close()


def test_a_file_that_is_not_a_database_fails_at_construction_clearly(tmp_path: Path) -> None:
    (tmp_path / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(OSError, match="How to fix"):
        DiskCache(tmp_path)


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    import threading

    cache = DiskCache(tmp_path)
    for _ in range(5):  # as AsyncRunner does: a new pool of threads per call
        worker = threading.Thread(target=cache.get, args=("k",))
        worker.start()
        worker.join()
    assert len(cache._all) <= 2  # this thread's, and the last finished thread's at most
    cache.close()
