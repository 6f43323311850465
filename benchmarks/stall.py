"""Event-loop stall, measured the way a user feels it: how late a 5 ms repeating timer fires."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

TICK_MS = 5


class StallMeter:
    """Records how late each tick of a 5 ms timer comes while it runs; and the same counted in
    the GUI thread's CPU time (``cpu_p99_ms``): what this process kept the loop busy with, the
    figure to compare on a machine other processes load (its wall clock counts their turns
    too)."""

    def __init__(self) -> None:
        self.lateness: list[float] = []  # seconds past the tick's due time
        self.cpu_lateness: list[float] = []  # the GUI thread's CPU seconds past it
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._last_cpu = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.lateness.append(max(0.0, now - self._last - TICK_MS / 1000))
        self.cpu_lateness.append(max(0.0, cpu - self._last_cpu - TICK_MS / 1000))
        self._last, self._last_cpu = now, cpu

    @property
    def max_ms(self) -> float:
        return max(self.lateness, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        return _p99_ms(self.lateness)

    @property
    def cpu_p99_ms(self) -> float:
        return _p99_ms(self.cpu_lateness)


def _p99_ms(lateness: list[float]) -> float:
    if not lateness:
        return 0.0
    ordered = sorted(lateness)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
