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

    def __init__(self, value: Any, where: str) -> None:
        kind = type(value)
        self.type_name = f"{kind.__module__}.{kind.__qualname__}"
        self.where = where
        super().__init__(f"cannot digest a value of type {self.type_name} at {where or '<top>'}")


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
    _Walk(h).walk(value, "")
    return h.digest()


def feed(h: Any, value: Any) -> None:
    """Feed ``value``'s tagged walk into the running hash ``h`` (one hash for a whole key)."""
    _Walk(h).walk(value, "")


def try_digest(value: Any) -> bytes | None:
    """``digest`` or ``None`` (the code fingerprint's value digest)."""
    try:
        return digest(value)
    except (Undigestable, RecursionError):
        return None


class _Walk:
    __slots__ = ("h", "open")

    def __init__(self, h: Any) -> None:
        self.h = h
        self.open: dict[int, int] = {}  # id of a container being walked -> its depth

    def walk(self, v: Any, where: str) -> None:
        h = self.h
        kind = type(v)
        if kind is str:
            data = v.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data))
            h.update(data)
        elif kind is int:
            h.update(b"i%d;" % v)
        elif kind is bool or v is None:
            h.update(b"T" if v is True else b"F" if v is False else b"N")
        elif kind is float:
            h.update(b"f")
            h.update(_NAN if v != v else _pack_double(v))
        elif kind is bytes or kind is bytearray or kind is memoryview:
            data = bytes(v) if kind is memoryview else v
            h.update(b"b%d%s:" % (len(data), b"a" if kind is bytearray else b""))
            h.update(data)
        elif kind is list or kind is tuple:
            self.sequence(v, b"l" if kind is list else b"t", where)
        elif kind is dict:
            self.mapping(v, where)
        elif kind is set or kind is frozenset:
            self.unordered(v, where)
        else:
            self.other(v, kind, where)

    def enter(self, v: Any) -> bool:
        """Open a container; a cycle writes a back-reference instead and returns False."""
        depth = self.open.get(id(v))
        if depth is not None:
            self.h.update(b"R%d;" % depth)
            return False
        self.open[id(v)] = len(self.open)
        return True

    def sequence(self, v: Any, tag: bytes, where: str) -> None:
        if not self.enter(v):
            return
        self.h.update(b"%s%d[" % (tag, len(v)))
        for i, item in enumerate(v):
            self.walk(item, f"{where}[{i}]")
        self.h.update(b"]")
        del self.open[id(v)]

    def mapping(self, v: dict[Any, Any], where: str) -> None:
        if not self.enter(v):
            return
        self.h.update(b"d%d{" % len(v))
        for k, item in v.items():
            self.walk(k, f"{where}.<key>")
            self.walk(item, f"{where}[{k!r}]")
        self.h.update(b"}")
        del self.open[id(v)]

    def unordered(self, v: Any, where: str) -> None:
        parts = sorted(digest(item) for item in v)  # each element on its own: order-free
        self.h.update(b"%s%d{" % (b"S" if type(v) is set else b"Z", len(parts)))
        for part in parts:
            self.h.update(part)
        self.h.update(b"}")

    def tagged(self, kind: type, text: str) -> None:
        label = f"{kind.__module__}.{kind.__qualname__}:{text}".encode("utf-8", "surrogatepass")
        self.h.update(b"o%d:" % len(label))
        self.h.update(label)

    def fields(self, v: Any, kind: type, names: Any, where: str) -> None:
        if not self.enter(v):
            return
        self.tagged(kind, "fields")
        for name in names:
            self.walk(name, where)
            self.walk(getattr(v, name), f"{where}.{name}")
        del self.open[id(v)]

    def other(self, v: Any, kind: type, where: str) -> None:  # noqa: C901
        for klass in kind.__mro__:
            key = _registry.get(klass)
            if key is not None:
                self.tagged(kind, "registered")
                self.walk(key(v), where)
                return
        hook = getattr(v, "__hypergraph_key__", None)
        if hook is not None and not isinstance(v, type):
            self.tagged(kind, "key")
            self.walk(hook(), where)
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
            self.walk(v.real, where)
            self.walk(v.imag, where)
        elif kind is range:
            self.tagged(kind, f"{v.start},{v.stop},{v.step}")
        elif dataclasses.is_dataclass(v):
            self.fields(v, kind, [f.name for f in dataclasses.fields(v)], where)
        elif isinstance(v, tuple) and hasattr(kind, "_fields"):  # NamedTuple
            self.fields(v, kind, kind._fields, where)
        elif hasattr(kind, "__struct_fields__"):  # msgspec.Struct
            self.fields(v, kind, kind.__struct_fields__, where)
        elif hasattr(kind, "__attrs_attrs__"):  # attrs
            self.fields(v, kind, [a.name for a in kind.__attrs_attrs__], where)
        elif hasattr(kind, "model_fields") and hasattr(v, "model_dump"):  # pydantic v2
            self.fields(v, kind, list(kind.model_fields), where)
        elif kind.__module__ == "numpy" or kind.__module__.startswith("numpy."):
            self.numpy(v, kind, where)
        elif isinstance(v, (str, int, float, bytes, list, tuple, dict, set, frozenset)):
            # A subclass of a builtin: its type counts, then its builtin content.
            self.tagged(kind, "builtin-subclass")
            base = next(b for b in kind.__mro__ if b.__module__ == "builtins")
            self.walk(base(v), where)
        else:
            raise Undigestable(v, where)

    def numpy(self, v: Any, kind: type, where: str) -> None:
        dtype = getattr(v, "dtype", None)
        if dtype is None or dtype.hasobject:
            if dtype is not None and hasattr(v, "tolist"):
                self.tagged(kind, f"object{getattr(v, 'shape', ())}")
                self.walk(v.tolist(), where)
                return
            raise Undigestable(v, where)
        numpy = importlib.import_module("numpy")  # already imported: v is one of its types
        shape = getattr(v, "shape", ())
        self.tagged(kind, f"{dtype.str}{shape}")
        data = numpy.ascontiguousarray(v).tobytes() if shape else v.tobytes()
        self.h.update(b"%d:" % len(data))
        self.h.update(data)
