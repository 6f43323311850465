"""How fast a stream's body is read once its bytes have arrived.

The transport hands over a stream in slices of a few milliseconds of work and calls ``turn()``
between them. By default that is one turn of the event loop (a buffered flood must not starve
a window's painting). A program that shows streams as they come (the window) sets a waiter that
also holds the reading back while what it shows is behind: a loopback flood is then read no
faster than it can be shown, so the reply is on screen soon after its last byte rather than
seconds later, and a real model (far slower than the window) is never held back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

SLICE = 0.004  # seconds of parsing between two turns

_waiter: Callable[[], Awaitable[None]] | None = None


def set_waiter(waiter: Callable[[], Awaitable[None]] | None) -> None:
    """``waiter()`` is awaited between slices of every stream (None: one loop turn)."""
    global _waiter
    _waiter = waiter


async def turn() -> None:
    if _waiter is None:
        await asyncio.sleep(0)
    else:
        await _waiter()
