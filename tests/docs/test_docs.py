"""The docs stay true: every ```python block of every page runs.

Each page's ``python`` blocks run in order in one namespace. Printed output is checked where the
docs claim it, in two forms:

- ``print(expr)  # expected`` on one line;
- ``print(expr)`` followed directly by comment lines, which together are the expected output.

Every such claim must actually print (an expected error that is never raised fails the test).

A ``python`` block whose first line is ``# <module>.py`` is also written to a temporary directory,
and each ``$ python -m hypergraph_graph ...`` command of a ``console`` block is run there; the
lines after a command are its expected output (stdout then stderr; output starting with ``error:``
means exit status 2, anything else 0). Hashes (64 hex digits), run ids (``run-`` and 12 hex
digits) and memory addresses are masked before comparing.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The structure layer (hypergraph_graph only) ...
GRAPH_PAGES = [
    "nodes.md",
    "graphs.md",
    "inputs.md",
    "renaming.md",
    "nesting.md",
    "validation.md",
    "static-analysis.md",
    "pictures.md",
]
# ... and execution, written for users of the full install (they import the facade).
RUNTIME_PAGES = [
    "runners.md",
    "errors.md",
    "concurrency.md",
    "map.md",
    "nested-runs.md",
    "routing.md",
    "observe.md",
    "coming-from-hypergraph.md",
    "caching.md",
    "agent-loops.md",
    "durable-runs.md",  # issue 17
    "human-in-the-loop.md",
    # executors: map on Dask and process pools
    "scaling-out.md",
]
PAGES = GRAPH_PAGES + RUNTIME_PAGES
# Pages that also show optional extras: skipped where those are not installed (the facade's
# isolation run has neither rich nor the OpenTelemetry SDK).
NEEDS = {"observe.md": ("rich", "opentelemetry.sdk"), "scaling-out.md": ("distributed",)}

FENCE = re.compile(r"^```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINT = re.compile(r"^(?P<indent>\s*)print\((?P<args>.*?)\)\s*(?:#\s?(?P<inline>.*))?$")
COMMENT = re.compile(r"^\s*#(?: (?P<text>.*))?$")
MODULE_HEADER = re.compile(r"^# (?P<module>\w+)\.py\s*$")
MASKS = [
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\brun-[0-9a-f]{12}\b"), "run-<id>"),
    (re.compile(r"0x[0-9a-f]+"), "0x..."),
]


@dataclass
class Block:
    lang: str
    body: str
    line: int  # line number of the first body line in the page


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        first_line = text.count("\n", 0, m.start("body")) + 1
        found.append(Block(m.group("lang"), m.group("body"), first_line))
    return found


def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def with_output_checks(source: str, first_line: int) -> tuple[str, list[int]]:
    """Turn each ``print`` that claims an output into a call that checks it.

    Returns the new source (same line count) and the page lines of the claims.
    """
    lines = source.splitlines()
    claims = []
    for i, line in enumerate(lines):
        m = PRINT.match(line)
        if not m:
            continue
        if m.group("inline") is not None:
            expected = [m.group("inline")]
        else:
            expected = []
            for following in lines[i + 1 :]:
                c = COMMENT.match(following)
                if not c:
                    break
                expected.append(c.group("text") or "")
        if expected:
            claims.append(first_line + i)
            lines[i] = (
                f"{m.group('indent')}__check_output__({m.group('args')}, "
                f"expected={chr(10).join(expected)!r}, line={first_line + i})"
            )
    return "\n".join(lines) + "\n", claims


class OutputChecker:
    """Installed into a page's namespace as ``__check_output__``; remembers what it checked."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.checked: set[int] = set()

    def __call__(self, *args: object, expected: str, line: int) -> None:
        actual = " ".join(str(a) for a in args)
        print(actual)
        assert mask(actual) == mask(expected), (
            f"docs/{self.page}:{line}: printed output differs from the docs\n"
            f"--- docs ---\n{expected}\n--- actual ---\n{actual}"
        )
        self.checked.add(line)


