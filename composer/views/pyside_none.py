"""WORKAROUND for PySide6 6.12.0 on CPython 3.11: every call of a Qt method returning void
releases one reference to ``None`` that it never took (seen with the cp310-abi3 wheel:
``QLabel.setMinimumWidth`` x 1000 lowers ``sys.getrefcount(None)`` by 1000), and calls returning
bool do the same to ``True``/``False``. Once a count reaches zero the interpreter aborts
("none_dealloc: deallocating None", "bool_dealloc"), after a few thousand calls in a small
script or a long session in the app.

From 3.12 these singletons are immortal (PEP 683), which is why the stable-ABI build gets away with it.
On 3.11 we do by hand what 3.12 does by design: give them a reference count so large no
number of calls can bring it to zero. Importing this module applies it once; it is a no-op on
3.12+ and on other interpreters. Remove it when the wheel is fixed.
"""

from __future__ import annotations

import ctypes
import sys

_BUMP = 1 << 40


def make_none_immortal() -> bool:
    """Raise the singletons' reference counts out of reach; True when it did so (once per process)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if getattr(sys, "_composer_none_immortal", False):
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BUMP
    sys._composer_none_immortal = True  # type: ignore[attr-defined]
    return True


make_none_immortal()
