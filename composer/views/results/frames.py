"""What every streaming results pane shares: one frame budget, and the garbage collector's pace.

The budget: rendering streamed Markdown takes turns. A turn gets ``FRAME_BUDGET`` seconds in
all, whichever panes use it (one reply, or any number of compare columns streaming at once),
and the loop then gets as long again for input, painting and the network before the next turn
starts. A pane asks ``turn()`` before it renders: a deadline while the turn lasts, ``None``
while the loop rests (the pane's timer comes back). The first caller of a new turn always gets
one piece of work done, so every pane gets on; the others wait for a turn of their own, in the
order their timers come round.

The collector: a full collection walks every object the process holds (about 60 ms for the
app's own modules and widgets on a 2-core machine), and the long-lived generation fills up as a
reply streams, so full collections used to land in the middle of a stream. The heap as it
stands when the first reply starts (modules, classes, the window) is frozen out of the
collector once; while any reply streams only the young generations are collected, and the
full collections come back when the last stream ends.
"""

from __future__ import annotations

import gc
import time
import weakref

FRAME_BUDGET = 0.008  # seconds of rendering per turn, shared by every pane
_FULL_COLLECTIONS_OFF = 1 << 30  # a gen-2 threshold no stream reaches


class Frames:
    """The turns of rendering every pane shares."""

    def __init__(self) -> None:
        self._deadline = 0.0  # the current turn ends
        self._rest_until = 0.0  # the next turn may start

    def turn(self, budget: float | None = None) -> float | None:
        """The current turn's deadline (a new turn starts when the last one and its rest are
        over), or None while the loop rests."""
        budget = FRAME_BUDGET if budget is None else budget
        now = time.monotonic()
        if now >= self._rest_until:
            self._deadline = now + budget
            self._rest_until = now + 2 * budget
            return self._deadline
        return self._deadline if now < self._deadline else None

    def rest_ms(self) -> int:
        """Milliseconds until the next turn may start (0: now)."""
        return max(0, int((self._rest_until - time.monotonic()) * 1000 + 0.999))


frames = Frames()

_streaming: weakref.WeakSet = weakref.WeakSet()
_saved_threshold: tuple[int, int, int] | None = None
_frozen = False


def stream_started(owner: object) -> None:
    """``owner`` (a pane) shows a reply as it streams: no full collections until it ends."""
    global _saved_threshold, _frozen
    if not _frozen:
        gc.freeze()  # the heap the app started with stays out of every collection
        _frozen = True
    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
        young, middle, _ = _saved_threshold
        gc.set_threshold(young, middle, _FULL_COLLECTIONS_OFF)
    if owner not in _streaming:
        _streaming.add(owner)
        weakref.finalize(owner, _check)  # a pane dropped mid-stream ends its stream too


def _check() -> None:
    global _saved_threshold
    if not _streaming and _saved_threshold is not None:
        gc.set_threshold(*_saved_threshold)
        _saved_threshold = None


def stream_ended(owner: object) -> None:
    """``owner``'s stream is over (or it shows something else now)."""
    _streaming.discard(owner)
    _check()


def streams() -> int:
    """How many panes are streaming now."""
    return len(_streaming)
