"""The suite as the window edits it: the cases table (one column per variable, ``expected`` and any
other column; add and remove rows; load CSV/JSONL/JSON with the core's loader), the targets (one
per line), the checks (JSON, checked by the core's parser as you type), repeats and budget.

It edits a ``SuiteDraft`` (composer.run.testrun.draft), which owns the data; what is wrong is
said by the core's own message under the field, and nothing typed is thrown away.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.run.testrun.cases import Case
from composer.run.testrun.draft import SuiteDraft, parse_checks_text, parse_target_lines
from composer.run.testrun.suite import MAX_REPEATS, SuiteError
from composer.views.setting_editors import error_label, show_text
from composer.views.wrapped_label import WrappedLabel

Role = Qt.ItemDataRole
Index = QModelIndex | QPersistentModelIndex


class CasesModel(QAbstractTableModel):
    """The draft's cases as an editable table (the draft's rows are the data)."""

    edited = Signal()

    def __init__(self, draft: SuiteDraft, parent: Any = None):
        super().__init__(parent)
        self.draft = draft

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.draft.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.draft.columns)

    def data(self, index: Index, role: int = Role.DisplayRole) -> Any:
        if not index.isValid() or role not in (Role.DisplayRole, Role.EditRole):
            return None
        return self.draft.rows[index.row()].get(self.draft.columns[index.column()], "")

    def setData(self, index: Index, value: Any, role: int = Role.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Role.EditRole:
            return False
        self.draft.rows[index.row()][self.draft.columns[index.column()]] = str(value)
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Role.DisplayRole) -> Any:
        if role != Role.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            name = self.draft.columns[section]
            return name if name in ("expected", "id", "messages") else f"{{{{{name}}}}}"
        return str(section + 1)

    def add_row(self, values: dict[str, str] | None = None) -> int:
        row = len(self.draft.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.draft.rows.append({c: "" for c in self.draft.columns} | (values or {}))
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self.draft.rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.draft.rows[row]
                self.endRemoveRows()
        self.edited.emit()

    def set_draft(self, draft: SuiteDraft) -> None:
        self.beginResetModel()
        self.draft = draft
        self.endResetModel()

    def set_cases(self, cases: list[Case]) -> None:
        self.beginResetModel()
        self.draft.set_cases(cases)
        self.endResetModel()
        self.edited.emit()


class SuiteEditor(QWidget):
    """Cases, targets, checks and settings of the draft, in tabs."""

    changed = Signal()
    load_cases_requested = Signal()
    pick_targets_requested = Signal()

    def __init__(self, draft: SuiteDraft, parent: QWidget | None = None):
        super().__init__(parent)
        self.draft = draft
        self.cases = CasesModel(draft, self)
        self.cases.edited.connect(self.changed)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        cases_tab = self._cases_tab()
        self.targets = QPlainTextEdit()
        self.targets.setFont(mono)
        self.targets.setAccessibleName("Targets")
        self.targets.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.targets.setPlaceholderText("one per line: PRESET:MODEL[,KEY=VALUE]…\n"
                                        "openai:gpt-4o-mini\nanthropic:claude-sonnet-4-5,"
                                        "temperature=0")
        self.targets_problem = error_label()
        self.pick_button = QPushButton("Pick Targets…")
        self.pick_button.setToolTip("Choose presets and models in the compare dialog (List "
                                    "fetches a server's models)")
        self.pick_button.clicked.connect(self.pick_targets_requested)
        targets_tab = QWidget()
        layout = QVBoxLayout(targets_tab)
        layout.addWidget(self.targets, 1)
        layout.addWidget(self.targets_problem)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pick_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.checks = QPlainTextEdit()
        self.checks.setFont(mono)
        self.checks.setAccessibleName("Checks")
        self.checks.setPlaceholderText('[{"kind": "contains", "value": "{{expected}}"}]')
        self.checks_problem = error_label()
        checks_tab = QWidget()
        layout = QVBoxLayout(checks_tab)
        hint = WrappedLabel("A JSON array: contains, not-contains, equals, regex, is-json, "
                            "json-schema, json-path, tool-call, stop-reason, latency, cost")
        hint.setEnabled(False)
        layout.addWidget(hint)
        layout.addWidget(self.checks, 1)
        layout.addWidget(self.checks_problem)

        self.name = QLineEdit()
        self.name.setAccessibleName("Suite name")
        self.repeats = QSpinBox()
        self.repeats.setRange(1, MAX_REPEATS)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0, 100000)
        self.budget.setDecimals(4)  # a cheap model's run costs fractions of a cent
        self.budget.setPrefix("$")
        self.budget.setSpecialValueText("no budget")
        self.budget.setToolTip("Stop sending new calls once the run has spent this much")
        settings_tab = QWidget()
        form = QFormLayout(settings_tab)
        form.addRow("&Name", self.name)
        form.addRow("&Repeats", self.repeats)
        form.addRow("&Budget", self.budget)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(cases_tab, "Cases")
        self.tabs.addTab(targets_tab, "Targets")
        self.tabs.addTab(checks_tab, "Checks")
        self.tabs.addTab(settings_tab, "Settings")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)

        self.set_draft(draft)
        self.targets.textChanged.connect(self._on_targets_changed)
        self.checks.textChanged.connect(self._on_checks_changed)
        self.name.textChanged.connect(self._on_settings_changed)
        self.repeats.valueChanged.connect(self._on_settings_changed)
        self.budget.valueChanged.connect(self._on_settings_changed)

    def _cases_tab(self) -> QWidget:
        self.table = QTableView()
        self.table.setModel(self.cases)
        self.table.setAccessibleName("Test cases")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add Case")
        self.add_button.clicked.connect(self.add_case)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.load_button = QPushButton("Load Cases…")
        self.load_button.setToolTip("Replace the cases with a CSV, JSONL or JSON file's")
        self.load_button.clicked.connect(self.load_cases_requested)
        self.cases_problem = error_label()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.load_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        cases_tab = QWidget()
        layout = QVBoxLayout(cases_tab)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.cases_problem)
        return cases_tab

    def set_draft(self, draft: SuiteDraft) -> None:
        self.draft = draft
        self.cases.set_draft(draft)
        for widget in (self.targets, self.checks, self.name, self.repeats, self.budget):
            widget.blockSignals(True)
        self.targets.setPlainText(draft.targets_text)
        self.checks.setPlainText(draft.checks_text)
        self.name.setText(draft.name)
        self.repeats.setValue(draft.repeats)
        self.budget.setValue(draft.budget_usd or 0)
        for widget in (self.targets, self.checks, self.name, self.repeats, self.budget):
            widget.blockSignals(False)
        self.validate()

    def add_case(self) -> None:
        row = self.cases.add_row()
        self.table.setCurrentIndex(self.cases.index(row, 0))
        self.table.edit(self.cases.index(row, 0))

    def remove_selected(self) -> None:
        rows = [i.row() for i in self.table.selectionModel().selectedRows()] or (
            [self.table.currentIndex().row()] if self.table.currentIndex().isValid() else [])
        self.cases.remove_rows(rows)

    def commit(self) -> None:
        """Take what is being typed in a cell."""
        index = self.table.currentIndex()
        if self.table.state() == QAbstractItemView.State.EditingState and index.isValid():
            self.table.commitData(self.table.indexWidget(index) or self.table.focusWidget())

    def validate(self) -> bool:
        """Check targets and checks with the core's parsers; say what is wrong under each."""
        ok = True
        for tab, text, parse, label in ((1, self.draft.targets_text, parse_target_lines,
                                         self.targets_problem),
                                        (2, self.draft.checks_text, parse_checks_text,
                                         self.checks_problem)):
            name = ("Targets", "Checks")[tab - 1]
            try:
                parse(text)
                show_text(label, "")
                self.tabs.setTabText(tab, name)
            except SuiteError as exc:
                show_text(label, str(exc))
                self.tabs.setTabText(tab, f"{name} ⚠")  # the problem waits in that tab
                ok = False
        return ok

    def show_cases_problem(self, text: str) -> None:
        show_text(self.cases_problem, text)
        if text:
            self.tabs.setCurrentIndex(0)

    def _on_targets_changed(self) -> None:
        self.draft.targets_text = self.targets.toPlainText()
        self.validate()
        self.changed.emit()

    def _on_checks_changed(self) -> None:
        self.draft.checks_text = self.checks.toPlainText()
        self.validate()
        self.changed.emit()

    def _on_settings_changed(self) -> None:
        self.draft.name = self.name.text().strip() or "suite"
        self.draft.repeats = self.repeats.value()
        self.draft.budget_usd = self.budget.value() or None
        self.changed.emit()
