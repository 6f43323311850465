"""How fast a stream's body is read once its bytes have arrived.

The transport hands over a stream in slices of a few milliseconds of work and calls ``turn()``
between them (``due`` says when one is owed). By default that is one turn of the event loop (a
buffered flood must not starve a window's painting). A program that shows streams as they come
(the window) sets a waiter that also holds the reading back while what it shows is behind: a
loopback flood is then read no faster than it can be shown, so the reply is on screen soon after
its last byte rather than seconds later, and a real model (far slower than the window) is never
held back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

SLICE = 0.004  # seconds of parsing between two turns, shared by the streams read at once

_waiter: Callable[[], Awaitable[None]] | None = None
_reading = 0  # streams whose body is being read now


def slice_seconds() -> float:
    """How long one stream's slice may take: SLICE shared by every stream read at once (four
    compare columns streaming cost the loop what one does)."""
    return SLICE / max(1, _reading)


class reading:  # noqa: N801  (used as ``with pace.reading():``)
    """The body of one stream is being read."""

    def __enter__(self) -> None:
        global _reading
        _reading += 1

    def __exit__(self, *_exc: object) -> None:
        global _reading
        _reading -= 1


def set_waiter(waiter: Callable[[], Awaitable[None]] | None) -> None:
    """``waiter()`` is awaited between slices of every stream (None: one loop turn)."""
    global _waiter
    _waiter = waiter


def due(last_turn: float) -> bool:
    """Whether a reader whose last turn was at ``last_turn`` (time.monotonic) owes the loop one
    now: always with a waiter (the window paces its readers), else once a slice of work has
    passed. A read that took less goes on to the next read without one (a flood's reads are
    many and small, and reading a socket turns the loop often enough)."""
    return _waiter is not None or time.monotonic() - last_turn >= slice_seconds()


async def turn() -> None:
    import asyncio

    if _waiter is None:
        await asyncio.sleep(0)
    else:
        await _waiter()
