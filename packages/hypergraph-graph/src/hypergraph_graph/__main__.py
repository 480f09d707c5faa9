"""``python -m hypergraph_graph describe package.module:graph``."""

from __future__ import annotations

import sys

from ._describe import main

if __name__ == "__main__":
    sys.exit(main())
