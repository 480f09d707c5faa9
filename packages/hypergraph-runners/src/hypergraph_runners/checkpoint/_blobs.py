"""Values as content-addressed blobs: encoding (naming what cannot be stored) and checked decoding.

A blob is the ``hgv1`` codec's bytes (``.._codec``, shared with the disk cache); its key is the
SHA-256 of those bytes, so equal encodings are stored once across supersteps, items and forks,
and every read re-hashes the bytes (bit rot and manual edits are caught, never decoded).
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

from hypergraph_types import CheckpointIntegrityError, CheckpointValueError
from hypergraph_types._internal import describe_exception, message, quote

from .._codec import CodecError, decode, encode

__all__ = ["blob_digest", "decode_blob", "encode_value", "unstorable"]


def blob_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_value(value: Any) -> bytes:
    """The value's blob bytes; raises what pickling raises for a value nothing can store."""
    return encode(value)


def unstorable(
    value: Any, error: BaseException, *, node: str | None, output: str, workflow_id: str
) -> CheckpointValueError:
    """The error for a value the codec refused, naming the path inside it and the type."""
    path, part = _locate(value)
    where = f"{output}{path}"
    owner = f"node {quote(node)}" if node is not None else "the run inputs"
    return CheckpointValueError(
        message(
            f"Workflow {quote(workflow_id)}: {owner} produced {quote(output)}, which cannot be "
            f"checkpointed: the value at {where} is a {type(part).__name__}",
            [f"codec error: {describe_exception(error)}", f"value path: {where}"],
            [
                "return plain data (str, numbers, lists, dicts, dataclasses, numpy arrays) "
                "and build handles such as clients, locks or files inside the node using them",
                "or run without a checkpointer",
            ],
        ),
        workflow_id=workflow_id,
        node_name=node,
        output=output,
        path=path,
        type_name=type(part).__name__,
    )


def _locate(value: Any, depth: int = 0) -> tuple[str, Any]:
    """The path (``['k'][2].attr``) of the innermost part of ``value`` that does not pickle."""
    if depth > 50:
        return "", value
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(f"[{k!r}]", v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        children = [(f"[{i}]", v) for i, v in enumerate(value)]
    elif isinstance(value, (set, frozenset)):
        children = [(f"{{{v!r}}}", v) for v in value]
    else:
        fields = getattr(value, "__dict__", None)
        if isinstance(fields, dict):
            children = [(f".{k}", v) for k, v in fields.items()]
    for label, child in children:
        try:
            pickle.dumps(child, protocol=5)
        except Exception:
            path, part = _locate(child, depth + 1)
            return label + path, part
    return "", value


def decode_blob(digest: str, data: bytes, *, workflow_id: str, what: str) -> Any:
    """The value of a stored blob, after checking its bytes against ``digest``."""
    if blob_digest(data) != digest:
        raise CheckpointIntegrityError(
            message(
                f"Workflow {quote(workflow_id)}: the stored value of {what} is corrupt "
                f"(its bytes no longer match digest {digest[:12]}...)",
                ["the database file was modified outside Hypergraph, or the disk corrupted it"],
                "fork from an earlier superstep (fork_from=..., fork_superstep=...) or start "
                "a new workflow id; restore the file from a backup if you have one",
            ),
            workflow_id=workflow_id,
        )
    try:
        return decode(data)
    except CodecError as exc:
        raise CheckpointIntegrityError(
            message(
                f"Workflow {quote(workflow_id)}: the stored value of {what} cannot be decoded",
                [str(exc)],
                "a pickled value needs the same HYPERGRAPH_SECRET (or per-user secret file) "
                "and the same classes importable as when it was written; otherwise fork or "
                "start a new workflow id",
            ),
            workflow_id=workflow_id,
        ) from None
