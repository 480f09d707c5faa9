"""What identifies a workflow's graph and inputs: structure hash, code manifest, value digests.

- The *structure* covers node names, kinds, inputs, outputs, wiring (which is by name), gate
  targets, map configuration, the graph's bound values (by digest) and nested graphs,
  recursively; not code. A difference refuses a resume (fork instead).
- The *manifest* maps each node to its code fingerprint (``hypergraph_graph._fingerprint``: the
  function and the helpers, closures and constants it reaches); a GraphNode's entry digests its
  inner graph's manifest. A difference matters only for nodes that already completed.
- Input and item digests use the cache's typed value digest (stable across processes, sets
  order-free); a value it cannot read is digested by its encoded bytes instead.
"""

from __future__ import annotations

import hashlib
import os
import weakref
from typing import Any

from hypergraph_graph import Graph
from hypergraph_graph._internal import FingerprintError, code_fingerprint

from .._codec import encode
from .._plan import plan_of
from ..cache._digest import try_digest

__all__ = ["manifest_of", "structure_diff", "structure_of", "value_digest"]

_structures: weakref.WeakKeyDictionary[Graph, dict[str, str]] = weakref.WeakKeyDictionary()


def structure_of(graph: Graph) -> dict[str, str]:
    """Per node (and ``"<bound>"``), a digest of its structure (see the module docstring)."""
    found = _structures.get(graph)
    if found is not None:
        return found
    bound = sorted((k, value_digest(v)) for k, v in graph.inputs.bound.items())
    parts = {"<bound>": _sha(repr(bound))}
    plan = plan_of(graph)
    for p in plan.nodes:
        targets = [plan.nodes[t].name for t in p.targets]
        part = f"{type(p.node).__name__}|{p.inputs}|{p.outputs}|{targets}|{p.watch}"
        gn = p.graph_node
        if gn is not None:
            part += f"|map:{gn.map_config}|{sorted(structure_of(gn.graph).items())}"
        parts[p.name] = _sha(part)
    _structures[graph] = parts
    return parts


def structure_diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """What changed between two structures, one line per node."""
    lines = [f"node {n!r} added" for n in new if n not in old]
    lines += [f"node {n!r} removed" for n in old if n not in new]
    lines += [
        "graph bindings changed" if n == "<bound>" else f"node {n!r}: inputs, outputs or wiring"
        for n in new
        if n in old and old[n] != new[n]
    ]
    return lines


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def manifest_of(graph: Graph) -> dict[str, str]:
    """Node name -> code fingerprint, for the nodes of ``graph`` (see the module docstring)."""
    out: dict[str, str] = {}
    for p in plan_of(graph).nodes:
        gn = p.graph_node
        if gn is not None:
            inner = sorted(manifest_of(gn.graph).items())
            out[p.name] = hashlib.sha256(repr(inner).encode()).hexdigest()
        elif p.func is not None:
            try:
                out[p.name] = code_fingerprint(p.func, try_digest)
            except FingerprintError:
                out[p.name] = p.node.definition_hash  # its own source, at least
        else:
            out[p.name] = p.node.definition_hash
    return out


def value_digest(value: Any) -> str:
    """A digest equal for equal values across processes (``"b:"``: by encoded bytes).

    A value neither way can read gets a digest of its own that nothing else matches: what it
    identifies (a child run, a map item) then runs again rather than being restored.
    """
    found = try_digest(value)
    if found is not None:
        return found.hex()
    try:
        return "b:" + hashlib.sha256(encode(value)).hexdigest()
    except Exception:
        return "u:" + os.urandom(16).hex()
