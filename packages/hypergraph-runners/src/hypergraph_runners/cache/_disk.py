"""``DiskCache``: node results in one SQLite file, shared by threads and processes.

Built on stdlib ``sqlite3`` (not the ``diskcache`` package: unmaintained since 2023, pickle by
default, lock errors when many processes open it):

- WAL journal, ``synchronous=NORMAL`` (a cache may lose its last write on power loss),
  ``busy_timeout`` of 30 s, every write in ``BEGIN IMMEDIATE``: many processes on one
  directory wait for each other instead of failing;
- one connection per thread (and per process: a forked child opens its own);
- one row per entry holding the encoded value with its signature (``hypergraph_runners._codec``:
  safe msgpack first, HMAC-signed pickle as the fallback), so a value and its MAC can never
  be torn apart;
- LRU eviction by size: past ``max_size_bytes`` the least recently hit entries go, down to 90%;
  ``last_hit`` is refreshed at most once a minute per entry so reads stay reads;
- ``ttl`` seconds after it was stored an entry is a miss (``prune()`` deletes it).

A row that does not decode (corrupt, tampered, signed with another key, a pickle that no
longer loads) is a miss: the row is deleted and a ``CacheWarning`` says so; its bytes are never
unpickled. Database errors (disk full, locked past the timeout) are a miss or a lost store with
a warning. Not supported: network file systems (SQLite's locking does not work there).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

from .._codec import CodecError, decode, encode
from ._backend import CacheWarning

__all__ = ["DEFAULT_MAX_SIZE_BYTES", "DiskCache"]

#: Default size limit of a ``DiskCache``: 2 GiB (never unbounded by default).
DEFAULT_MAX_SIZE_BYTES = 2 * 1024**3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    last_hit REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_last_hit ON entries (last_hit);
CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 0), bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (0, 0);
"""


