"""Cold start: a fresh interpreter until the first window is painted (shown and grabbed), for
Composer's main window and for a bare PySide6 window, each the best of a few runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (w.grab(), app.quit()))
app.exec()
"""

COMPOSER = """
from PySide6.QtCore import QTimer
from composer.views.app import create_app
from composer.views.window import MainWindow
app = create_app([])
w = MainWindow(user_dir={user_dir!r}); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (w.grab(), app.quit()))
app.exec()
"""


def _time(code: str, runs: int) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def run(runs: int = 3) -> tuple[float, float]:
    """(Composer, bare) seconds to the first painted window."""
    with tempfile.TemporaryDirectory() as user_dir:
        composer = _time(COMPOSER.format(user_dir=user_dir), runs)
    return composer, _time(BARE, runs)
