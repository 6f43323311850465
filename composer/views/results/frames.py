"""What every streaming results pane shares: one frame budget, one scheduler, the pace of the
streams' reading and the garbage collector's.

The budget: showing streamed text takes turns. A turn gets ``FRAME_BUDGET`` seconds in all,
whichever panes use it (one reply, or any number of compare columns streaming at once), and the
loop then gets as long again for input, painting and the network before the next turn starts.
``turn()`` is a deadline while the turn lasts, ``None`` while the loop rests.

The scheduler: one timer for every pane. A pane with work (events to show, Markdown blocks to
render) asks ``scheduler.want(pane, delay)``; each tick serves one pane whose work is due with one
step (``pane.step()``: one append of what came, or rendering until the deadline), and the pane
served goes to the back. The next pane's tick comes once the loop has turned, within the same
turn while its budget lasts. One pane a tick, because a step's cost goes on after it: Qt paints
what the step changed before the loop turns, and a pane following a fast stream repaints most
of its view each time (a few milliseconds). Four compare columns served in one tick put four
such paints in one frame: their p99 stall was 14-18 ms, against 12-15 ms served one a tick.
Each pane is shown about as often as before (~25 times a second under a loopback flood, ~75
when the text comes slowly) for a few per cent more CPU at most.

The pace: between slices of a stream's body the transport awaits ``pace.turn()``; while a
streaming pane has more than BEHIND characters waiting to be shown, that waits (a flood is read
no faster than the panes show it, so they are caught up soon after its last byte).

The collector: a full collection walks every object the process holds (about 60 ms for the
app's own modules and widgets on a 2-core machine), and the long-lived generation fills up as a
reply streams, so full collections used to land in the middle of a stream. The heap as it
stands when the first reply starts (modules, classes, the window) is frozen out of the
collector once; while any reply streams only the young generations are collected, and the
full collections come back COLLECT_AFTER seconds after the last stream ends.
"""

from __future__ import annotations

import gc
import time
import weakref
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QTimer
from shiboken6 import isValid

from composer.providers import pace

if TYPE_CHECKING:
    import asyncio

# Seconds of rendering in a turn. A frame (16 ms) holds a turn, the transport's slice of parsing
# (4 ms) and Qt painting what the turn changed: with 8 ms, four compare columns' p99 stall sat at
# 16-19 ms; with 6, 14-18 (one pane's is the same either way; both before a tick served one pane).
FRAME_BUDGET = 0.006
BEHIND = 1_000  # characters a pane may have waiting for its render while streams are read
MAX_WAIT = 0.5  # seconds a stream's reading waits for the panes at most, each time
_FULL_COLLECTIONS_OFF = 1 << 30  # a gen-2 threshold no stream reaches
COLLECT_AFTER = 2.0  # seconds after the last stream ends that full collections resume


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


class Stepper(Protocol):
    def step(self) -> float | None:
        """Do one step of work; seconds until the next is due, None when there is none."""


