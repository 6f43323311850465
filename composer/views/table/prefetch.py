"""The screens of rows around the table's viewport, made ready while the user rests.

A newly exposed screen costs most where a row is seen for the first time: its look gathered
(looks.py), its height measured and its preview laid out (layout_cache.py). Once scrolling has
paused, the screen below the viewport gets all three and the screen above its looks and layouts
(not its heights: a row above that changed height would move what the user is reading), a few
rows a turn, so a page down or up then paints from what is kept. Nothing here changes what a
row shows; only when the work is done.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

REST_MS = 40  # after the last scroll, before the rows around are prepared
BUDGET = 0.004  # seconds of work a turn of the event loop, then the loop turns again
CHUNK = 4  # rows prepared between looks at the clock


class Prefetch(QObject):
    def __init__(self, table) -> None:
        super().__init__(table)
        self._table = table
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._step)
        # The next row to prepare each way, and the pixels of rows still to prepare there.
        self._below = self._above = -1
        self._room_below = self._room_above = 0
        self._planned = False

    def schedule(self, *_args) -> None:
        """The view moved (or changed): prepare around where it is, once it rests."""
        self._planned = False
        self._timer.start(REST_MS)

    def _plan(self) -> None:
        table = self._table
        count = table.model().rowCount()
        first = table.rowAt(0)
        self._below = self._above = -1
        if first < 0 or count == 0:
            return
        height = table.viewport().height()
        last = table.rowAt(height - 1)
        self._below = -1 if last < 0 or last + 1 >= count else last + 1
        self._above = first - 1
        # A screen each way, by the rows' heights as they will be; above, rows not measured yet
        # may come out shorter than they stand now, so half a screen more.
        self._room_below, self._room_above = height, height * 3 // 2

    def _step(self) -> None:
        if not self._planned:
            self._planned = True
            self._plan()
        table = self._table
        count = table.model().rowCount()
        deadline = time.monotonic() + BUDGET
        while time.monotonic() < deadline:
            if self._below >= 0 and self._room_below > 0:
                rows = list(range(self._below, min(count, self._below + CHUNK)))
                table.prepare_rows(rows, measure=True)
                self._room_below -= sum(map(table.rowHeight, rows))
                self._below = rows[-1] + 1 if rows and rows[-1] + 1 < count else -1
            elif self._above >= 0 and self._room_above > 0:
                rows = list(range(self._above, max(-1, self._above - CHUNK), -1))
                table.prepare_rows(rows, measure=False)
                self._room_above -= sum(map(table.rowHeight, rows))
                self._above = rows[-1] - 1
            else:
                return
        self._timer.start(0)
