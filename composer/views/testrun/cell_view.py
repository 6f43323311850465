"""The cell shown under the results grid: every repeat's verdicts with their why, the reply of the
repeat chosen in a results pane (the same pane the main window shows replies in), and what Diff
compares for the selection (two cells, or two repeats of one cell)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from composer.models.exchange import Exchange
from composer.run.testrun import CellResult
from composer.run.testrun.grid import GridCell
from composer.views.results.pane import ResultsPane

Titled = tuple[str, GridCell]  # "target · case", the cell


class CellView(QSplitter):
    repeat_chosen = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.cells: list[Titled] = []
        self.verdicts = QPlainTextEdit()
        self.verdicts.setReadOnly(True)
        self.verdicts.setAccessibleName("Verdicts of the cell")
        self.verdicts.setPlaceholderText("Click a cell to see its verdicts and its reply; "
                                         "select two to compare them (Diff).")
        self.repeat_choice = QComboBox()
        self.repeat_choice.setAccessibleName("Repeat")
        self.repeat_choice.currentIndexChanged.connect(self._on_repeat_choice_changed)
        self.repeat_choice.hide()
        self.pane = ResultsPane()
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.repeat_choice)
        layout.addWidget(self.verdicts, 1)
        self.addWidget(left)
        self.addWidget(self.pane)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        self.setChildrenCollapsible(False)

    def show_cells(self, cells: list[Titled]) -> None:
        """The selection changed: one cell shows its repeats and a reply, several their
        verdicts."""
        self.cells = cells
        choice = self.repeat_choice
        choice.blockSignals(True)
        choice.clear()
        if len(cells) == 1 and len(cells[0][1].results) > 1:
            cell = cells[0][1]
            choice.addItems([f"Repeat {i + 1}: {r.status if r is not None else 'not run'}"
                             for i, r in enumerate(cell.results)])
            shown = cell.first()  # the repeat that explains the cell's status
            choice.setCurrentIndex(shown.cell.repeat - 1 if shown else 0)
        choice.setVisible(choice.count() > 1)
        choice.blockSignals(False)
        self._show()

    def _on_repeat_choice_changed(self, _index: int) -> None:
        self._show()
        self.repeat_chosen.emit()

    def shown(self) -> CellResult | None:
        """The repeat of the one selected cell whose reply is shown."""
        if len(self.cells) != 1:
            return None
        cell = self.cells[0][1]
        index = self.repeat_choice.currentIndex()
        result = cell.results[index] if 0 <= index < len(cell.results) else None
        return result if result is not None and result.record is not None else cell.first()

    def _show(self) -> None:
        if len(self.cells) != 1:
            self.verdicts.setPlainText("\n\n".join(f"{t}\n{c.tooltip()}" for t, c in self.cells))
            return
        title, cell = self.cells[0]
        self.verdicts.setPlainText(f"{title}\n{cell.tooltip()}")
        result = self.shown()
        if result is None or result.record is None:
            self.pane.clear()
            return
        self.pane.show_exchange(result.record.exchange, f"{title} · repeat {result.cell.repeat}")

    def to_diff(self) -> list[tuple[str, Exchange]]:
        """What Diff compares: the replies of two selected cells, or of one cell the repeat
        shown and another (one whose status differs, if any: why is ✓✓✗ not ✓✓✓?)."""
        if len(self.cells) == 1:
            title, cell = self.cells[0]
            done = [r for r in cell.results if r is not None and r.record is not None]
            shown = self.shown()
            if len(done) < 2 or shown is None:
                return []
            other = next((r for r in done if r is not shown and r.status != shown.status),
                         next(r for r in done if r is not shown))
            return [(f"{title} · repeat {r.cell.repeat}", r.record.exchange)
                    for r in sorted((shown, other), key=lambda r: r.cell.repeat)]
        return [(title, first.record.exchange) for title, cell in self.cells
                if (first := cell.first()) is not None and first.record is not None]
