"""The Variables tab: every {{name}} the conversation uses, with the value an interactive send
fills in. Names are found again when the rows settle after an edit (not per keystroke); values
live in the conversation file (composer/models/variables.py has the rules)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.models import variables
from composer.models.document import Document
from composer.views.attachments import run_off_thread
from composer.views.lazy import LazyPage
from composer.views.wrapped_label import WrappedLabel

EMPTY = ("No variables yet. Write {{name}} in any message, tool description or the response "
         "schema, and give it a value here; a test case gives one per case. {{{{ writes {{.")
SETTLE_MS = 300
# Rows read on the GUI thread at most (~10 ms); more are read on a worker (~200 ms at 50,000).
READ_HERE = 2000


class VariablesPanel(LazyPage):
    """``count_changed(used, missing)`` fires when the set of names or their values change.
    The names are counted from the start (the tab's title says them); the table showing them
    is built when the tab is first shown or read."""

    count_changed = Signal(int, int)

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(self._build_table, parent)
        self._document = document
        self._names: dict[str, list[str]] = {}
        self._finder = variables.Finder()  # reads only the rows changed since it last looked
        self._reading = self._again = False  # a read on a worker; another refresh asked since
        self._writing = False
        self._note: QLabel | None = None
        self._table: QTableWidget | None = None
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.refresh)
        document.subscribe(self._on_document_changed)
        self.refresh()

    def _build_table(self, layout: QVBoxLayout) -> None:
        note = self._note = WrappedLabel(EMPTY)
        note.setTextFormat(Qt.TextFormat.PlainText)
        table = self._table = QTableWidget(0, 3)
        table.setHorizontalHeaderLabels(["Variable", "Value", "Used in"])
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().hide()
        table.itemChanged.connect(self._on_item_changed)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(note)
        layout.addWidget(table, 1)
        self._fill()

    @property
    def note(self) -> QLabel:
        self.built()
        assert self._note is not None
        return self._note

    @property
    def table(self) -> QTableWidget:
        self.built()
        assert self._table is not None
        return self._table

    def _on_document_changed(self, notice: object) -> None:
        if not self._writing:
            # A value typed here changes the document too; the table already shows it.
            self._settle.start()

    def refresh(self) -> None:
        """Find the names again and show them with their values. When many rows are still to
        be read (another conversation came in: an open, a start on a big file) they are read
        on a worker; one read at a time, a newer refresh goes after it."""
        if self._reading:
            self._again = True
            return
        conversation = self._document.conversation.snapshot()
        if self._finder.unread(conversation, READ_HERE) < READ_HERE:
            self._found(self._finder.find(conversation))
            return
        self._reading = True
        run_off_thread(self, lambda: self._finder.find(conversation), self._found_on_worker)

    def _found_on_worker(self, names: dict[str, list[str]]) -> None:
        self._reading = False
        self._found(names)
        if self._again:
            self._again = False
            self.refresh()

    def _found(self, names: dict[str, list[str]]) -> None:
        self._names = names
        if self._table is not None:
            self._fill()
        self.count_changed.emit(len(self._names), len(self.missing()))

    def _fill(self) -> None:
        values = self._document.conversation.variable_values
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(self._names))
            for row, (name, places) in enumerate(self._names.items()):
                name_item = QTableWidgetItem(name)
                name_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                value_item = QTableWidgetItem(values.get(name, ""))
                value_item.setData(Qt.ItemDataRole.UserRole, name)
                if name not in values:
                    value_item.setBackground(QBrush(QColor(255, 200, 120, 90)))
                    value_item.setToolTip("No value yet: Send is refused until it has one")
                used_item = QTableWidgetItem(", ".join(places))
                used_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                for column, item in enumerate((name_item, value_item, used_item)):
                    self.table.setItem(row, column, item)
        finally:
            self.table.blockSignals(False)
        self.note.setVisible(not self._names)
        self.table.setVisible(bool(self._names))

    def missing(self) -> list[str]:
        values = self._document.conversation.variable_values
        return [name for name in self._names if name not in values]

    def set_value(self, name: str, value: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setText(value)  # _on_item_changed writes it
                return
        raise KeyError(name)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.column() != 1 or not name:
            return
        values = self._document.conversation.variable_values
        values[name] = item.text()
        self._writing = True
        try:
            self._document.set_variables(values)
        finally:
            self._writing = False
        self.table.blockSignals(True)
        item.setBackground(QBrush())
        item.setToolTip("")
        self.table.blockSignals(False)
        self.count_changed.emit(len(self._names), len(self.missing()))


def tab_title(used: int, missing: int) -> str:
    if not used:
        return "Variables"
    return f"Variables ({used}, {missing} unset)" if missing else f"Variables ({used})"

