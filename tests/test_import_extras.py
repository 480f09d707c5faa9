"""``import hypergraph`` leaves the optional extras alone: rich (progress), opentelemetry (otel)
and networkx load only when a feature that needs them is used, so a plain import stays fast and
works without them installed."""

from __future__ import annotations

import subprocess
import sys

OPTIONAL = ("rich", "opentelemetry", "networkx", "pipefunc")


def test_import_hypergraph_imports_no_optional_extra() -> None:
    probe = (
        "import sys, hypergraph, hypergraph_graph, hypergraph_runners\n"
        f"print(*sorted(m for m in sys.modules if m.split('.')[0] in {OPTIONAL!r}))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []
