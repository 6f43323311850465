"""Event-loop stall, measured the way a user feels it: how late a 5 ms repeating timer fires."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

TICK_MS = 5


class StallMeter:
    """Records how late each tick of a 5 ms timer comes while it runs."""

    def __init__(self) -> None:
        self.lateness: list[float] = []  # seconds past the tick's due time
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._last - TICK_MS / 1000))
        self._last = now

    @property
    def max_ms(self) -> float:
        return max(self.lateness, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        if not self.lateness:
            return 0.0
        ordered = sorted(self.lateness)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
