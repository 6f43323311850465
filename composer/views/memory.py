"""Giving freed memory back to the system after a big one-off job (reading a 20 MB file).

Reading a file holds its text, its parsed JSON and the models at once, several times the file's
size; once the models alone remain, the C allocator keeps most of the freed peak (glibc keeps
what it freed on the reading thread's heap) and the process stays that large. ``malloc_trim``
returns it. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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
    """Collect cycles, then return the C heap's free pages to the system."""
    gc.collect()
    trim = _trim()
    if trim is not None:
        trim(0)
