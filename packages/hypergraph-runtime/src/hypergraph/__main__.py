"""``python -m hypergraph runs PATH [list | show ID | steps ID]``: inspect stored workflows."""

from __future__ import annotations

import sys


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] != "runs":
        print(
            "usage: python -m hypergraph runs PATH [list | show ID | steps ID]\n"
            "How to fix: pass the 'runs' command and a SqliteCheckpointer database path",
            file=sys.stderr,
        )
        return 2
    from hypergraph_runners.checkpoint._cli import main as runs

    return runs(args[1:])


if __name__ == "__main__":
    sys.exit(main())
