"""How many random trials a property test makes in a run.

The ordinary run (the README's test command, what CI runs: the whole suite in under a minute
on two cores) makes half of each property test's examples and half of the fuzz smoke test's
cases, with a fresh seed every run; a thorough run makes them all: ``COMPOSER_THOROUGH=1
pytest`` (as ``COMPOSER_SIGKILLS=300`` does for the SIGKILL test). Hypothesis keeps every
failure it finds in its example database and tries it first in the next run either way.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("COMPOSER_THOROUGH", "") not in ("", "0")


def examples(n: int) -> int:
    """A property test's ``max_examples`` (or a fuzz target's cases): ``n`` in a thorough
    run, half of it otherwise."""
    return n if THOROUGH else max(20, n // 2)
