"""The value codec ``hgv1``: bytes for values stored outside the process (cache, checkpoints).

Two tiers, told apart by the first byte:

- ``M`` (safe): msgspec msgpack with a fixed set of extension types (tuple, set, frozenset,
  dict with non-string keys, big int, complex, Decimal, Fraction, UUID, datetime family,
  paths, range, bytearray, numpy arrays of non-object dtype). Decoding imports nothing chosen by
  the data and calls no user constructor: it can be fed anything.
- ``P`` (pickle): everything else, as ``pickle`` protocol 5 behind an HMAC-SHA256 of the
  payload. The MAC is checked before ``pickle.loads`` is reached; a mismatch raises
  ``CodecError`` and the bytes are never unpickled.

The HMAC key is never stored next to the data (a cache copied from another machine, or shipped
inside a repository, then fails verification instead of executing code). It comes from
``HYPERGRAPH_SECRET`` (hex) or from ``<user config dir>/hypergraph/secret`` (32 random bytes
created on first use with mode 0600): ``$XDG_CONFIG_HOME`` or ``~/.config`` on POSIX,
``%APPDATA%`` on Windows. ``secret_key()`` resolves it; callers may pass their own.
"""

from __future__ import annotations

import datetime
import decimal
import fractions
import hashlib
import hmac
import importlib
import os
import pathlib
import pickle
import sys
import uuid
from typing import Any

import msgspec

__all__ = ["CodecError", "decode", "encode", "secret_key", "secret_path"]


class CodecError(ValueError):
    """Bytes that do not decode: corrupt, truncated, or signed with another key."""


_SAFE = b"M"
_PICKLED = b"P"
_MAC_SIZE = 32
_INT64 = range(-(2**63), 2**64)

# Extension codes: fixed forever (stored data depends on them).
_TUPLE, _SET, _FROZENSET, _DICT, _BIGINT, _COMPLEX, _DECIMAL, _FRACTION = range(1, 9)
_UUID, _DATETIME, _DATE, _TIME, _TIMEDELTA, _PATH, _RANGE, _BYTEARRAY, _NDARRAY = range(9, 18)
_PATHS: dict[str, type[pathlib.PurePath]] = {
    "PurePosixPath": pathlib.PurePosixPath,
    "PureWindowsPath": pathlib.PureWindowsPath,
    "PosixPath": pathlib.PurePosixPath,  # concrete paths come back pure: no filesystem access
    "WindowsPath": pathlib.PureWindowsPath,
    "PurePath": pathlib.PurePath,
}

_encoder = msgspec.msgpack.Encoder()


class _NotSafe(Exception):
    """The value holds something the safe tier does not cover: use the pickle tier."""


def encode(value: Any, secret: bytes | None = None) -> bytes:
    """``value`` as bytes: the safe tier if it covers the value, else signed pickle.

    ``secret`` is the HMAC key for the pickle tier (``secret_key()`` when ``None``, resolved
    only if the pickle tier is needed). Raises what ``pickle`` raises for a value it cannot
    pickle.
    """
    try:
        return _SAFE + _encoder.encode(_wire(value))
    except Exception:
        pass
    payload = pickle.dumps(value, protocol=5)
    key = secret_key() if secret is None else secret
    return _PICKLED + hmac.digest(key, payload, "sha256") + payload


