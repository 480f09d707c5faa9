"""Message helpers shared by every package (SPEC §6.1 message recipe)."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypergraph_types._format import (
    _EXHAUSTIVE,
    _SHORTLIST,
    Suggester,
    did_you_mean,
    fmt_names,
    message,
    quote,
    short_repr,
    suggest,
)
from support import HugeRepr, UnprintableRepr

# --- quote -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("abc", "'abc'"),
        ("", "''"),
        ("a.b", "'a.b'"),
        (42, "'42'"),
        (None, "'None'"),
    ],
)
def test_quote(name: object, expected: str) -> None:
    assert quote(name) == expected


@pytest.mark.parametrize("length", [99, 100])
def test_quote_keeps_names_up_to_100_chars(length: int) -> None:
    name = "x" * length
    assert quote(name) == f"'{name}'"


@pytest.mark.parametrize("length", [101, 150, 10_000])
def test_quote_truncates_names_over_100_chars(length: int) -> None:
    name = "".join(chr(ord("a") + i % 26) for i in range(length))
    assert quote(name) == f"'{name[:100]}...'"


# --- fmt_names ---------------------------------------------------------------------------


def test_fmt_names_quotes_and_joins_in_order() -> None:
    assert fmt_names(["b", "a", "c"]) == "'b', 'a', 'c'"
    assert fmt_names(["only"]) == "'only'"


@pytest.mark.parametrize("empty", [[], (), set(), iter([]), {}], ids=lambda v: type(v).__name__)
def test_fmt_names_empty_is_none_marker(empty: object) -> None:
    assert fmt_names(empty) == "(none)"  # type: ignore[arg-type]


def test_fmt_names_accepts_a_generator_and_truncates_long_names() -> None:
    long = "y" * 120
    assert fmt_names(n for n in ["a", long]) == f"'a', '{'y' * 100}...'"


# --- suggest / did_you_mean --------------------------------------------------------------


def test_suggest_never_returns_the_name_itself() -> None:
    assert suggest("text", ["text"]) == []
    assert suggest("text", ["text", "texts", "text"]) == ["texts"]


def test_suggest_returns_best_first() -> None:
    assert suggest("temperatur", ["temp", "tempera", "temperature"])[0] == "temperature"


def test_suggest_returns_at_most_three() -> None:
    candidates = ["query1", "query2", "query3", "query4", "query5"]
    result = suggest("query", candidates)
    assert len(result) == 3
    assert set(result) <= set(candidates)


def test_suggest_uses_cutoff_0_6() -> None:
    name = "abcdefghij"
    at_cutoff = "abcdefxxxx"  # ratio 0.6
    below_cutoff = "abcdexxxxx"  # ratio 0.5
    above_cutoff = "abcdefgxxx"  # ratio 0.7
    ratio = difflib.SequenceMatcher(None, at_cutoff, name).ratio()
    assert ratio == pytest.approx(0.6)
    assert difflib.SequenceMatcher(None, below_cutoff, name).ratio() == pytest.approx(0.5)
    assert suggest(name, [below_cutoff]) == []
    assert suggest(name, [at_cutoff]) == [at_cutoff]
    assert suggest(name, [below_cutoff, at_cutoff, above_cutoff]) == [above_cutoff, at_cutoff]


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("embedding", ["embeding", "embeddings", "embed", "bedding", "x"]),
        ("q", ["query", "q1", "qq", "a"]),
        ("top_k", ["top_p", "topk", "k", "top", "top_k_"]),
        ("x", []),
    ],
)
def test_suggest_matches_difflib(name: str, candidates: list[str]) -> None:
    expected = difflib.get_close_matches(
        name, [c for c in candidates if c != name], n=3, cutoff=0.6
    )
    assert suggest(name, candidates) == expected


def test_did_you_mean() -> None:
    assert did_you_mean("texx", ["text", "query"]) == "Did you mean 'text'?"
    assert did_you_mean("zzzz", ["text", "query"]) is None
    assert did_you_mean("text", ["text"]) is None


# --- message -----------------------------------------------------------------------------


def test_message_three_parts_with_single_fix() -> None:
    text = message("Something is wrong with 'x'", ["in node 'f'", "valid: 'y'"], "rename it")
    assert text.splitlines() == [
        "Something is wrong with 'x'",
        "  -> in node 'f'",
        "  -> valid: 'y'",
        "How to fix: rename it",
    ]


def test_message_several_fixes_become_a_list() -> None:
    text = message("What", ["where"], ["first", "second"])
    assert text.splitlines() == ["What", "  -> where", "How to fix:", "  - first", "  - second"]


def test_message_single_item_fix_list_is_one_line() -> None:
    assert message("What", (), ["only"]).splitlines() == ["What", "How to fix: only"]


def test_message_skips_none_and_empty_details() -> None:
    text = message("What", [None, "kept", ""], "fix")
    assert text.splitlines() == ["What", "  -> kept", "How to fix: fix"]


def test_message_without_fix_has_no_how_to_fix() -> None:
    assert message("What") == "What"
    assert message("What", ["d"]) == "What\n  -> d"


def test_message_accepts_generators() -> None:
    text = message("What", (d for d in ["a", "b"]), (f for f in ["x", "y"]))
    assert text.splitlines() == ["What", "  -> a", "  -> b", "How to fix:", "  - x", "  - y"]


# --- did-you-mean cost (issue 13 case 14): comparisons counted, never time ---------------


class ComparisonCounter:
    """Counts ``SequenceMatcher.set_seq1`` calls: one per candidate compared with a name."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = difflib.SequenceMatcher.set_seq1

        def counted(matcher: difflib.SequenceMatcher[str], a: str) -> None:
            self.count += 1
            original(matcher, a)

        monkeypatch.setattr(difflib.SequenceMatcher, "set_seq1", counted)


