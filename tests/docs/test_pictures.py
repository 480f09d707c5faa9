"""The Mermaid pictures in the docs are generated from the code on their page, so never drift.

A picture sits between marker comments that name the expression drawing it::

    <!-- mermaid: outer.to_mermaid(depth=1) -->
    ```mermaid
    ...
    ```
    <!-- /mermaid -->

The page's ``python`` blocks run in order; each expression is evaluated after the blocks above
its marker, and its text must equal the block. ``HYPERGRAPH_UPDATE_PICTURES=1`` rewrites the
blocks instead (review the diff). Only the text between the markers is ever touched.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
UPDATE = os.environ.get("HYPERGRAPH_UPDATE_PICTURES") == "1"

PICTURE = re.compile(
    r"^<!-- mermaid: (?P<expr>.+?) -->\n(?P<block>```mermaid\n.*?^```\n)?<!-- /mermaid -->$",
    re.MULTILINE | re.DOTALL,
)
PYTHON = re.compile(r"^```python[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
#: Pages about structure: each shows at least one picture of its graphs.
PAGES = [
    "graphs.md",
    "inputs.md",
    "renaming.md",
    "nesting.md",
    "static-analysis.md",
    "routing.md",
    "map.md",
    "pictures.md",
]


def fenced(text: str) -> str:
    return f"```mermaid\n{text}\n```\n"


@pytest.mark.parametrize("page", PAGES)
def test_pictures_match_the_code_on_the_page(page: str) -> None:
    path = DOCS / page
    text = path.read_text(encoding="utf-8")
    pictures = list(PICTURE.finditer(text))
    assert pictures, f"docs/{page} shows no Mermaid picture (<!-- mermaid: expr --> markers)"
    code = list(PYTHON.finditer(text))
    namespace: dict[str, object] = {"__name__": f"docs_pictures_{path.stem.replace('-', '_')}"}
    done = 0  # python blocks run so far
    stale: list[str] = []
    pieces, at = [], 0  # the page rebuilt with fresh pictures
    for m in pictures:
        while done < len(code) and code[done].start() < m.start():
            body = code[done].group("body")
            line = text.count("\n", 0, code[done].start("body"))
            source = compile("\n" * line + body, str(path), "exec", dont_inherit=True)
            with contextlib.redirect_stdout(io.StringIO()):
                exec(source, namespace)
            done += 1
        expected = fenced(str(eval(m.group("expr"), namespace)))
        if m.group("block") != expected:
            stale.append(m.group("expr"))
        pieces += [text[at : m.start()], f"<!-- mermaid: {m.group('expr')} -->\n{expected}"]
        at = m.end() - len("<!-- /mermaid -->")
    if UPDATE and stale:
        path.write_text("".join([*pieces, text[at:]]), encoding="utf-8")
        return
    assert not stale, (
        f"docs/{page}: pictures out of date: {stale}. "
        "How to fix: run the docs tests with HYPERGRAPH_UPDATE_PICTURES=1 and review the diff."
    )
