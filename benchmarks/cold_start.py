"""Cold start: a fresh interpreter until the first window is painted (shown and grabbed), for
Composer's own start (``llm-composer`` with no file, on a first start: the example) and for a
bare PySide6 window, each the best of a few runs, alternated. Both end at once after the grab,
so neither pays for its teardown.

Bytecode is written and used as an installed app's is (an environment that turns it off would
otherwise time compiling every Composer module from source at each start). The CPU time of
each start is measured too: on a shared machine it moves less than the wall clock."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import os
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (w.grab(), os._exit(0)))
app.exec()
"""

# The real entry point; the first paint of the main window ends the run. It is watched where the
# app itself waits for it (app.wait_for_first_paint, an event filter on the window), without its
# time limit. (A filter on the whole application, as before, ran Python for every event of every
# object and made PySide6 wrap each one, which the app never does: ~10% more instructions.)
COMPOSER = """
import os
from composer.views import app

def wait_for_first_paint(window, limit=1.0, wait=app.wait_for_first_paint):
    wait(window, limit=3600)
    window.grab()
    os._exit(0)

app.wait_for_first_paint = wait_for_first_paint
from composer.main import main
main(["open"])
"""


def _once(code: str, user_dir: str = "") -> tuple[float, float]:
    """(wall, CPU) seconds of one start."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT), "COMPOSER_USER_DIR": user_dir}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(runs: int = 3) -> tuple[float, float, float, float]:
    """(Composer wall, bare wall, Composer CPU, bare CPU) seconds to the first painted window,
    each the best of ``runs`` (after one run each that writes the bytecode). Each Composer start
    is a first start, in a user directory of its own."""
    with tempfile.TemporaryDirectory() as root:
        dirs = (str(Path(root) / str(n)) for n in range(runs + 1))
        _once(COMPOSER, next(dirs))
        _once(BARE)
        composer, bare = [], []
        for _ in range(runs):
            composer.append(_once(COMPOSER, next(dirs)))
            bare.append(_once(BARE))
    return (min(w for w, _ in composer), min(w for w, _ in bare),
            min(c for _, c in composer), min(c for _, c in bare))
