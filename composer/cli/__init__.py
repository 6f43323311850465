"""The verbs that run without a window (send, convert, models), and how they talk on stderr."""

from __future__ import annotations

import sys

PROG = "llm-composer"


def error(message: str) -> None:
    """The one ``llm-composer: error: ...`` line a failed verb prints."""
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
