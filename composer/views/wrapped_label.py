"""A word-wrapped label that lays its text out once per width.

While a window is laid out, Qt's layouts ask a word-wrapped label for its height at a width
again and again (a new window asked its two wrapped labels 44 times, at 12 widths), and QLabel
lays its text out anew for each answer: ~0.4 M instructions a time for the rich-text key note,
~7 % of building a window. The answers are kept per width and per everything else they depend
on that a label says of itself (text, format, margin, indent); a change event (font, style,
contents margins...) drops them all, as QLabel drops its own size hints. Every word-wrapped
label of the views is one (a test walks the windows for any other).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel

KEPT = 64  # heights kept at most (a label is laid out at a dozen widths as a window opens)


class WrappedLabel(QLabel):
    def __init__(self, *args: Any, **kwargs: Any):  # as QLabel's: (parent) or (text, parent)
        super().__init__(*args, **kwargs)
        self.setWordWrap(True)
        self.layouts = 0  # times the text was laid out to answer a height (what the cache saves)
        self._heights: dict[tuple, int] = {}

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        key = (width, self.text(), self.textFormat(), self.margin(), self.indent(),
               self.wordWrap())
        height = self._heights.get(key)
        if height is None:
            if len(self._heights) >= KEPT:
                self._heights.clear()
            height = self._heights[key] = super().heightForWidth(width)
            self.layouts += 1
        return height

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        self._heights.clear()
        super().changeEvent(event)
