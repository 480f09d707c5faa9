"""``InMemoryCache``: a thread-safe LRU of node results, values isolated by copying."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["InMemoryCache"]

# Values that cannot be changed in place: stored and returned as they are (no copy).
_IMMUTABLE = frozenset({int, float, bool, str, bytes, complex, type(None), range})


def _isolated(value: Any) -> Any:
    if type(value) in _IMMUTABLE:
        return value
    if type(value) is tuple and all(type(v) in _IMMUTABLE for v in value):
        return value
    return copy.deepcopy(value)


class InMemoryCache:
    """Node results in this process's memory, least recently used evicted first.

    Values are deep-copied when stored and when returned, so neither the producer mutating the
    object it returned nor a consumer mutating a hit changes the stored entry. A value that
    cannot be deep-copied is not stored (the runner warns once).

    Args:
        max_size: The most entries kept (``None``: unbounded).

    Example:
        >>> cache = InMemoryCache(max_size=2)
        >>> cache.set("k", [1, 2])
        >>> cache.get("k")
        (True, [1, 2])
    """

    blocking = False  # cheap enough to call on the event loop (AsyncRunner)

    def __init__(self, max_size: int | None = None) -> None:
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1
        ):
            raise ValueError(
                f"InMemoryCache max_size must be a positive int or None, got {max_size!r}. "
                "How to fix: pass e.g. max_size=1024, or None for no limit."
            )
        self.max_size = max_size
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = self._stores = self._evictions = 0

    def get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            try:
                value = self._entries[key]
            except KeyError:
                self._misses += 1
                return False, None
            self._entries.move_to_end(key)
            self._hits += 1
        return True, _isolated(value)

    def set(self, key: str, value: Any) -> None:
        stored = _isolated(value)  # outside the lock: copying may be slow
        with self._lock:
            self._entries[key] = stored
            self._entries.move_to_end(key)
            self._stores += 1
            if self.max_size is not None:
                while len(self._entries) > self.max_size:
                    self._entries.popitem(last=False)
                    self._evictions += 1

    def clear(self) -> None:
        """Remove every entry."""
        with self._lock:
            self._entries.clear()

    def prune(self) -> int:
        """Nothing expires in memory: returns 0 (for symmetry with ``DiskCache``)."""
        return 0

    def stats(self) -> dict[str, int]:
        """Counters since creation, and the current number of entries."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "hits": self._hits,
                "misses": self._misses,
                "stores": self._stores,
                "evictions": self._evictions,
            }

    def close(self) -> None:
        """Drop every entry (an in-memory cache holds no other resource)."""
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"InMemoryCache(max_size={self.max_size!r}, entries={len(self._entries)})"
