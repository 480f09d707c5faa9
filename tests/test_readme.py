"""The README's code block runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_prints_its_comments() -> None:
    text = README.read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    code = block.group(1)
    expected = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s+# (.*)", code)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec", dont_inherit=True), {})
    assert out.getvalue().splitlines() == expected


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    commands = re.search(r"```bash\n(.*?)```", text, re.S)
    assert commands is not None
    lines = [line.split("#")[0].strip() for line in commands.group(1).splitlines()]
    assert lines == [
        "pip install uv && uv run python examples/rag_pipeline.py",
        "pip install uv && bash scripts/test",
    ]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/test" in ci
