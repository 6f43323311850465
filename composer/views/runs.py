"""The runs of this session: every exchange sent from the window, newest first. Each can be
shown again in the results pane, saved as an exchange file, or compared with another (the two
replies side by side, word-level changes highlighted: views/reply_diff).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.run import Run, RunRecord

if TYPE_CHECKING:
    from composer.models.exchange import Exchange
    from composer.views.reply_diff import ReplyDiffWindow


class RunsPanel(QWidget):
    show_requested = Signal(object)  # Run
    save_requested = Signal(object)  # Run

    def __init__(self, record: RunRecord | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.record = record if record is not None else RunRecord()
        self.diff_window: ReplyDiffWindow | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Runs")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMinimumHeight(24)  # the output tabs must not force the window taller
        self.list.itemActivated.connect(lambda _item: self.show_selected())
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.show_button = QPushButton("Show")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two runs to compare their replies side by side")
        self.save_button = QPushButton("Save Exchange…")
        self.show_button.clicked.connect(self.show_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.save_button.clicked.connect(self.save_selected)
        self.empty = QLabel("Runs you send are listed here.")
        self.empty.setEnabled(False)
        row = QHBoxLayout()
        for b in (self.show_button, self.compare_button, self.save_button):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self._update_buttons()

    @property
    def runs(self) -> list[Run]:
        return self.record.runs

    def add(self, exchange: Exchange) -> Run:
        """A finished run: into the record (numbered, current) and at the top of the list."""
        run = self.record.add(exchange)
        item = QListWidgetItem(run.title)
        item.setData(Qt.ItemDataRole.UserRole, run.number)
        self.list.insertItem(0, item)
        self.empty.hide()
        self._update_buttons()
        return run

    def clear(self) -> None:
        """Forget every run (another conversation came in: they were runs of the last one)."""
        self.record.clear()
        self.list.clear()
        self.empty.show()
        self._update_buttons()

    def selected(self) -> list[Run]:
        numbers = sorted(i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems())
        return [self.record.run(n) for n in numbers]

    def select(self, *numbers: int) -> None:
        self.list.clearSelection()
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in numbers:
                item.setSelected(True)

    def show_selected(self) -> None:
        runs = self.selected()
        if runs:
            self.show_requested.emit(runs[-1])

    def save_selected(self) -> None:
        runs = self.selected()
        if len(runs) == 1:
            self.save_requested.emit(runs[0])

    def compare_selected(self) -> ReplyDiffWindow | None:
        runs = self.selected()
        if len(runs) != 2:
            return None
        left, right = runs
        # The word-level diff (and its window) loads with the first compare, not at start.
        from composer.views.reply_diff import show_exchange_diff

        self.diff_window = show_exchange_diff(self, left.title, left.exchange, right.title,
                                              right.exchange)
        return self.diff_window

    def _update_buttons(self) -> None:
        n = len(self.list.selectedItems())
        self.show_button.setEnabled(n >= 1)
        self.save_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n == 2)
