"""Giving freed memory back to the system after a big one-off job (reading a 20 MB file),
keeping a big document's objects out of the garbage collector's full collections, and no
collection on a worker thread.

Reading a file holds its bytes, its parsed JSON and the models at once, a few times the file's
size, and the draft's autosave the conversation's dicts and a piece of its text; once they
are done the C allocator keeps most of the freed peak (glibc keeps what a thread freed on that
thread's heap) and the process stays that large. ``malloc_trim`` returns it. Elsewhere than
glibc this does nothing.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

AFTER_OPEN_MS = 2000


# glibc's mallopt parameters, and the slack a heap may keep: an allocation this big is mapped
# on its own (and unmapped when freed), and a heap keeps at most this much free at its top.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
HEAP_SLACK = 1 << 20


@cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at start: the window imports this module before its first paint

    try:
        libc = ctypes.CDLL(None)  # the process's own C library
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None  # (musl has no malloc_trim)


@cache
def keep_heaps_trimmed() -> None:
    """Fix glibc's two thresholds at ``HEAP_SLACK`` (once, before a big file is read). By
    default they move: freeing a big mapped block (a 20 MB file's bytes) raises them to its
    size, after which a thread's heap (the reader's, the autosave's) keeps up to twice that
    free at its top, resident, where ``malloc_trim`` does not reach (it trims the main heap's
    top only). Set, what a thread frees past the slack goes back at once."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, HEAP_SLACK)
        libc.mallopt(_M_TRIM_THRESHOLD, HEAP_SLACK)


def give_back_freed() -> None:
    """Return the C heap's free pages to the system. (PySide6's import hook no longer leaves
    every module's source in ``linecache``: qt_start.py takes the hook away.) No
    garbage collection: what a read or a write frees is freed as it goes, and a full
    collection over a big conversation's objects would hold the interpreter for a long moment.
    ``malloc_trim`` runs without the GIL."""
    keep_heaps_trimmed()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def keep_out_of_collections() -> None:
    """Move every object alive now out of the collector's reach (``gc.freeze``): called once a
    big document is shown, its hundreds of thousands of message objects live as long as it
    does, and a full collection walks all of them (a second at 50,000 rows, landing in the
    middle of a scroll). They are still freed by reference counting when dropped; what only a
    collection could free (a cycle) waits for ``collect_frozen_again``. The streaming panes
    freeze the heap the same way (results/frames.py)."""
    gc.freeze()


def collect_frozen_again(*_args) -> None:
    """Give the frozen objects back to the collector: the view that froze a big document is
    gone, and the document may hang on a cycle (its model subscribes to it)."""
    gc.unfreeze()


T = TypeVar("T")


class _Resumer(QObject):
    """Lives on the GUI thread: a worker's ``resume`` is queued to it."""

    resume = Signal()


_pause_lock = threading.Lock()
_pauses = 0  # workers running with automatic collection paused
_owed = False  # we turned automatic collection off and have not turned it back on yet


@cache
def _resumer() -> _Resumer:
    resumer = _Resumer()
    app = QCoreApplication.instance()
    if app is not None:
        resumer.moveToThread(app.thread())  # whichever thread asks first: it lives on the GUI's
    resumer.resume.connect(resume_collection)
    return resumer


def resume_collection() -> None:
    """On the GUI thread: automatic collection back on if no worker runs paused any more
    (queued by the last worker to end; the tests call it before each test too)."""
    global _owed
    with _pause_lock:
        due = _pauses == 0 and _owed
        _owed = _owed and not due
    if due:
        # The collection now due, here and before collection is back on: a worker that is
        # still ending (an executor sets its future's result after the body) must not be the
        # first to allocate past the threshold.
        gc.collect(0)
        gc.enable()


def collection_paused(target: Callable[..., T]) -> Callable[..., T]:
    """``target`` as a worker thread's body that runs with automatic garbage collection
    paused; call this on the GUI thread just before the thread starts.

    Automatic garbage collection is off while workers run. CPython collects in whichever
    thread allocates when a generation is due, and a worker parsing a big or hostile file is
    the one that allocates most: a collection there frees the cycles it finds on that thread,
    Qt objects among them (a closed window's, a dialog's), destroyed outside the GUI thread
    while it paints, and runs their finalizers at the parser's recursion depth. It is turned
    back on by the GUI thread (a queued signal), so the collection that is then due runs
    there."""
    global _pauses, _owed
    _resumer()  # made here, on the GUI thread, before any worker needs it
    with _pause_lock:
        if _pauses == 0 and not _owed and gc.isenabled():  # (owed: a resume is on its way)
            gc.disable()
            _owed = True
        _pauses += 1

    def run(*args: object) -> T:
        global _pauses
        try:
            return target(*args)
        finally:
            with _pause_lock:
                _pauses -= 1
                last = _pauses == 0
            if last:
                _resumer().resume.emit()

    return run
