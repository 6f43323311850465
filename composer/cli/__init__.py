"""The verbs that run without a window (send, convert, models), and how they talk on stderr."""

from __future__ import annotations

import os
import sys

PROG = "llm-composer"


def error(message: str) -> None:
    """The one ``llm-composer: error: ...`` line a failed verb prints."""
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def silence_broken_pipes() -> None:
    """Point stdout and stderr at the null device once the reader has gone (``| head``):
    Python's own flush at exit would otherwise print a BrokenPipeError nobody can act on."""
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.isatty():  # a terminal never breaks: errors still reach the user
                continue
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            os.dup2(null, stream.fileno())
        except (OSError, ValueError):
            pass
    os.close(null)
