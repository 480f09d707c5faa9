"""Result caching: backends for ``SyncRunner(cache=...)`` / ``AsyncRunner(cache=...)``.

See docs/caching.md for what a key covers, what invalidates an entry, and the security note.

Example:
    >>> from hypergraph import Graph, SyncRunner, node
    >>> from hypergraph.cache import InMemoryCache
    >>> @node(output_name="y", cache=True)
    ... def double(x: int) -> int:
    ...     return 2 * x
    >>> runner = SyncRunner(cache=InMemoryCache())
    >>> runner.run(Graph([double]), x=2)["y"], runner.run(Graph([double]), x=2)["y"]
    (4, 4)
"""

from __future__ import annotations

from hypergraph_runners.cache import DEFAULT_MAX_SIZE_BYTES as DEFAULT_MAX_SIZE_BYTES
from hypergraph_runners.cache import CacheBackend as CacheBackend
from hypergraph_runners.cache import CacheWarning as CacheWarning
from hypergraph_runners.cache import DiskCache as DiskCache
from hypergraph_runners.cache import InMemoryCache as InMemoryCache
from hypergraph_runners.cache import compute_cache_key as compute_cache_key
from hypergraph_runners.cache import register_digest as register_digest

__all__ = (
    "DEFAULT_MAX_SIZE_BYTES",
    "CacheBackend",
    "CacheWarning",
    "DiskCache",
    "InMemoryCache",
    "compute_cache_key",
    "register_digest",
)
