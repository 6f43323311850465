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
        self._below: list[int] = []
        self._above: list[int] = []
        self._planned = False

    def schedule(self, *_args) -> None:
        """The view moved (or changed): prepare around where it is, once it rests."""
        self._planned = False
        self._below, self._above = [], []
        self._timer.start(REST_MS)

    def _plan(self) -> None:
        table = self._table
        count = table.model().rowCount()
        first = table.rowAt(0)
        if first < 0 or count == 0:
            return
        last = table.rowAt(table.viewport().height() - 1)
        last = count - 1 if last < 0 else last
        screen = last - first + 1
        self._below = list(range(last + 1, min(count, last + 1 + screen)))
        self._above = list(range(first - 1, max(-1, first - 1 - screen), -1))

    def _step(self) -> None:
        if not self._planned:
            self._planned = True
            self._plan()
        deadline = time.monotonic() + BUDGET
        while (self._below or self._above) and time.monotonic() < deadline:
            if self._below:
                rows, self._below = self._below[:CHUNK], self._below[CHUNK:]
                self._table.prepare_rows(rows, measure=True)
            else:
                rows, self._above = self._above[:CHUNK], self._above[CHUNK:]
                self._table.prepare_rows(rows, measure=False)
        if self._below or self._above:
            self._timer.start(0)
