"""The results grid: an item model over the core's ``Grid`` (composer.run.testrun.grid), which owns
the data, and the table that shows it.

Rows are cases, columns targets. A cell shows a symbol per repeat (``✓✓✗``, the same symbols
the tooltip explains) and the start of the reply, on a tint for its status, so pass and fail
read by colour and by shape. A column header shows the target, its pass rate (with the change
against a baseline run), its cost and mean latency. A cell whose status changed against the
baseline is marked ``◆``.

Cells finishing during a run are not shown one by one: ``note_changed`` collects them and a
single-shot timer (a frame, ~16 ms... at most every ``FLUSH_MS``) emits one ``dataChanged`` per
changed column span and one header update, so 300 cells arriving together cost a few repaints.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from composer.run.testrun.checks import ERROR, FAIL, PASS
from composer.run.testrun.grid import RUNNING, Grid, GridCell
from composer.views.theme import is_dark

Role = Qt.ItemDataRole
Index = QModelIndex | QPersistentModelIndex
FLUSH_MS = 100
CellRole = Role.UserRole + 1  # the GridCell itself

# status -> (light tint, dark tint): a background that keeps the palette's text readable.
TINTS = {PASS: ("#e3f4e1", "#1f3a22"), FAIL: ("#fbe1de", "#4a2220"),
         ERROR: ("#fdebc8", "#4a3816"), RUNNING: ("#e6eefb", "#22314a")}
WORDS = {PASS: "pass", FAIL: "fail", ERROR: "error", RUNNING: "running…", "pending": "not run"}


class GridModel(QAbstractTableModel):
    flushed = Signal()  # the coalesced changes were shown

    def __init__(self, grid: Grid | None = None, parent: Any = None):
        super().__init__(parent)
        self.grid = grid
        self.rows: list[int] = list(range(grid.rows)) if grid else []
        self.only_failures = False
        self.only_differ = False
        self._dirty: set[tuple[int, int]] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self._stats: list | None = None
        self._tint_cache: tuple[bool | None, dict[str, QColor]] = (None, {})

    # -- what the view asks --------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() or self.grid is None else self.grid.columns

    def cell_at(self, index: Index) -> GridCell | None:
        if self.grid is None or not index.isValid() or index.row() >= len(self.rows):
            return None
        return self.grid.cell(self.rows[index.row()], index.column())

    def position(self, index: Index) -> tuple[int, int]:
        """(case row in the suite, target column) of a view index."""
        return self.rows[index.row()], index.column()

    def data(self, index: Index, role: int = Role.DisplayRole) -> Any:
        cell = self.cell_at(index)
        if cell is None:
            return None
        status = cell.status
        if role == Role.DisplayRole:
            changed = self.grid.changed(*self.position(index))
            mark = "◆ " if changed else ""
            preview = cell.preview(90)
            head = f"{mark}{cell.symbols()}  {WORDS.get(status, status)}"
            return f"{head}\n{preview}" if preview else head
        if role == Role.ToolTipRole:
            tip = cell.tooltip()
            changed = self.grid.changed(*self.position(index))
            if changed:
                tip += (f"\n◆ changed against the baseline {self.grid.baseline_name} "
                        f"(repeat {', '.join(map(str, changed))})")
            return tip
        if role == Role.BackgroundRole and status in TINTS:
            return self._tints()[status]
        if role == Role.AccessibleTextRole:
            return f"{WORDS.get(status, status)}: {cell.preview(200)}"
        if role == CellRole:
            return cell
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Role.DisplayRole) -> Any:
        if self.grid is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section >= self.grid.columns:
                return None
            if role == Role.DisplayRole:
                return self.grid.header(section, self._column_stats()[section])
            if role == Role.ToolTipRole:
                s = self._column_stats()[section]
                return (f"{self.grid.suite.targets[section].name}: {s.passed} passed, "
                        f"{s.failed} failed, {s.errors} errors, {s.pending} not run")
            return None
        if section >= len(self.rows):
            return None
        case = self.grid.suite.cases[self.rows[section]]
        if role == Role.DisplayRole:
            return self.grid.case_title(self.rows[section])
        if role == Role.ToolTipRole:
            return "\n".join(f"{k} = {v}" for k, v in case.values.items()) or case.id
        return None

    def _tints(self) -> dict[str, QColor]:
        """The status tints for the palette in use (made once per scheme, not per paint)."""
        dark = is_dark()
        if self._tint_cache[0] != dark:
            self._tint_cache = (dark, {k: QColor(v[dark]) for k, v in TINTS.items()})
        return self._tint_cache[1]

    def _column_stats(self) -> list:
        if self._stats is None:
            self._stats = self.grid.stats()
        return self._stats

    # -- what changes it -----------------------------------------------------------------------

    def set_grid(self, grid: Grid | None) -> None:
        self.beginResetModel()
        self.grid = grid
        self._dirty.clear()
        self._stats = None
        self.rows = grid.visible_rows(self.only_failures, self.only_differ) if grid else []
        self.endResetModel()

    def set_filters(self, only_failures: bool, only_differ: bool) -> None:
        self.only_failures, self.only_differ = only_failures, only_differ
        self.refilter()

    def refilter(self) -> None:
        if self.grid is None:
            return
        rows = self.grid.visible_rows(self.only_failures, self.only_differ)
        if rows != self.rows:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()

    def note_changed(self, at: tuple[int, int] | None) -> None:
        """A cell changed: shown at the next flush (coalesced)."""
        if at is None:
            return
        self._dirty.add(at)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if not self._dirty or self.grid is None:
            return
        dirty, self._dirty = self._dirty, set()
        self._stats = None
        if self.only_failures or self.only_differ:
            self.refilter()  # a finished cell can bring its row in or out
        view_row = {r: i for i, r in enumerate(self.rows)}
        for row, column in dirty:  # each cell alone: the view repaints only those
            if row in view_row:
                index = self.index(view_row[row], column)
                self.dataChanged.emit(index, index)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.grid.columns - 1)
        self.flushed.emit()

    def pending_updates(self) -> int:
        return len(self._dirty)

    def refresh_all(self) -> None:
        """Everything may have changed (a baseline picked): repaint every cell and header."""
        self._stats = None
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))
        if self.grid is not None and self.grid.columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.grid.columns - 1)


class GridView(QTableView):
    """The grid's table: fixed row heights (two lines), columns wide enough for a short reply,
    ExtendedSelection so two cells can be picked for a diff."""

    def __init__(self, model: GridModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Test run results")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)  # two lines of their own ("\n"); wrapping costs every paint
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        line = self.fontMetrics().lineSpacing()
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(line * 2 + 10)
        columns = self.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setDefaultSectionSize(max(220, self.fontMetrics().averageCharWidth() * 34))
        columns.setMinimumHeight(line * 3 + 12)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        columns.setStretchLastSection(True)
        self._sharing = True  # the columns share the width, until the user sizes one
        self._fitting = False
        columns.sectionResized.connect(self._on_section_resized)

    def fit_columns(self) -> None:
        """The targets share the width evenly, side by side (at least 24 characters each:
        many targets scroll sideways); again at each resize, until the user sizes a column."""
        self._sharing = True
        self._share_width()

    def _share_width(self) -> None:
        count = self.model().columnCount()
        if not count:
            return
        least = 24 * self.fontMetrics().averageCharWidth()
        share = max(least, self.viewport().width() // count)
        self._fitting = True
        try:
            for column in range(count):
                self.setColumnWidth(column, share)
        finally:
            self._fitting = False

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        last = column == self.model().columnCount() - 1  # the stretched one follows the view
        if not self._fitting and not last:
            self._sharing = False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._sharing:
            self._share_width()
