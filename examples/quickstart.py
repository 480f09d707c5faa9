"""Quickstart: build a graph from two functions and run it with both runners.

Run it with ``uv run python examples/quickstart.py``.
"""

from __future__ import annotations

import asyncio

from hypergraph import AsyncRunner, Graph, SyncRunner, node


@node(output_name="cleaned")
def clean(text: str) -> str:
    return text.strip().lower()


@node(output_name=("words", "count"))
def split(cleaned: str) -> tuple[list[str], int]:
    words = cleaned.split()
    return words, len(words)


graph = Graph([clean, split])
print("inputs: ", graph.inputs.required)
print("outputs:", graph.outputs)

# SyncRunner: runs in this thread, one node at a time.
result = SyncRunner().run(graph, {"text": "  Hello World "})
print("sync:   ", result.status.value, result.values)

# AsyncRunner: run() is a coroutine, so drive it with asyncio.run() in a script.
result = asyncio.run(AsyncRunner().run(graph, text="  Hello Async World "))
print("async:  ", result.status.value, result.values)

# Only the values you need.
result = SyncRunner().run(graph, text="one two three", select="count")
print("select: ", result.values)
