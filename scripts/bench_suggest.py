"""Did-you-mean cost (issue 13 case 14): 400 typos against a graph of 4,000 inputs.

Times one ``SyncRunner().run`` that fails with ``UnknownInputError`` (the suggestions are
computed while the error is built) and the bare ``suggest`` helper over the same names. Prints
seconds; it is a measurement for humans, never a test.

    uv run --frozen python scripts/bench_suggest.py
"""

from __future__ import annotations

import random
import time

from hypergraph import Graph, SyncRunner, UnknownInputError
from hypergraph_graph import FunctionNode
from hypergraph_types._format import Suggester, suggest

INPUTS = 4_000
TYPOS = 400


def wide_graph(n: int) -> Graph:
    """One node per input ``param_<i>`` (every name the same shape: the hard case)."""
    nodes = []
    for i in range(n):
        ns: dict[str, object] = {}
        exec(f"def f{i}(param_{i:04d}):\n    return param_{i:04d}", ns)
        nodes.append(FunctionNode(ns[f"f{i}"], output_name=f"out_{i:04d}"))  # type: ignore[arg-type]
    return Graph(nodes)


def typo(name: str, rng: random.Random) -> str:
    """Drop one character (``param_0123`` -> ``parm_0123``): never another input's name."""
    i = rng.randrange(len(name))
    return name[:i] + name[i + 1 :]


def main() -> None:
    rng = random.Random(13)
    graph = wide_graph(INPUTS)
    names = list(graph.inputs.all)
    typos: set[str] = set()
    while len(typos) < TYPOS:
        typos.add(typo(rng.choice(names), rng))
    values = sorted(typos)

    start = time.perf_counter()
    pool = Suggester(names)
    for t in values:
        pool.suggest(t)
    took = time.perf_counter() - start
    print(f"Suggester: {len(values)} typos x {len(names)} inputs: {took:.3f} s")

    start = time.perf_counter()
    for t in values[:40]:
        suggest(t, names)
    took = time.perf_counter() - start
    print(f"suggest() (one pool per call): 40 typos x {len(names)} inputs: {took:.3f} s")

    start = time.perf_counter()
    try:
        SyncRunner().run(graph, dict.fromkeys(values, 0))
    except UnknownInputError as exc:
        found = len(exc.suggestions)
    else:
        raise SystemExit("expected UnknownInputError")
    took = time.perf_counter() - start
    print(f"run() -> UnknownInputError with {found} suggestions: {took:.3f} s")


if __name__ == "__main__":
    main()
