"""What PySide6 does on every import after it loads, undone.

PySide6 replaces Python's ``__import__`` with a hook for its opt-in ``from __feature__ import
snake_case, true_property``, which Composer does not use. The hook runs Python code before and
after every import statement, including the ones inside functions that have long been
imported (a few microseconds each: a dictionary lookup costs less), and asks of each newly
imported module whether its source names "PySide6" (through ``inspect.getsource``, a tokenised
read of the whole file: about 5% of a cold start's instructions).
"""

from __future__ import annotations

import builtins
import importlib

import composer


def plain_imports() -> None:
    """Give Python its own ``import`` back, once PySide6 is loaded (a PySide6 without the hook,
    or one that renamed it, is left as it is)."""
    if getattr(builtins.__import__, "__name__", None) != "__feature_import__":
        return
    plain = composer.PLAIN_IMPORT
    if getattr(plain, "__name__", None) == "__feature_import__":
        plain = importlib.__import__  # PySide6 came first: Python's own import, written in Python
    builtins.__import__ = plain


def own_viewport(area, role, *, tracking: bool = False) -> None:
    """Give a scroll area (a table, a header) a viewport made from Python, set up as Qt sets up
    its own: filled with the palette's ``role`` (Base for a view, Button for a header), taking
    touch events, following the mouse when ``tracking`` (a header's hover).

    Qt makes a plain ``QWidget`` as its viewport, and the first time such a C++-made widget is
    handed to Python, shiboken looks for its most derived class by creating every class of
    QtWidgets that it had left unloaded, with their enums (~15 ms, ~250 enum types). A
    viewport Python made is handed back as it is."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    viewport = QWidget()
    viewport.setBackgroundRole(role)
    viewport.setAutoFillBackground(True)
    viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
    viewport.setMouseTracking(tracking)
    area.setViewport(viewport)