def decode(data: bytes, secret: bytes | None = None, *, allow_pickle: bool = True) -> Any:
    """The value ``encode`` stored; ``CodecError`` if ``data`` is corrupt or not ours."""
    tier = data[:1]
    if tier == _SAFE:
        try:
            return msgspec.msgpack.decode(data[1:], ext_hook=_unext)
        except (msgspec.DecodeError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise CodecError(f"corrupt value ({exc})") from None
    if tier == _PICKLED and allow_pickle:
        mac, payload = data[1 : 1 + _MAC_SIZE], data[1 + _MAC_SIZE :]
        key = secret_key() if secret is None else secret
        if not hmac.compare_digest(mac, hmac.digest(key, payload, "sha256")):
            raise CodecError("signature mismatch (tampered, or written with another secret)")
        try:
            return pickle.loads(payload)
        except Exception as exc:  # a class that moved or a library that changed
            raise CodecError(
                f"signed pickle no longer loads ({type(exc).__name__}: {exc})"
            ) from None
    raise CodecError(f"unknown tier {tier!r}")


def _wire(v: Any) -> Any:  # noqa: C901 - one dispatch table
    """``v`` rewritten into what msgpack stores exactly, with extension types for the rest."""
    kind = type(v)
    if kind is str or kind is float or kind is bool or v is None or kind is bytes:
        return v
    if kind is int:
        return v if v in _INT64 else _ext(_BIGINT, str(v).encode())
    if kind is list:
        return [_wire(x) for x in v]
    if kind is dict:
        if all(type(k) is str for k in v):
            return {k: _wire(x) for k, x in v.items()}
        return _ext(_DICT, [[_wire(k), _wire(x)] for k, x in v.items()])
    if kind is tuple:
        return _ext(_TUPLE, [_wire(x) for x in v])
    if kind is set or kind is frozenset:
        return _ext(_SET if kind is set else _FROZENSET, [_wire(x) for x in v])
    if kind is complex:
        return _ext(_COMPLEX, [v.real, v.imag])
    if kind is decimal.Decimal:
        return _ext(_DECIMAL, str(v).encode())
    if kind is fractions.Fraction:
        return _ext(_FRACTION, [_wire(v.numerator), _wire(v.denominator)])
    if kind is uuid.UUID:
        return _ext(_UUID, v.bytes)
    if kind is datetime.datetime or kind is datetime.time:
        if v.tzinfo is not None and v.tzinfo is not datetime.UTC:
            raise _NotSafe  # zoneinfo and friends: pickle keeps them exactly
        code = _DATETIME if kind is datetime.datetime else _TIME
        return _ext(code, [v.isoformat(), v.fold])
    if kind is datetime.date:
        return _ext(_DATE, v.isoformat().encode())
    if kind is datetime.timedelta:
        return _ext(_TIMEDELTA, [v.days, v.seconds, v.microseconds])
    if kind.__name__ in _PATHS and isinstance(v, pathlib.PurePath):
        return _ext(_PATH, [kind.__name__, str(v)])
    if kind is range:
        return _ext(_RANGE, [v.start, v.stop, v.step])
    if kind is bytearray:
        return _ext(_BYTEARRAY, bytes(v))
    if kind.__module__ == "numpy" and kind.__name__ == "ndarray" and not v.dtype.hasobject:
        if v.dtype.fields is not None:
            raise _NotSafe  # structured dtypes: pickle
        return _ext(_NDARRAY, [v.dtype.str, list(v.shape), v.tobytes(order="C")])
    raise _NotSafe


def _ext(code: int, payload: Any) -> msgspec.msgpack.Ext:
    data = payload if type(payload) is bytes else _encoder.encode(payload)
    return msgspec.msgpack.Ext(code, data)


def _unext(code: int, data: memoryview) -> Any:  # noqa: C901
    raw = bytes(data)
    if code == _BIGINT:
        return int(raw.decode())
    if code == _DECIMAL:
        return decimal.Decimal(raw.decode())
    if code == _UUID:
        return uuid.UUID(bytes=raw)
    if code == _DATE:
        return datetime.date.fromisoformat(raw.decode())
    if code == _BYTEARRAY:
        return bytearray(raw)
    items = msgspec.msgpack.decode(raw, ext_hook=_unext)
    if code == _TUPLE:
        return tuple(items)
    if code == _SET:
        return set(items)
    if code == _FROZENSET:
        return frozenset(items)
    if code == _DICT:
        return {k: v for k, v in items}
    if code == _COMPLEX:
        return complex(*items)
    if code == _FRACTION:
        return fractions.Fraction(*items)
    if code == _DATETIME:
        return datetime.datetime.fromisoformat(items[0]).replace(fold=items[1])
    if code == _TIME:
        return datetime.time.fromisoformat(items[0]).replace(fold=items[1])
    if code == _TIMEDELTA:
        return datetime.timedelta(*items)
    if code == _PATH:
        return _PATHS[items[0]](items[1])
    if code == _RANGE:
        return range(*items)
    if code == _NDARRAY:
        numpy = importlib.import_module("numpy")  # a fixed type: never a name from the data

        dtype, shape, buffer = items
        return numpy.frombuffer(buffer, dtype=numpy.dtype(dtype)).reshape(shape).copy()
    raise CodecError(f"unknown extension type {code}")


# -- the HMAC key ---------------------------------------------------------------------------

SECRET_ENV = "HYPERGRAPH_SECRET"


def secret_path() -> pathlib.Path:
    """Where the per-user HMAC key lives (never inside a cache directory)."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(pathlib.Path.home() / "AppData" / "Roaming")
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or str(pathlib.Path.home() / ".config")
    return pathlib.Path(base) / "hypergraph" / "secret"


def secret_key() -> bytes:
    """The HMAC key: ``$HYPERGRAPH_SECRET`` (hex), else the per-user key file (created once)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        try:
            return bytes.fromhex(env)
        except ValueError:
            return hashlib.sha256(env.encode()).digest()  # a passphrase: stretch it to 32 bytes
    path = secret_path()
    known = _keys.get(path)
    if known is not None:
        return known
    try:
        key = _keys[path] = _read_key(path)
        return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_key(path)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
        f.flush()
        os.fsync(f.fileno())
    return _read_key(path)


_keys: dict[pathlib.Path, bytes] = {}


def _read_key(path: pathlib.Path) -> bytes:
    data = path.read_bytes()
    if len(data) < 32:  # a concurrent creator has not finished writing: wait for it
        import time

        for _ in range(100):
            time.sleep(0.01)
            data = path.read_bytes()
            if len(data) >= 32:
                break
    return data
