"""The cache backend protocol and the warning every cache problem is reported with."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["CacheBackend", "CacheWarning"]


class CacheWarning(UserWarning):
    """A cache problem that did not fail the run: a broken backend, an undigestable input,
    a value that could not be stored. The node ran (or will run) normally."""


@runtime_checkable
class CacheBackend(Protocol):
    """Where a runner keeps node results (``SyncRunner(cache=...)``, ``AsyncRunner(cache=...)``).

    Both methods must be thread-safe: AsyncRunner calls them from worker threads. A backend
    never sees nodes or graphs, only keys (64 hex characters) and values. Raising from either
    method is a miss (or a lost store) with a ``CacheWarning``, never a failed run.
    """

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a stored entry, else ``(False, None)``."""
        ...

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` (replacing any entry)."""
        ...
