"""Laid-out content previews, kept per row so that painting a screen of rows lays out no text.

A preview is laid out (each line elided to the cell's width, in the cell's font) once and drawn from then
on. The key is the preview text itself with the width and font: an edit gives the row a new
preview, a resized column or another font a new width or font, so a stale layout is never
found; the oldest layouts go when there are more than ``limit``.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QStaticText

LIMIT = 4000  # laid-out previews kept: many screens of rows, a few MB at most


class LayoutCache:
    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.layouts = 0  # previews laid out, in all (what the cache saves shows here)
        self._cache: OrderedDict[tuple[str, int, str], QStaticText] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, text: str, width: int, font: QFont) -> QStaticText:
        key = (text, width, font.key())
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        # One preview line a row line, each elided to the width: the row is as tall as its
        # lines (the delegate's sizeHint), so a wrapped line would be cut off at the bottom.
        metrics = QFontMetrics(font)
        room = max(width, 1)
        lines = [metrics.elidedText(_clipped(line, room), Qt.TextElideMode.ElideRight, room)
                 for line in text.replace("\u2028", "\n").split("\n")]  # Qt gives U+2028
        static = QStaticText("\u2028".join(lines))  # a line break in plain text
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.setTextWidth(max(width, 1) + 1)  # lines break at U+2028 only with a width set
        static.prepare(font=font)
        self.layouts += 1
        self._cache[key] = static
        if len(self._cache) > self.limit:
            self._cache.popitem(last=False)
        return static

    def clear(self) -> None:
        self._cache.clear()


def _clipped(line: str, width: int) -> str:
    """No more characters than ``width`` pixels could show (no character of a text font is
    narrower than two pixels): eliding lays out the whole line, and a preview line can be
    hundreds of characters longer than its cell. A cut line keeps its ellipsis."""
    return line if len(line) <= width // 2 + 1 else line[:width // 2] + "…"
