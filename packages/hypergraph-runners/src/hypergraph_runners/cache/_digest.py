"""The canonical typed digest of a value: what a cache key says about a node's inputs.

A streaming SHA-256 over a type-tagged walk of the value. Rules:

- every value carries a type tag, so ``1``, ``1.0``, ``True``, ``"1"`` and ``b"1"`` differ,
  and so do ``[1, 2]`` and ``(1, 2)``;
- floats by IEEE bits (``-0.0`` differs from ``0.0``; every NaN is one NaN);
- dicts by their items in insertion order (a conservative choice: iteration order can change
  a result); sets and frozensets by their sorted element digests (order-free, and stable
  across ``PYTHONHASHSEED``);
- Enum, datetime family, Decimal, Fraction, UUID, paths, range, complex: type + canonical form;
- dataclasses, NamedTuples, msgspec Structs, attrs classes and pydantic models (read by duck
  typing, never imported): type + fields in declared order;
- numpy arrays (non-object dtype) by dtype + shape + C-order bytes; numpy scalars by dtype +
  bytes (numpy is only used when the value is one of its types);
- an object with ``__hypergraph_key__()``, or of a type registered with ``register_digest``
  (looked up along the MRO): the digest of what that returns;
- cycles become back-references to the enclosing container; there is no depth limit.

Anything else raises ``Undigestable`` naming the path and type: the caller skips the cache for
that call. There is never a ``hash()``, ``repr()``, pickle or constant fallback: those are how
peers served wrong hits.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import hashlib
import importlib
import math
import pathlib
import struct
import threading
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["Undigestable", "digest", "feed", "register_digest", "try_digest"]


class Undigestable(TypeError):
    """A value the digest cannot read; ``where`` is its path inside the input (``[2].x``)."""

    def __init__(self, value: Any, where: str = "") -> None:
        kind = type(value)
        self.type_name = f"{kind.__module__}.{kind.__qualname__}"
        self.where = where  # containers prepend their part of the path as it propagates
        super().__init__(self.type_name)

    def __str__(self) -> str:
        return f"cannot digest a value of type {self.type_name} at {self.where or '<top>'}"


_registry: dict[type, Callable[[Any], Any]] = {}
_registry_lock = threading.Lock()
_pack_double = struct.Struct("<d").pack
_NAN = struct.pack("<d", math.nan)


def register_digest(kind: type, key: Callable[[Any], Any]) -> None:
    """Let values of ``kind`` (and its subclasses) enter cache keys as ``key(value)``.

    ``key`` must return something the digest reads (bytes, str, tuples, dicts...) that changes
    whenever the value would change a node's result.

    Example:
        >>> class Model:
        ...     def __init__(self, name: str) -> None:
        ...         self.name = name
        >>> register_digest(Model, lambda m: m.name)
        >>> digest(Model("a")) == digest(Model("a")) != digest(Model("b"))
        True
    """
    if not isinstance(kind, type) or not callable(key):
        raise TypeError(
            f"register_digest takes a type and a function, got {kind!r} and {key!r}. "
            "How to fix: register_digest(MyType, lambda value: value.some_stable_field)."
        )
    with _registry_lock:
        _registry[kind] = key


def digest(value: Any) -> bytes:
    """The 32-byte digest of ``value``; raises ``Undigestable`` for what it cannot read."""
    h = hashlib.sha256(b"hg-digest/1")
    walk = _Walk(h)
    walk.walk(value)
    walk.flush()
    return h.digest()


#: id -> (object, digest) of large ``bytes`` / ``str`` values already digested in one call.
Memo = dict[int, tuple[Any, bytes]]


def feed(h: Any, value: Any, memo: Memo | None = None) -> None:
    """Feed ``value``'s tagged walk into the running hash ``h`` (one hash for a whole key).

    With ``memo`` (one per ``run()`` / ``map()`` call), a large immutable ``bytes`` or ``str``
    is hashed once per call however many executions take it (a value broadcast to every map
    item); the memo holds the object, so its id cannot be reused meanwhile.
    """
    walk = _Walk(h, memo)
    walk.walk(value)
    walk.flush()


def try_digest(value: Any) -> bytes | None:
    """``digest`` or ``None`` (the code fingerprint's value digest)."""
    try:
        return digest(value)
    except (Undigestable, RecursionError):
        return None


_BIG = 1 << 16  # bytes / str at least this long enter as their own SHA-256 (memoizable)
_sha256 = hashlib.sha256
_MEMO_SIZE = 16
_memo_lock = threading.Lock()


def _large_digest(v: bytes | str) -> bytes:
    data = v if type(v) is bytes else v.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
    return _sha256(data).digest()


class _Walk:
    """One digest: small parts are gathered in a buffer, hashed in large blocks (faster)."""

    __slots__ = ("buf", "h", "memo", "open", "put")

    def __init__(self, h: Any, memo: Memo | None = None) -> None:
        self.h = h
        self.memo = memo
        self.buf = bytearray()
        self.put = self.buf.extend
        self.open: dict[int, int] = {}  # id of a container being walked -> its depth

    def flush(self) -> None:
        self.h.update(self.buf)
        self.buf.clear()

    def big(self, data: Any) -> None:
        """Feed a large buffer straight to the hash, after what is gathered so far."""
        if len(data) < _BIG:
            self.put(data)
            return
        self.flush()
        self.h.update(data)

    def large(self, v: bytes | str) -> None:
        """A long ``bytes`` / ``str`` enters as its own SHA-256, computed once per call."""
        memo = self.memo
        if memo is None:
            inner = _large_digest(v)
        else:
            # Under one lock: concurrent map items taking one broadcast value hash it once.
            with _memo_lock:
                found = memo.pop(id(v), None)
                inner = found[1] if found is not None and found[0] is v else _large_digest(v)
                # Least recently used out first: a few entries keep what is reused (a
                # broadcast value) without holding every distinct item of a long map alive.
                memo[id(v)] = (v, inner)
                if len(memo) > _MEMO_SIZE:
                    del memo[next(iter(memo))]
        self.put(b"H%s" % (b"b" if type(v) is bytes else b"s"))
        self.put(inner)

    def walk(self, v: Any) -> None:
        h = self
        put = self.put
        kind = type(v)
        if kind is str:
            if len(v) >= _BIG:
                h.large(v)
                return
            data = v.encode("utf-8", "surrogatepass")
            put(b"s%d:" % len(data))
            put(data)
        elif kind is int:
            put(b"i%d;" % v)
        elif kind is bool or v is None:
            put(b"T" if v is True else b"F" if v is False else b"N")
        elif kind is float:
            put(b"f")
            put(_NAN if v != v else _pack_double(v))
        elif kind is bytes and len(v) >= _BIG:
            h.large(v)
        elif kind is bytes or kind is bytearray or kind is memoryview:
            data = bytes(v) if kind is memoryview else v
            put(b"b%d%s:" % (len(data), b"a" if kind is bytearray else b""))
            h.big(data)
        elif kind is list or kind is tuple:
            self.sequence(v, b"l" if kind is list else b"t")
        elif kind is dict:
            self.mapping(v)
        elif kind is set or kind is frozenset:
            self.unordered(v)
        else:
            self.other(v, kind)

    def enter(self, v: Any) -> bool:
        """Open a container; a cycle writes a back-reference instead and returns False."""
        depth = self.open.get(id(v))
        if depth is not None:
            self.put(b"R%d;" % depth)
            return False
        self.open[id(v)] = len(self.open)
        return True

    def sequence(self, v: Any, tag: bytes) -> None:
        if not self.enter(v):
            return
        self.put(b"%s%d[" % (tag, len(v)))
        i = 0
        try:
            for i, item in enumerate(v):  # noqa: B007 - i names the failing item below
                self.walk(item)
        except Undigestable as exc:
            exc.where = f"[{i}]{exc.where}"
            raise
        self.put(b"]")
        del self.open[id(v)]

    def mapping(self, v: dict[Any, Any]) -> None:
        if not self.enter(v):
            return
        self.put(b"d%d{" % len(v))
        walk = self.walk
        for k, item in v.items():
            try:
                walk(k)
            except Undigestable as exc:
                exc.where = f".<key>{exc.where}"
                raise
            try:
                walk(item)
            except Undigestable as exc:
                exc.where = f"[{k!r}]{exc.where}"
                raise
        self.put(b"}")
        del self.open[id(v)]

    def unordered(self, v: Any) -> None:
        try:
            parts = sorted(digest(item) for item in v)  # each element on its own: order-free
        except Undigestable as exc:
            exc.where = f".<element>{exc.where}"
            raise
        self.put(b"%s%d{" % (b"S" if type(v) is set else b"Z", len(parts)))
        for part in parts:
            self.put(part)
        self.put(b"}")

    def tagged(self, kind: type, text: str) -> None:
        label = f"{kind.__module__}.{kind.__qualname__}:{text}".encode("utf-8", "surrogatepass")
        self.put(b"o%d:" % len(label))
        self.put(label)

    def fields(self, v: Any, kind: type, names: Any) -> None:
        if not self.enter(v):
            return
        self.tagged(kind, "fields")
        for name in names:
            self.walk(name)
            try:
                self.walk(getattr(v, name))
            except Undigestable as exc:
                exc.where = f".{name}{exc.where}"
                raise
        del self.open[id(v)]

    def other(self, v: Any, kind: type) -> None:  # noqa: C901
        for klass in kind.__mro__:
            key = _registry.get(klass)
            if key is not None:
                self.tagged(kind, "registered")
                self.walk(key(v))
                return
        hook = getattr(v, "__hypergraph_key__", None)
        if hook is not None and not isinstance(v, type):
            self.tagged(kind, "key")
            self.walk(hook())
        elif isinstance(v, enum.Enum):
            self.tagged(kind, v.name)
        elif isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
            tz = getattr(v, "tzinfo", None)
            self.tagged(kind, f"{v.isoformat()}|{tz!r}|{getattr(v, 'fold', 0)}")
        elif isinstance(v, datetime.timedelta):
            self.tagged(kind, f"{v.days},{v.seconds},{v.microseconds}")
        elif isinstance(v, (decimal.Decimal, fractions.Fraction, uuid.UUID, pathlib.PurePath)):
            self.tagged(kind, str(v))
        elif kind is complex:
            self.tagged(kind, "")
            self.walk(v.real)
            self.walk(v.imag)
        elif kind is range:
            self.tagged(kind, f"{v.start},{v.stop},{v.step}")
        elif dataclasses.is_dataclass(v):
            self.fields(v, kind, [f.name for f in dataclasses.fields(v)])
        elif isinstance(v, tuple) and hasattr(kind, "_fields"):  # NamedTuple
            self.fields(v, kind, kind._fields)
        elif hasattr(kind, "__struct_fields__"):  # msgspec.Struct
            self.fields(v, kind, kind.__struct_fields__)
        elif hasattr(kind, "__attrs_attrs__"):  # attrs
            self.fields(v, kind, [a.name for a in kind.__attrs_attrs__])
        elif hasattr(kind, "model_fields") and hasattr(v, "model_dump"):  # pydantic v2
            self.fields(v, kind, list(kind.model_fields))
        elif kind.__module__ == "numpy" or kind.__module__.startswith("numpy."):
            self.numpy(v, kind)
        elif isinstance(v, (str, int, float, bytes, list, tuple, dict, set, frozenset)):
            # A subclass of a builtin: its type counts, then its builtin content.
            self.tagged(kind, "builtin-subclass")
            base = next(b for b in kind.__mro__ if b.__module__ == "builtins")
            self.walk(base(v))
        else:
            raise Undigestable(v)

    def numpy(self, v: Any, kind: type) -> None:
        dtype = getattr(v, "dtype", None)
        if dtype is None or dtype.hasobject:
            if dtype is not None and hasattr(v, "tolist"):
                self.tagged(kind, f"object{getattr(v, 'shape', ())}")
                self.walk(v.tolist())
                return
            raise Undigestable(v)
        numpy = importlib.import_module("numpy")  # already imported: v is one of its types
        shape = getattr(v, "shape", ())
        self.tagged(kind, f"{dtype.str}{shape}")
        data = numpy.ascontiguousarray(v).tobytes() if shape else v.tobytes()
        self.put(b"%d:" % len(data))
        self.big(data)