class Scheduler:
    """One timer for every pane: each tick serves the first pane whose work is due."""

    def __init__(self) -> None:
        # pane id -> (weak pane, when its next step is due); in order of service.
        self._queue: dict[int, tuple[weakref.ref, float]] = {}
        self._timer: QTimer | None = None  # made on first use (after the QApplication)
        self._due = float("inf")  # when the timer fires

    def want(self, pane: Stepper, delay: float = 0.0) -> None:
        """``pane`` has work due in ``delay`` seconds (an earlier wish stands)."""
        key = id(pane)
        due = time.monotonic() + delay
        entry = self._queue.get(key)
        if entry is None or entry[0]() is not pane or due < entry[1]:
            self._queue[key] = (weakref.ref(pane), due)
        self._arm(due)

    def drop(self, pane: Stepper) -> None:
        self._queue.pop(id(pane), None)

    def wanted(self, pane: Stepper) -> bool:
        return id(pane) in self._queue

    def _arm(self, due: float) -> None:
        if self._timer is None:
            self._timer = QTimer()
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._tick)
        if self._timer.isActive() and self._due <= due:
            return
        self._due = due
        self._timer.start(max(0, int((due - time.monotonic()) * 1000 + 0.999)))

    def _tick(self) -> None:
        self._due = float("inf")
        if frames.turn() is None:
            self._arm(time.monotonic() + frames.rest_ms() / 1000)
            return
        now = time.monotonic()
        for key, (ref, due) in list(self._queue.items()):
            pane = ref()
            if pane is None or not isValid(pane):  # (a widget deleted with work to do)
                del self._queue[key]
            elif due <= now:
                del self._queue[key]
                wait = pane.step()
                if wait is not None and key not in self._queue:
                    self._queue[key] = (ref, time.monotonic() + wait)  # to the back
                break
        _wake_readers()
        if self._queue:
            self._arm(min(due for _, due in self._queue.values()))


scheduler = Scheduler()

_streaming: dict[int, weakref.ref] = {}  # id -> the panes streaming now
_hooked: weakref.WeakSet = weakref.WeakSet()  # panes whose destruction ends their stream
_saved_threshold: tuple[int, int, int] | None = None
_frozen = False


def stream_started(owner: object) -> None:
    """``owner`` (a pane) shows a reply as it streams: no full collections until it ends."""
    global _saved_threshold, _frozen
    pace.set_waiter(_keep_pace)
    if not _frozen:
        gc.freeze()  # the heap the app started with stays out of every collection
        _frozen = True
    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
        young, middle, _ = _saved_threshold
        gc.set_threshold(young, middle, _FULL_COLLECTIONS_OFF)
    key = id(owner)
    if key not in _streaming:
        _streaming[key] = weakref.ref(owner, lambda ref, key=key: _streaming.get(key) is ref
                                      and _drop(key))
    destroyed = getattr(owner, "destroyed", None)  # a widget deleted mid-stream ends it too
    if destroyed is not None and owner not in _hooked:
        _hooked.add(owner)
        destroyed.connect(lambda *_args, key=key: _drop(key))


def stream_ended(owner: object) -> None:
    """``owner``'s stream is over (or it shows something else now)."""
    _drop(id(owner))


def _drop(key: int) -> None:
    _streaming.pop(key, None)
    if not _streaming and _saved_threshold is not None:
        # The full collection the stream held off comes a little later, not while the end
        # of the reply is shown (nor between two runs sent back to back).
        QTimer.singleShot(int(COLLECT_AFTER * 1000), _resume_collections)


def _resume_collections() -> None:
    global _saved_threshold
    if not _streaming and _saved_threshold is not None:
        gc.set_threshold(*_saved_threshold)
        _saved_threshold = None


def _panes() -> list:
    return [p for p in (ref() for ref in list(_streaming.values())) if p is not None]


_behind: list[asyncio.Event] = []  # readers waiting for the panes to catch up


async def _keep_pace() -> None:
    """Between slices of a stream's body: a turn of the loop, and more while a streaming pane
    has more than BEHIND characters waiting to be shown (a flood is read no faster than the
    panes show it, so they are caught up soon after its last byte). The scheduler wakes the
    reader when they are no longer behind."""
    import asyncio

    await asyncio.sleep(0)
    if not _is_behind():
        return
    event = asyncio.Event()
    _behind.append(event)
    try:
        await asyncio.wait_for(event.wait(), MAX_WAIT)
    except TimeoutError:
        pass
    finally:
        if event in _behind:
            _behind.remove(event)


def _is_behind() -> bool:
    return any(getattr(p, "backlog", 0) > BEHIND for p in _panes())


def _wake_readers() -> None:
    if _behind and not _is_behind():
        for event in _behind:
            event.set()
        _behind.clear()


def streams() -> int:
    """How many panes are streaming now."""
    return len(_streaming)
