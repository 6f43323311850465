"""The message table scrolling through a big conversation: the cost of painting each newly
exposed screen (a page down, then a repaint), worst and 95th percentile."""

from __future__ import annotations

import time


def run(rows: int) -> tuple[float, float, int]:
    """(worst ms, p95 ms, screens) for one pass top to bottom over ``rows`` long messages."""
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from benchmarks.bench_table import build
    from composer.models.document import Document
    from composer.views.table.view import MessageTable
    from composer.views.undo import DocumentEditor

    app = QApplication.instance()
    editor = DocumentEditor(Document(build(rows)), QUndoStack())
    table = MessageTable(editor)
    table.resize(1000, 700)
    table.show()
    app.processEvents()
    bar = table.verticalScrollBar()
    costs, value = [], 0
    while True:
        start = time.perf_counter()
        bar.setValue(value)
        table.viewport().repaint()
        costs.append((time.perf_counter() - start) * 1000)
        if value >= bar.maximum():
            break
        value = min(bar.maximum(), value + table.viewport().height())
    table.close()
    table.deleteLater()
    app.processEvents()
    ordered = sorted(costs)
    return ordered[-1], ordered[int(len(ordered) * 0.95)], len(costs)
