"""The test-run workspace during a big run: a 300-cell suite (5 targets × 20 cases × 3 repeats)
sent by the window's own controller (the core's Runner on the qasync loop) to a loopback server
in its own process that answers at once, while the results grid updates as cells finish.

Measures the event loop's longest and 99th-percentile stall (benchmarks/stall.py) from Run to
the grid caught up, and the wall time of the run.

    python -m benchmarks.testrun_grid [TARGETS CASES REPEATS]
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENAI_API_KEY", "sk-bench")


@dataclass
class GridResult:
    cells: int
    max_stall_ms: float
    p99_stall_ms: float
    wall_s: float
    repaint_ms: float  # CPU for one repaint of the whole grid, full of results


def _draft(url: str, targets: int, cases: int, repeats: int):
    from composer.models.conversation import Conversation
    from composer.models.parts import Message
    from composer.models.settings import RequestSettings
    from composer.run.testrun.draft import SuiteDraft

    conversation = Conversation(messages=[Message.text("user", "Say hi in {{lang}}")],
                                settings=RequestSettings(provider="custom", model="gpt-4o"))
    draft = SuiteDraft.from_conversation(conversation, name="bench")
    draft.rows = [{"lang": f"Language {i}", "expected": "Olá" if i % 4 else "Hola"}
                  for i in range(cases)]
    draft.targets_text = "\n".join(f"custom:gpt-4o,base_url={url},label=t{t}"
                                   for t in range(targets))
    draft.checks_text = ('[{"kind": "contains", "value": "{{expected}}"}, '
                         '{"kind": "regex", "pattern": "Tudo\\\\s+bem"}, '
                         '{"kind": "latency", "under_ms": 10000}]')
    draft.repeats = repeats
    return draft


def run(targets: int = 5, cases: int = 20, repeats: int = 3, *, warm: bool = True) -> GridResult:
    """The measured run, after a small one that pays the first-use imports (a window that has
    sent before has paid them)."""
    if warm:
        _run(2, 2, 1)
    return _run(targets, cases, repeats)


def _run(targets: int, cases: int, repeats: int) -> GridResult:
    from PySide6.QtWidgets import QApplication

    from benchmarks import bench_runner
    from benchmarks.stall import StallMeter
    from composer.models.conversation import Conversation
    from composer.providers.trust import TrustedHosts
    from composer.views.app import make_loop
    from composer.views.testrun.workspace import TestRunWindow

    app = QApplication.instance() or QApplication([])
    # The warm-up's window, closed, is torn down by the garbage collector (a widget tree: tens
    # of ms): now, not in the middle of the measured run.
    gc.collect()
    server, url = bench_runner.start_server()
    meter = StallMeter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            window = TestRunWindow(Conversation(), key_trust=TrustedHosts.load(Path(tmp)),
                                   base_dir=Path(tmp))
            window.set_draft(_draft(url, targets, cases, repeats))
            window.resize(1400, 860)
            window.show()
            app.processEvents()
            control = window.control

            async def main() -> float:
                task = window.run_into(Path(tmp) / "run")
                await task  # prepared; the question is open
                box = control.question
                assert box is not None, window.statusBar().currentMessage()
                if box.checkBox() is not None:
                    box.checkBox().setChecked(True)
                meter.start()
                start = time.perf_counter()
                next(b for b in box.buttons() if b.text() == "Run").click()
                while control.running:
                    await asyncio.sleep(0.005)
                while window.model.pending_updates():
                    await asyncio.sleep(0.005)
                took = time.perf_counter() - start
                meter.stop()
                return took

            with asyncio.Runner(loop_factory=lambda: make_loop(app)) as runner:
                wall = runner.run(main())
            counts = window.grid.summary().counts()
            assert counts["pending"] == 0, counts
            viewport = window.view.viewport()
            c0 = time.process_time()
            for _ in range(10):
                window.model.refresh_all()
                viewport.repaint()
                window.view.horizontalHeader().viewport().repaint()
            repaint = (time.process_time() - c0) * 100
            window.close()
            window.deleteLater()
            app.processEvents()
    finally:
        bench_runner.stop_server(server)
    return GridResult(targets * cases * repeats, meter.max_ms, meter.p99_ms, wall, repaint)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    args = [int(a) for a in sys.argv[1:4]] or [5, 20, 3]
    r = run(*args)
    print(f"{r.cells} cells in {r.wall_s:.2f} s; longest stall {r.max_stall_ms:.1f} ms, "
          f"p99 {r.p99_stall_ms:.1f} ms; a repaint of the grid {r.repaint_ms:.1f} ms CPU")
