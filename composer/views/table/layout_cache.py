"""Laid-out content previews, kept per row so that painting a screen of rows lays out no text.

A preview is laid out (each line elided to the cell's width, in the cell's font) once and drawn from
then on. The key is the preview text itself with the width and font: an edit gives the row a new
preview, a resized column or another font a new width or font, so a stale layout is never found; the
oldest layouts go when there are more than ``limit``.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF, QStaticText

LIMIT = 4000  # laid-out previews kept: many screens of rows, a few MB at most
# Characters whose widths add up to a line's width but for kerning: Latin, Latin-1, Latin
# Extended, IPA, spacing modifiers, general punctuation (dashes, quotes, bullet, ellipsis) and
# arrows; no controls, combining marks, joiners, direction marks, soft hyphens or other scripts.
_SIMPLE = re.compile("[\x20-\x7e\xa0-\xac\xae-\u02ff\u2010-\u2027\u2030-\u205e"
                     "\u2190-\u21ff]*")
_MARGIN = 8  # characters a start elided in place of its line keeps past the cut


class LayoutCache:
    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.layouts = 0  # previews laid out, in all (what the cache saves shows here)
        self._cache: OrderedDict[tuple[str, int, str], QStaticText] = OrderedDict()
        self._font: QFont | None = None  # the font of the last layout, and what it measures
        self._font_key = ""
        self._metrics: QFontMetrics | None = None
        self._advance = QFontMetricsF(QFont()).horizontalAdvance
        self._average = 1.0
        self._advances: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, text: str, width: int, font: QFont) -> QStaticText:
        if self._font is None or font != self._font:
            self._use(font)
        key = (text, width, self._font_key)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        # One preview line a row line, each elided to the width: the row is as tall as its
        # lines (the delegate's sizeHint), so a wrapped line would be cut off at the bottom.
        room = max(width, 1)
        lines = [self._elided(line, room)
                 for line in text.replace("\u2028", "\n").split("\n")]  # Qt gives U+2028
        static = QStaticText("\u2028".join(lines))  # a line break in plain text
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.setTextWidth(room + 1)  # lines break at U+2028 only with a width set
        static.prepare(font=font)
        self.layouts += 1
        self._cache[key] = static
        if len(self._cache) > self.limit:
            self._cache.popitem(last=False)
        return static

    def _use(self, font: QFont) -> None:
        self._font = QFont(font)
        self._font_key = font.key()
        self._metrics = QFontMetrics(font)
        metrics = QFontMetricsF(font)
        self._advance = metrics.horizontalAdvance
        self._average = max(metrics.averageCharWidth(), 1.0)
        self._advances = {}

    def _elided(self, line: str, room: int) -> str:
        """``line`` elided to ``room`` pixels, as Qt elides it, laying out no more of it than
        needed: Qt lays out the whole string it elides, and a preview line can be hundreds of
        characters longer than its cell. For a line of simple characters, one whose widths add
        up to well inside the room is kept as it is (Qt would keep it: only kerning makes the
        laid-out width differ from the sum), and of a longer one Qt elides only a start a
        little wider than the room, which ends the same (the characters that fit, then the
        ellipsis) when the cut falls well inside that start. Anything else is elided as before.
        """
        metrics = self._metrics
        assert metrics is not None
        elide = Qt.TextElideMode.ElideRight
        most = room // 2  # as far as _clipped keeps
        head = line[:most]
        if _SIMPLE.fullmatch(head):
            slack = max(6, room // 16)
            if len(line) <= most:
                advances = self._advances
                for char in set(line).difference(advances):
                    advances[char] = self._advance(char)
                if sum(map(advances.__getitem__, line)) <= room - slack:
                    return line
            guess = int((room + slack) / self._average) + 2 * _MARGIN
            if guess < len(head):
                start = line[:guess]
                elided = metrics.elidedText(start, elide, room)
                if elided != start and len(elided) + _MARGIN <= guess:
                    return elided
        return metrics.elidedText(_clipped(line, room), elide, room)

    def clear(self) -> None:
        self._cache.clear()


def _clipped(line: str, width: int) -> str:
    """No more characters than ``width`` pixels could show (no character of a text font is
    narrower than two pixels): eliding lays out the whole line, and a preview line can be
    hundreds of characters longer than its cell. A cut line keeps its ellipsis."""
    return line if len(line) <= width // 2 + 1 else line[:width // 2] + "…"
