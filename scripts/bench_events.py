"""Per-node cost of events under SyncRunner: no processor, a counting processor, the progress bar.

A chain of 100 trivial nodes is run with each configuration in interleaved rounds (round 1 of
every configuration, then round 2, ...), so drift in machine speed hits all of them alike; the
median round is reported, divided by the number of nodes.

    uv run python scripts/bench_events.py                 # 100 nodes, 15 rounds of 40 runs
    uv run python scripts/bench_events.py --rounds 5 --runs 10

The progress bar writes plain log lines to a non-terminal stream (os.devnull), as it would in
CI or a log file; rich must be installed (it is in the root test group).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from hypergraph import EventProcessor, Graph, RichProgressProcessor, SyncRunner, node


class Counter(EventProcessor):
    """The cheapest useful processor: counts events."""

    def __init__(self) -> None:
        self.count = 0

    def on_event(self, event: Any) -> None:
        self.count += 1


def chain(n: int) -> Graph:
    """``v1 = n0(v0)``, ``v2 = n1(v1)``, ...: ``n`` trivial nodes in a line."""
    nodes = []
    for i in range(n):
        namespace: dict[str, Any] = {}
        exec(f"def n{i}(v{i}):\n    return v{i} + 1", namespace)
        nodes.append(node(namespace[f"n{i}"], output_name=f"v{i + 1}"))
    return Graph(nodes, name="chain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=40, help="runs per round")
    args = parser.parse_args()

    graph = chain(args.nodes)
    runner = SyncRunner()
    counter = Counter()
    sink = open(os.devnull, "w")  # noqa: SIM115  # closed below, after every round
    progress = RichProgressProcessor(stream=sink)
    contenders: dict[str, Callable[[], Any]] = {
        "no processor": lambda: runner.run(graph, v0=0),
        "counting processor": lambda: runner.run(graph, v0=0, event_processors=[counter]),
        "progress bar (non-terminal)": lambda: runner.run(graph, v0=0, event_processors=[progress]),
    }
    for fn in contenders.values():  # warm up, and check the answer
        assert fn()[f"v{args.nodes}"] == args.nodes
    events_per_run = counter.count

    times: dict[str, list[float]] = {name: [] for name in contenders}
    gc.disable()  # collections would land in whichever contender happens to run then
    try:
        for _ in range(args.rounds):
            for name, fn in contenders.items():
                start = time.perf_counter()
                for _ in range(args.runs):
                    fn()
                times[name].append((time.perf_counter() - start) / args.runs)
            gc.collect()
    finally:
        gc.enable()
        sink.close()

    per_node = {name: statistics.median(t) / args.nodes * 1e6 for name, t in times.items()}
    base = per_node["no processor"]
    print(
        f"SyncRunner, a chain of {args.nodes} nodes, {args.rounds} interleaved rounds of "
        f"{args.runs} runs; median round; {events_per_run} events per run with a processor"
    )
    print(f"{'configuration':<30} {'per node':>10} {'extra per node':>15} {'per run':>10}")
    for name, us in per_node.items():
        extra = "-" if name == "no processor" else f"+{us - base:.2f} us"
        print(f"{name:<30} {us:>7.2f} us {extra:>15} {us * args.nodes / 1e3:>7.3f} ms")


if __name__ == "__main__":
    main()