def run_console(block: Block, cwd: Path, page: str) -> None:
    commands: list[tuple[str, list[str]]] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    for command, expected in commands:
        argv = shlex.split(command)
        assert argv[:3] == ["python", "-m", "hypergraph_graph"], f"unexpected command {command!r}"
        done = subprocess.run(
            [sys.executable, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=30
        )
        actual = done.stdout + done.stderr
        failing = bool(expected) and expected[0].startswith("error:")
        assert done.returncode == (2 if failing else 0), (
            f"docs/{page}:{block.line}: {command!r} exited with {done.returncode}\n{actual}"
        )
        assert mask(actual) == mask("\n".join(expected)), (
            f"docs/{page}:{block.line}: output of {command!r} differs from the docs\n"
            f"--- docs ---\n{chr(10).join(expected)}\n--- actual ---\n{actual}"
        )


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, tmp_path: Path) -> None:
    for module in NEEDS.get(page, ()):
        pytest.importorskip(module)
    found = blocks(DOCS / page)
    python = [b for b in found if b.lang == "python"]
    assert python, f"docs/{page} has no python examples"
    checker = OutputChecker(page)
    namespace: dict[str, object] = {
        "__name__": f"docs_{Path(page).stem.replace('-', '_')}",
        "__check_output__": checker,
    }
    claims: list[int] = []
    for block in python:
        header = MODULE_HEADER.match(block.body.splitlines()[0])
        if header:
            (tmp_path / f"{header.group('module')}.py").write_text(block.body, encoding="utf-8")
        # Leading newlines keep tracebacks pointing at the right line of the page.
        checked_source, block_claims = with_output_checks(block.body, block.line)
        claims += block_claims
        source = "\n" * (block.line - 1) + checked_source
        # dont_inherit: this file's `from __future__ import annotations` must not leak in.
        code = compile(source, str(DOCS / page), "exec", dont_inherit=True)
        exec(code, namespace)
    # An output that never printed (say, an expected error that was not raised) is a lie too.
    unchecked = [line for line in claims if line not in checker.checked]
    assert not unchecked, f"docs/{page}: these printed outputs never happened: lines {unchecked}"
    for block in found:
        if block.lang == "console":
            run_console(block, tmp_path, page)


@pytest.mark.parametrize("page", RUNTIME_PAGES)
def test_page_imports_the_facade(page: str) -> None:
    """Users install ``hypergraph-runtime``: the pages import from ``hypergraph``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    assert "from hypergraph import" in text
    assert "from hypergraph_graph" not in text and "from hypergraph_types" not in text


def test_spec_gates_rules_are_numbered_once_and_in_order() -> None:
    """``docs/spec-gates.md``: requirement headings ``#### GATE-NN`` are 01, 02, ... once each."""
    text = (DOCS / "spec-gates.md").read_text(encoding="utf-8")
    ids = re.findall(r"^#### GATE-(\d{2}) ", text, re.MULTILINE)
    assert ids, "docs/spec-gates.md has no GATE-NN rules"
    assert ids == [f"{i:02d}" for i in range(1, len(ids) + 1)], ids
    # Every cross-reference points to an existing rule.
    referenced = set(re.findall(r"GATE-(\d{2})", text))
    assert referenced <= set(ids), sorted(referenced - set(ids))


# Things a reader of docs/ does not have: the internal contract files, their section numbers and
# requirement ids, and the project's issue history. (GATE-nn are spec-gates.md's own rule
# numbers, defined on that page.)
INTERNAL = re.compile(
    r"RELIABILITY\.md|SPEC\.md|\bSPEC\b|§|\b[Ii]ssue \d+|\bthe issue\b"
    r"|\b(?!GATE-)[A-Z]{2,6}-\d{2}\b|hypergraph v1\.3"
)


@pytest.mark.parametrize("page", sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")))
def test_docs_speak_to_users(page: str) -> None:
    found = [
        f"line {n}: {m.group(0)!r}"
        for n, line in enumerate((DOCS / page).read_text().splitlines(), 1)
        for m in INTERNAL.finditer(line)
    ]
    assert not found, found
