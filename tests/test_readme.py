"""The README's code block runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
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


def bash_block(after: str = "## Two commands") -> list[str]:
    """The commands of the first ```bash block after a heading, comments cut."""
    text = README.read_text().split(after, 1)[1]
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines()]


def test_readme_starts_with_the_two_commands() -> None:
    # Two single lines that work on a stock Debian/Ubuntu Python too: no `pip install uv`,
    # which PEP 668 refuses there (scripts/newcomer runs them on such a Python in CI).
    assert bash_block() == [
        "python3 scripts/bootstrap uv run python examples/rag_pipeline.py",
        "python3 scripts/bootstrap bash scripts/test",
    ]
    assert all("pip install" not in line for line in bash_block())
    ci = (README.parent / ".ci" / "run").read_text()
    ci_commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert "python3 scripts/bootstrap bash scripts/test" in ci_commands
    assert "bash scripts/newcomer" in ci_commands


def test_readme_install_lines_name_every_internal_dependency() -> None:
    # pip resolves internal dependencies only from paths given on the same command line,
    # so each install line lists the whole chain the last package needs.
    root = README.parent
    lines = bash_block("## Install from a clone")
    assert len(lines) == 2
    installs = []
    for line in lines:
        words = line.split()
        assert words[:2] == ["pip", "install"], line
        installs.append({Path(w).name for w in words[2:]})
    assert installs[0] == {p.name for p in (root / "packages").iterdir() if p.is_dir()}
    assert installs[1] == {"hypergraph-types", "hypergraph-graph"}
    for names in installs:
        for name in names:
            project = tomllib.loads((root / "packages" / name / "pyproject.toml").read_text())
            internal = {
                re.split(r"[<>=\[ ]", dep, maxsplit=1)[0]
                for dep in project["project"]["dependencies"]
                if dep.startswith("hypergraph")
            }
            assert internal <= names, (name, internal - names)
