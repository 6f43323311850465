"""Building a main window and its first paint, in a process that has made one before (what
every view test pays, and the window part of a cold start): the median over several windows,
wall and CPU, of MainWindow(...) and of show() until the first paint is processed.

    QT_QPA_PLATFORM=offscreen python -m benchmarks.window_build [WINDOWS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    build_ms: float  # wall, median
    paint_ms: float  # wall, median: show() and the events until the first paint is done
    cpu_ms: float  # CPU of both, median


def run(windows: int = 10) -> Result:
    """Make ``windows`` windows one after another (after one to warm up), each in a user
    directory of its own, as the view tests do."""
    from PySide6.QtWidgets import QApplication

    from composer.models import pricing
    from composer.models.conversation import Conversation
    from composer.models.document import Document
    from composer.models.parts import Message
    from composer.views.window import MainWindow

    app = QApplication.instance() or QApplication([])
    pricing.warm()
    conversation = Conversation(messages=[Message.text("system", "Be brief."),
                                          Message.text("user", "Hello there")])
    scratch = Path(tempfile.mkdtemp(prefix="composer-bench-"))
    builds, paints, cpus = [], [], []
    for i in range(windows + 1):
        cpu, start = time.process_time(), time.perf_counter()
        window = MainWindow(Document(conversation.model_copy(deep=True)),
                            user_dir=scratch / str(i))
        window.token_count.enabled = False
        built = time.perf_counter()
        window.show()
        window.repaint()
        app.processEvents()
        if i:  # the first one loads what the process keeps
            builds.append((built - start) * 1000)
            paints.append((time.perf_counter() - built) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        window._close_confirmed = True
        window.run_ui.shutdown()
        window.autosaver.stop()
        window.token_count.shutdown()
        window.close()
        window.deleteLater()
        app.processEvents()
    return Result(statistics.median(builds), statistics.median(paints), statistics.median(cpus))


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    r = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    print(f"window build {r.build_ms:.1f} ms, first paint {r.paint_ms:.1f} ms (wall, median); "
          f"CPU {r.cpu_ms:.1f} ms")
