"""The value codec: exact round trips, safe decoding, signed pickle that is never forged."""

from __future__ import annotations

import datetime
import decimal
import fractions
import os
import pathlib
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

from hypergraph_runners._codec import CodecError, decode, encode, secret_key, secret_path

SAFE_VALUES: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    2**64 + 1,
    1.5,
    float("inf"),
    "text",
    b"\x00bytes",
    bytearray(b"ba"),
    [1, [2, (3, 4)]],
    (1, "a", (None,)),
    {"a": 1, "b": [1.0]},
    {1: "int key", (1, 2): "tuple key"},
    {3, 1, 2},
    frozenset({"x"}),
    complex(1, -2),
    decimal.Decimal("1.10"),
    fractions.Fraction(2, 3),
    uuid.UUID(int=7),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
    datetime.date(2024, 1, 2),
    datetime.time(1, 2, 3),
    datetime.timedelta(days=1, seconds=2, microseconds=3),
    pathlib.PurePosixPath("/a/b"),
    range(1, 10, 2),
]


@pytest.mark.parametrize("value", SAFE_VALUES, ids=lambda v: type(v).__name__)
def test_safe_values_round_trip_exactly_without_pickle(value: Any) -> None:
    data = encode(value)
    assert data[:1] == b"M"
    back = decode(data, allow_pickle=False)
    assert back == value
    assert type(back) is type(value)


def test_nested_containers_keep_their_types() -> None:
    value = {"k": [(1, {2}), frozenset({(3,)})]}
    back = decode(encode(value))
    assert back == value
    assert type(back["k"][0]) is tuple
    assert type(back["k"][0][1]) is set


class Custom:
    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and other.x == self.x

    __hash__ = None  # type: ignore[assignment]


def test_other_values_use_signed_pickle() -> None:
    data = encode(Custom(3))
    assert data[:1] == b"P"
    assert decode(data) == Custom(3)
    text = "\udcff lone surrogate"  # msgpack needs valid UTF-8: pickle keeps it exactly
    assert decode(encode(text)) == text
    with pytest.raises(CodecError):
        decode(data, allow_pickle=False)


class Marker:
    """Unpickling it creates a file: proof that bytes were unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def test_a_tampered_pickle_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    data = bytearray(encode(Marker(str(marker))))
    assert not marker.exists()
    data[-3] ^= 0x01
    with pytest.raises(CodecError, match="signature"):
        decode(bytes(data))
    assert not marker.exists()


def test_a_pickle_signed_with_another_key_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    data = encode(Marker(str(marker)), secret=b"k" * 32)
    with pytest.raises(CodecError, match="signature"):
        decode(data, secret=b"x" * 32)
    assert not marker.exists()
    decode(data, secret=b"k" * 32)  # the right key: it loads (and so creates the marker)
    assert marker.exists()


@pytest.mark.parametrize("data", [b"", b"Z123", b"M\xc1", b"M\xd4\x7f", b"P" + b"\x00" * 40])
def test_garbage_is_a_codec_error(data: bytes) -> None:
    with pytest.raises(CodecError):
        decode(data)


def test_the_key_file_is_private_and_outside_any_cache(tmp_path: Path) -> None:
    key = secret_key()
    path = secret_path()
    assert len(key) == 32
    assert path.is_relative_to(tmp_path / "config")
    assert path.read_bytes() == key
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key() == key


def test_the_environment_variable_overrides_the_key_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPERGRAPH_SECRET", "ab" * 32)
    assert secret_key() == bytes.fromhex("ab" * 32)
    assert not secret_path().exists()


def test_numpy_arrays_round_trip_by_dtype_and_shape() -> None:
    np = pytest.importorskip("numpy")
    value = np.arange(6, dtype="<i2").reshape(2, 3)
    back = decode(encode(value), allow_pickle=False)
    assert back.dtype == value.dtype and back.shape == value.shape
    assert (back == value).all()