class DiskCache:
    """Node results in ``cache_dir/cache.sqlite3``; safe to share between processes.

    Args:
        cache_dir: The directory (created if missing; ``~`` is expanded).
        max_size_bytes: Size limit of the stored values; the least recently hit entries are
            evicted past it (down to 90%). A value larger than the limit is not stored.
        ttl: Seconds an entry stays valid after it was stored (``None``: forever).
        secret: The HMAC key for pickled values; default: ``$HYPERGRAPH_SECRET`` or the
            per-user key file (see ``hypergraph_runners._codec``). Never stored in ``cache_dir``.

    Example:
        >>> import tempfile
        >>> cache = DiskCache(tempfile.mkdtemp())
        >>> cache.set("k", {"a": (1, 2)})
        >>> cache.get("k")
        (True, {'a': (1, 2)})
        >>> cache.close()
    """

    blocking = True  # file I/O: AsyncRunner calls it from its worker threads
    touch_interval = 60.0  # seconds between refreshes of an entry's ``last_hit``

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] = "~/.cache/hypergraph",
        *,
        max_size_bytes: int = DEFAULT_MAX_SIZE_BYTES,
        ttl: float | None = None,
        secret: bytes | None = None,
    ) -> None:
        if isinstance(max_size_bytes, bool) or not isinstance(max_size_bytes, int):
            raise TypeError(
                f"DiskCache max_size_bytes must be an int, got {type(max_size_bytes).__name__}. "
                "How to fix: pass a finite size such as max_size_bytes=512 * 1024**2."
            )
        if max_size_bytes < 1:
            raise ValueError(
                f"DiskCache max_size_bytes must be positive, got {max_size_bytes}. "
                "How to fix: pass a finite size such as max_size_bytes=512 * 1024**2."
            )
        if ttl is not None and (isinstance(ttl, bool) or not ttl > 0):
            raise ValueError(
                f"DiskCache ttl must be a positive number of seconds or None, got {ttl!r}. "
                "How to fix: pass e.g. ttl=3600, or ttl=None for no expiry."
            )
        self.path = Path(cache_dir).expanduser()
        self.path.mkdir(parents=True, exist_ok=True)
        self.file = self.path / "cache.sqlite3"
        self.max_size_bytes = max_size_bytes
        self.ttl = ttl
        self._secret = secret
        self._local = threading.local()
        # Every open connection with its thread: those of finished threads (AsyncRunner makes
        # a thread pool per call) are closed when the next connection is opened.
        # (Changed in place only: the finalizer below closes what it holds when this object
        # is collected unclosed; Python 3.13 warns about connections left to the collector.)
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        weakref.finalize(self, _close_all, self._all)
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(("hits", "misses", "stores", "evictions", "errors"), 0)
        try:
            self._connection()  # create the schema now: errors surface at construction
        except sqlite3.Error as exc:
            raise OSError(
                f"DiskCache cannot open {self.file} ({type(exc).__name__}: {exc}). How to fix: "
                "check the directory's permissions and free space, or delete the file to "
                "start with an empty cache."
            ) from exc

    # -- connections ---------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(
            self.file, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        local.conn, local.pid = conn, os.getpid()
        with self._lock:
            if self._pid != local.pid:  # a forked child: the parent's connections are not ours
                self._all.clear()
                self._pid = local.pid
            finished = [c for t, c in self._all if not t.is_alive()]
            self._all[:] = [(t, c) for t, c in self._all if t.is_alive()]
            self._all.append((threading.current_thread(), conn))
        for old in finished:
            old.close()
        return conn

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> None:
        """Settings of a new connection, and the schema (idempotent, safe when racing)."""
        conn.execute("PRAGMA busy_timeout = 30000")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def _warn(self, what: str, exc: BaseException) -> None:
        self._count("errors")
        warnings.warn(
            f"DiskCache at {self.path}: {what} ({type(exc).__name__}: {exc}); the node runs "
            "as on a miss. How to fix: check the disk, or clear() the cache.",
            CacheWarning,
            stacklevel=3,
        )

    # -- the protocol --------------------------------------------------------------------

    def get(self, key: str) -> tuple[bool, Any]:
        try:
            conn = self._connection()
            row = conn.execute(
                "SELECT value, created, last_hit FROM entries WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as exc:
            self._warn("could not read an entry", exc)
            return False, None
        if row is None:
            self._count("misses")
            return False, None
        data, created, last_hit = row
        now = time.time()
        if self.ttl is not None and now - created > self.ttl:
            self._count("misses")
            return False, None
        try:
            value = decode(data, self._secret)
        except CodecError as exc:
            self._warn(f"entry {key[:16]} does not decode and was removed", exc)
            self._delete(key)
            return False, None
        if now - last_hit > self.touch_interval:
            # Best effort: LRU order is a hint, never worth a failed read.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("UPDATE entries SET last_hit = ? WHERE key = ?", (now, key))
        self._count("hits")
        return True, value

    def set(self, key: str, value: Any) -> None:
        data = encode(value, self._secret)
        size = len(data)
        if size > self.max_size_bytes:
            return
        now = time.time()
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = conn.execute("SELECT size FROM entries WHERE key = ?", (key,)).fetchone()
                conn.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                    (key, data, size, now, now),
                )
                delta = size - (old[0] if old else 0)
                total = conn.execute(
                    "UPDATE totals SET bytes = bytes + ? WHERE id = 0 RETURNING bytes", (delta,)
                ).fetchone()[0]
                evicted = 0
                if total > self.max_size_bytes:
                    evicted = self._evict(conn, total, int(self.max_size_bytes * 0.9))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._warn("could not store an entry", exc)
            return
        self._count("stores")
        if evicted:
            self._count("evictions", evicted)

    # -- maintenance ---------------------------------------------------------------------

    @staticmethod
    def _evict(conn: sqlite3.Connection, total: int, target: int) -> int:
        """Delete least recently hit entries until ``total <= target`` (inside a transaction)."""
        evicted = 0
        while total > target:
            rows = conn.execute(
                "SELECT key, size FROM entries ORDER BY last_hit, created LIMIT 64"
            ).fetchall()
            if not rows:
                break
            for key, size in rows:
                if total <= target:
                    break
                conn.execute("DELETE FROM entries WHERE key = ?", (key,))
                total -= size
                evicted += 1
        conn.execute("UPDATE totals SET bytes = ? WHERE id = 0", (max(total, 0),))
        return evicted

    def _delete(self, key: str) -> None:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("DELETE FROM entries WHERE key = ? RETURNING size", (key,))
                size = row.fetchone()
                if size is not None:
                    conn.execute("UPDATE totals SET bytes = bytes - ? WHERE id = 0", size)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            pass  # it stays a miss: the next store replaces it

    def clear(self) -> None:
        """Remove every entry."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM entries")
        conn.execute("UPDATE totals SET bytes = 0 WHERE id = 0")
        conn.execute("COMMIT")

    def prune(self) -> int:
        """Delete expired entries and evict down to the size limit; returns how many went."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            removed = 0
            if self.ttl is not None:
                cutoff = time.time() - self.ttl
                removed = conn.execute("DELETE FROM entries WHERE created < ?", (cutoff,)).rowcount
            total = conn.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
            conn.execute("UPDATE totals SET bytes = ? WHERE id = 0", (total,))
            if total > self.max_size_bytes:
                removed += self._evict(conn, total, int(self.max_size_bytes * 0.9))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return removed

    def stats(self) -> dict[str, int]:
        """This process's counters, plus the entries and bytes stored by every process."""
        conn = self._connection()
        entries = conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        size = conn.execute("SELECT bytes FROM totals WHERE id = 0").fetchone()[0]
        with self._lock:
            return {"entries": entries, "bytes": size, **self._counts}

    def close(self) -> None:
        """Close every connection this object opened (it reopens on next use)."""
        with self._lock:
            conns = list(self._all)
            self._all.clear()
        for _, conn in conns:
            conn.close()
        self._local = threading.local()

    def __repr__(self) -> str:
        return (
            f"DiskCache({str(self.path)!r}, max_size_bytes={self.max_size_bytes}, ttl={self.ttl})"
        )


def _close_all(conns: list[tuple[threading.Thread, sqlite3.Connection]]) -> None:
    """Close the connections of a ``DiskCache`` that was collected without ``close()``."""
    for _, conn in conns:
        conn.close()
    conns.clear()
