"""What hypergraph-runners uses of ``hypergraph_graph`` beyond its public names.

Not for users. The runners import these from here and from nowhere else inside this package
(``tests/test_layers.py`` checks); a patch or minor release of hypergraph-graph keeps every
name below with a compatible signature. The fingerprinting names are loaded on first use, so
a run without a cache never imports the fingerprinting module.
"""

from typing import TYPE_CHECKING, Any

from ._gate import decide

if TYPE_CHECKING:
    from ._fingerprint import FingerprintError, code_fingerprint

__all__ = ["FingerprintError", "code_fingerprint", "decide"]


def __getattr__(name: str) -> Any:
    if name in ("FingerprintError", "code_fingerprint"):
        from . import _fingerprint

        return getattr(_fingerprint, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
