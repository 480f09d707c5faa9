"""Cache keys: what makes two executions of a node interchangeable.

``key = sha256("hg-cache/1" | node kind | output names | code fingerprint | cache_version |
for each parameter, sorted by name: name, typed digest of the value)``

- The node's *kind* and *output names*: two nodes wrapping one function with different
  outputs never share an entry (the stored value is the raw return, before unpacking).
- The transitive code fingerprint (``hypergraph_graph._fingerprint``): the function, the
  helpers, closures, defaults and module constants it reaches.
- The inputs keyed by the function's *parameter* names: renaming the wiring with
  ``with_inputs`` does not split the cache, and neither the graph, the node name, the nesting
  level nor the map item is part of the key: one pure function on equal inputs shares one
  entry everywhere.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping
from typing import Any

from hypergraph_graph import FunctionNode
from hypergraph_graph._internal import code_fingerprint
from hypergraph_types._internal import did_you_mean, fmt_names, message

from ._digest import Memo, Undigestable, feed, try_digest

__all__ = ["FORMAT", "UncacheableInput", "compute_cache_key", "key_of", "static_part"]

FORMAT = b"hg-cache/1"


class UncacheableInput(TypeError):
    """An input value the digest cannot read: the call is not cached."""

    def __init__(self, node: str, param: str, error: Undigestable) -> None:
        self.node, self.param, self.type_name = node, param, error.type_name
        where = f"the value at {param}{error.where}" if error.where else None
        super().__init__(
            message(
                f"Node '{node}': input '{param}' of type {error.type_name} cannot be part of a "
                "cache key, so this call is not cached.",
                [
                    where,
                    "digestible: builtins, dataclasses, Structs, numpy arrays, registered types",
                ],
                "give the type a __hypergraph_key__() method, or call "
                "hypergraph.cache.register_digest(Type, lambda v: <its identifying fields>)",
            )
        )


def key_of(
    node: FunctionNode,
    inputs: Mapping[str, Any],
    static: Static | None = None,
    memo: Memo | None = None,
) -> str:
    """The key of calling ``node`` with ``inputs`` (current input names -> values).

    ``static`` is ``static_part(node)``, when the caller keeps it (the runners do, per plan);
    ``memo`` is the call's memo of large values already digested (``_digest.feed``).
    """
    if static is None:
        static = _static.get(node) or static_part(node)
    start, params = static
    h = start.copy()
    h.update(code_fingerprint(node.func, try_digest).encode())
    names = list(inputs) if len(inputs) < 2 else sorted(inputs, key=params.__getitem__)
    for name in names:
        param = params[name]
        h.update(b"p%d:%s" % (len(param), param))
        try:
            feed(h, inputs[name], memo)
        except Undigestable as exc:
            raise UncacheableInput(node.name, param.decode(), exc) from None
        except RecursionError:
            error = Undigestable(inputs[name], "")
            raise UncacheableInput(node.name, param.decode(), error) from None
    key: str = h.hexdigest()
    return key


# Per node (a renamed copy is another node): the hash of the parts that never change, and
# current input name -> parameter name (encoded).
Static = tuple[Any, dict[str, bytes]]
_static: weakref.WeakKeyDictionary[FunctionNode, Static] = weakref.WeakKeyDictionary()


def static_part(node: FunctionNode) -> Static:
    """The hash of the key parts that never change for ``node``, and its parameter names."""
    kind = type(node)
    h = hashlib.sha256(FORMAT)
    h.update(
        f"{kind.__module__}.{kind.__qualname__}|{node.outputs!r}|{node.cache_version!r}|".encode()
    )
    params = {cur: par.encode() for cur, par, _ in node.parameters}
    static = (h, params)
    _static[node] = static
    return static


def compute_cache_key(node: FunctionNode, inputs: Mapping[str, Any]) -> str:
    """The cache key a runner uses for ``node`` called with ``inputs`` (64 hex characters).

    ``inputs`` maps the node's input names (as wired: after ``with_inputs`` renames) to
    values; inputs left out take the function's defaults, as in a run. Raises ``TypeError``
    for a node that is not a ``FunctionNode`` or an input that cannot be digested.

    Example:
        >>> from hypergraph_graph import node
        >>> @node(output_name="y", cache=True)
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> compute_cache_key(double, {"x": 1}) == compute_cache_key(double, {"x": 1})
        True
        >>> compute_cache_key(double, {"x": 1}) == compute_cache_key(double, {"x": 1.0})
        False
    """
    if not isinstance(node, FunctionNode):
        raise TypeError(
            f"compute_cache_key takes a FunctionNode (or gate), got {type(node).__name__}. "
            "How to fix: GraphNodes are never cached; compute keys of the nodes inside."
        )
    unknown = [k for k in inputs if k not in node.inputs]
    if unknown:
        raise TypeError(
            message(
                f"Node '{node.name}' has no inputs {fmt_names(unknown)}.",
                [f"its inputs: {fmt_names(node.inputs)}", did_you_mean(unknown[0], node.inputs)],
                "key the values by the node's input names",
            )
        )
    return key_of(node, inputs)
