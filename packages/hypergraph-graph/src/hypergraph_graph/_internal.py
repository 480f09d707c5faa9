"""What hypergraph-runners uses of ``hypergraph_graph`` beyond its public names.

Not for users. The runners import these from here and from nowhere else inside this package
(``tests/test_layers.py`` checks); a patch or minor release of hypergraph-graph keeps every
name below with a compatible signature.
"""

from ._fingerprint import FingerprintError, code_fingerprint
from ._gate import decide

__all__ = ["FingerprintError", "code_fingerprint", "decide"]
