"""The typed digest of input values: equal values agree, distinct values never collide."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import os
import subprocess
import sys
import threading
from typing import Any, NamedTuple

import pytest

from hypergraph_runners.cache._digest import Undigestable, digest, register_digest


class Color(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Pair(NamedTuple):
    a: int
    b: int


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": [value]}
    return value


DISTINCT: list[Any] = [
    1,
    1.0,
    True,
    "1",
    b"1",
    bytearray(b"1"),
    None,
    0,
    False,
    0.0,
    -0.0,
    "",
    b"",
    [],
    (),
    {},
    set(),
    frozenset(),
    [1, 2],
    (1, 2),
    [[1], 2],
    [1, [2]],
    {"a": 1},
    {"a": 1.0},
    {1: "a"},
    {"1": "a"},
    {1, 2},
    frozenset({1, 2}),
    Color.RED,
    Color.BLUE,
    Point(1, 2),
    Pair(1, 2),
    decimal.Decimal("1"),
    decimal.Decimal("1.0"),
    datetime.date(2020, 1, 1),
    datetime.datetime(2020, 1, 1),
    datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    nested(10, 1),
    nested(10, 2),
    nested(11, 1),
    complex(1, 0),
    range(3),
    "a\x00b",
    ["a", "b"],
    ["ab"],
]


def test_distinct_values_have_distinct_digests() -> None:
    digests = [digest(v) for v in DISTINCT]
    clashes = [
        (DISTINCT[i], DISTINCT[j])
        for i in range(len(digests))
        for j in range(i + 1, len(digests))
        if digests[i] == digests[j]
    ]
    assert clashes == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"x": [1, 2], "y": (3,)}, {"x": [1, 2], "y": (3,)}),
        ({3, 1, 2}, {1, 2, 3}),
        ({"b", "a", "c"}, set(["c", "b", "a"])),
        (frozenset({(1, "a"), (2, "b")}), frozenset({(2, "b"), (1, "a")})),
        (float("nan"), float("-nan")),
        (Point(1, 2), Point(1, 2)),
        ("x" * 1000, "".join(["x"] * 1000)),
    ],
)
def test_equal_values_have_equal_digests(a: Any, b: Any) -> None:
    assert a is not b or isinstance(a, float)
    assert digest(a) == digest(b)


def test_a_cycle_is_digested_without_recursion_error() -> None:
    a: list[Any] = [1]
    a.append(a)
    b: list[Any] = [1]
    b.append(b)
    assert digest(a) == digest(b)
    assert digest(a) != digest([1, [1]])


def test_an_unknown_object_is_undigestable_naming_where() -> None:
    with pytest.raises(Undigestable) as info:
        digest({"cfg": [1, threading.Lock()]})
    assert "lock" in info.value.type_name.lower()
    assert info.value.where == "['cfg'][1]"


def test_registered_types_and_the_key_hook_are_used() -> None:
    class Model:
        def __init__(self, name: str) -> None:
            self.name = name

    class Keyed:
        def __init__(self, v: int) -> None:
            self.v = v

        def __hypergraph_key__(self) -> Any:
            return ("keyed", self.v)

    with pytest.raises(Undigestable):
        digest(Model("a"))
    register_digest(Model, lambda m: m.name)
    assert digest(Model("a")) == digest(Model("a")) != digest(Model("b"))
    assert digest(Model("a")) != digest("a")
    assert digest(Keyed(1)) == digest(Keyed(1)) != digest(Keyed(2))


def test_register_digest_rejects_non_types() -> None:
    with pytest.raises(TypeError, match="How to fix"):
        register_digest("Model", len)  # type: ignore[arg-type]


def test_numpy_arrays_differ_by_dtype_and_shape_not_memory_layout() -> None:
    np = pytest.importorskip("numpy")
    a = np.arange(6, dtype="<i4")
    assert digest(a.reshape(2, 3)) == digest(np.asfortranarray(a.reshape(2, 3)))
    assert digest(a) != digest(a.view("<f4"))  # same bytes, another dtype
    assert digest(a.reshape(2, 3)) != digest(a.reshape(3, 2))


def test_the_digest_is_stable_across_processes_and_hash_seeds() -> None:
    code = (
        "from hypergraph_runners.cache._digest import digest;"
        "print(digest({'s': {'a', 'b', 'c', 'd'}, 'f': frozenset({1.5, 'x'})}).hex())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1
    local = digest({"s": {"a", "b", "c", "d"}, "f": frozenset({1.5, "x"})}).hex()
    assert outs == {local + "\n"}
