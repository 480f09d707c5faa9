"""mkdocs hooks: publish the repository files that docs/ links to (tests, examples).

The pages link to the tests that prove them and to the examples with paths relative to the
repository (``../tests/runners/test_map.py``), which work when browsing the repository but
point outside ``docs/`` for mkdocs. This hook copies each linked file into the site under
``source/`` and rewrites the links to it, so they work on the site too; a link to a file that
does not exist stays as it was and fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(\.\./(?P<path>(?:tests|examples)/[^)#\s]+)(?P<anchor>#[^)\s]*)?\)")


def on_files(files: Files, config: Any) -> Files:
    docs = Path(config["docs_dir"])
    wanted = {m["path"] for page in docs.rglob("*.md") for m in LINK.finditer(page.read_text())}
    for path in sorted(wanted):
        source = ROOT / path
        if source.is_file():
            files.append(File.generated(config, f"source/{path}", abs_src_path=str(source)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        path = match["path"]
        if not (ROOT / path).is_file():
            return match.group(0)  # left broken on purpose: --strict reports it
        target = posixpath.relpath(f"source/{path}", here or ".")
        return f"]({target}{match['anchor'] or ''})"

    return LINK.sub(rewrite, markdown)
