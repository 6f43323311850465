"""Giving freed memory back to the system after a big one-off job (reading a 20 MB file).

Reading a file holds its text, its parsed JSON and the models at once, several times the file's
size; once the models alone remain, the C allocator keeps most of the freed peak (glibc keeps
what it freed on the reading thread's heap) and the process stays that large. ``malloc_trim``
returns it. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import linecache
import sys
from functools import cache

AFTER_OPEN_MS = 2000


@cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def give_back_freed() -> None:
    """Drop the source lines PySide6 cached, then return the C heap's free pages to the
    system. (PySide6's import hook reads the source of every module imported, to look for its
    own name, and leaves it in ``linecache``: megabytes once an open has loaded the transport
    and the readers; a traceback reads them again.) No garbage collection: what a read or a
    write frees is freed as it goes, and a full collection over a big conversation's objects
    would hold the interpreter for a long moment. ``malloc_trim`` runs without the GIL."""
    linecache.clearcache()
    trim = _trim()
    if trim is not None:
        trim(0)