def dropped_characters(names: list[str], count: int) -> list[str]:
    """``count`` distinct typos, each one of ``names`` with one character dropped."""
    typos: dict[str, None] = {}
    for i, name in enumerate(names * 2):
        typo = name[: i % len(name)] + name[i % len(name) + 1 :]
        if typo not in names:
            typos[typo] = None
        if len(typos) == count:
            break
    return list(typos)


def test_suggestions_against_a_large_pool_do_bounded_work(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"param_{i:04d}" for i in range(4_000)]
    typos = dropped_characters(names[::7], 400)
    assert len(typos) == 400
    counter = ComparisonCounter(monkeypatch)
    pool = Suggester(names)
    found = {typo: pool.suggest(typo) for typo in typos}
    # Exhaustive search compares every typo with every name: 1,600,000 comparisons.
    assert counter.count <= len(typos) * (_SHORTLIST + 1)
    for typo, matches in found.items():
        assert 1 <= len(matches) <= 3
        assert all(m in names for m in matches)
        # As close as the name the typo came from (a dropped character: ratio 18/19).
        best = difflib.SequenceMatcher(None, matches[0], typo).ratio()
        assert best >= 2 * len(typo) / (2 * len(typo) + 1)


def test_did_you_mean_on_a_large_pool_finds_the_intended_name() -> None:
    names = [f"param_{i:04d}" for i in range(4_000)] + ["temperature"]
    assert did_you_mean("temprature", names) == "Did you mean 'temperature'?"
    assert did_you_mean("zzzzzz", names) is None


@given(
    name=st.text("abc_", min_size=1, max_size=8),
    candidates=st.lists(st.text("abc_", min_size=1, max_size=8), max_size=_EXHAUSTIVE),
)
def test_suggest_equals_difflib_on_pools_it_searches_exhaustively(
    name: str, candidates: list[str]
) -> None:
    pool = [c for c in dict.fromkeys(candidates) if c != name]
    assert suggest(name, candidates) == difflib.get_close_matches(name, pool, n=3, cutoff=0.6)


# --- short_repr (issue 13 case 11) ---------------------------------------------------------


def test_short_repr_keeps_short_values_exactly() -> None:
    assert short_repr("abc") == "'abc'"
    assert short_repr([1, 2]) == "[1, 2]"


def test_short_repr_cuts_a_long_repr_and_says_how_long_it_was() -> None:
    text = short_repr(HugeRepr())
    assert text == "x" * 200 + "... (5,000,000 characters)"
    assert short_repr(HugeRepr(), limit=10).startswith("x" * 10 + "...")


def test_short_repr_and_quote_never_raise() -> None:
    assert short_repr(UnprintableRepr()) == "<UnprintableRepr object: repr() failed>"
    assert quote(UnprintableRepr()) == "<UnprintableRepr object: str() failed>"
