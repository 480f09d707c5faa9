"""Result caching for nodes declared with ``cache=True`` (issue 16).

Imported only when a runner is given a cache backend (or by ``import hypergraph.cache``): a
runner with ``cache=None`` never loads any of this.

- ``_backend``: the ``CacheBackend`` protocol and ``CacheWarning``;
- ``_memory`` / ``_disk``: ``InMemoryCache`` and ``DiskCache`` (stdlib ``sqlite3``);
- ``_digest``: the canonical typed digest of input values, ``register_digest``;
- ``_key``: cache keys, ``compute_cache_key``;
- ``_session``: lookup, else run the body, then store (used by both runners).

The value codec shared with checkpoints is ``hypergraph_runners._codec``.
"""

from __future__ import annotations

from ._backend import CacheBackend as CacheBackend
from ._backend import CacheWarning as CacheWarning
from ._digest import register_digest as register_digest
from ._disk import DEFAULT_MAX_SIZE_BYTES as DEFAULT_MAX_SIZE_BYTES
from ._disk import DiskCache as DiskCache
from ._key import compute_cache_key as compute_cache_key
from ._memory import InMemoryCache as InMemoryCache

__all__ = (
    "DEFAULT_MAX_SIZE_BYTES",
    "CacheBackend",
    "CacheWarning",
    "DiskCache",
    "InMemoryCache",
    "compute_cache_key",
    "register_digest",
)
