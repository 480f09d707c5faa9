"""What the other hypergraph packages use of ``hypergraph_types`` beyond its public names.

Not for users. hypergraph-graph and hypergraph-runners import these helpers from here and
from nowhere else inside this package (``tests/test_layers.py`` checks), so the private
modules behind them can change freely. The names below are a contract between separately
released packages: a patch or minor release of hypergraph-types keeps every one of them with
a compatible signature, so an installed hypergraph-graph never breaks on a types upgrade.
"""

from ._caller import HANDED_SITE, CallSite, user_stacklevel
from ._errors import missing_input_error
from ._format import (
    Suggester,
    describe_exception,
    did_you_mean,
    exception_text,
    fmt_names,
    message,
    quote,
    short_repr,
    suggest,
)
from ._result import new_run_id
from ._sameness import is_same

__all__ = [
    "HANDED_SITE",
    "CallSite",
    "Suggester",
    "describe_exception",
    "did_you_mean",
    "exception_text",
    "fmt_names",
    "is_same",
    "message",
    "missing_input_error",
    "new_run_id",
    "quote",
    "short_repr",
    "suggest",
    "user_stacklevel",
]
