"""The message table's row numbers (its vertical header), painted without asking the model.

Qt's header paints a section by asking the model for seven roles of its header data (each a
call into Python) and calling ``paintSection`` (another); at ~23 sections a screen that was a
tenth of painting a newly exposed screen. The numbers' look is the model's header data
(``MessageTableModel.headerData``: the row's number, no font, colour, icon or alignment of its
own), so ``paintEvent`` builds each section's style option as ``QHeaderView`` builds it from
that data, and has the style draw it. While the mouse is over the header or a button is held
(a section under the mouse or pressed looks so only in Qt's own state), or with sections
hidden, Qt paints it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QStyleOptionHeaderV2,
    QWidget,
)

from composer.views.qt_start import own_viewport

_ACTIVE, _ON = QStyle.StateFlag.State_Active, QStyle.StateFlag.State_On
_SUNKEN, _HORIZONTAL = QStyle.StateFlag.State_Sunken, QStyle.StateFlag.State_Horizontal
_Position = QStyleOptionHeader.SectionPosition
_Selected = QStyleOptionHeader.SelectedPosition
_NO_BUTTON = Qt.MouseButton.NoButton
_HEADER = QStyle.ControlElement.CE_Header
_EMPTY = QStyle.ControlElement.CE_HeaderEmptyArea


class RowNumbers(QHeaderView):
    """The vertical header: row numbers, sized by arithmetic instead of by asking the model.

    Qt's header recomputes its width from the labels of up to two hundred sections, several
    roles each, whenever one row's height changes; fitting the rows of one screen then cost as
    much as painting it. A row number's width depends only on the row count.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        own_viewport(self, QPalette.ColorRole.Button, tracking=True)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def sizeHint(self) -> QSize:  # noqa: N802
        digits = len(str(max(self.count(), 9)))
        width = self.fontMetrics().horizontalAdvance("9" * digits) + 12
        return QSize(width, self.defaultSectionSize())

    def sectionSizeFromContents(self, logical_index: int) -> QSize:  # noqa: N802
        # Rows are as tall as their cells say; the number itself needs only one line.
        return QSize(self.sizeHint().width(), self.fontMetrics().height() + 4)

    def paintSection(self, painter: QPainter, rect: QRect,  # noqa: N802
                     logical_index: int) -> None:
        # WORKAROUND: scrolled near the end (per pixel), Qt's header paint event asks for every
        # section from the first, each one reading seven roles from the model; paint only
        # what is on screen.
        if rect.bottom() < 0 or rect.top() > self.viewport().height():
            return
        super().paintSection(painter, rect, logical_index)

    def paintEvent(self, event) -> None:  # noqa: N802
        if (self.underMouse() or QApplication.mouseButtons() != _NO_BUTTON
                or self.sectionsHidden() or self.orientation() != Qt.Orientation.Vertical):
            super().paintEvent(event)
            return
        count = self.count()
        if not count:
            return
        rect = event.rect()
        first, last = self.visualIndexAt(rect.top()), self.visualIndexAt(rect.bottom())
        last = count - 1 if last < 0 else last
        painter = QPainter(self.viewport())
        style, width = self.style(), self.viewport().width()
        base = QStyleOptionHeaderV2()
        self.initStyleOption(base)
        base.state = base.state | _ACTIVE if self.window().isActiveWindow() else base.state
        base.textAlignment = self.defaultAlignment()
        base.iconAlignment = Qt.AlignmentFlag.AlignVCenter
        selection = self.selectionModel()
        if selection is not None and not selection.hasSelection():
            selection = None  # nothing selected: no section is highlighted
        bottom = -1
        for visual in range(first, last + 1) if first >= 0 else ():
            row = self.logicalIndex(visual)
            option = QStyleOptionHeaderV2(base)
            top, height = self.sectionViewportPosition(row), self.sectionSize(row)
            option.rect = QRect(0, top, width, height)
            bottom = top + height - 1
            option.section = row
            option.text = str(row + 1)  # the model's header data for the row
            option.position = (_Position.OnlyOneSection if count == 1 else
                               _Position.Beginning if visual == 0 else
                               _Position.End if visual == count - 1 else _Position.Middle)
            if selection is not None:
                self._selected_look(option, selection, row, visual, count)
            painter.save()
            style.drawControl(_HEADER, option, painter, self)
            painter.restore()
        if first < 0:  # below the last section (as Qt leaves it, the whole event rect)
            row = self.logicalIndex(count - 1)
            bottom = self.sectionViewportPosition(row) + self.sectionSize(row) - 1
        if bottom < rect.bottom():  # the area past the last section
            empty = QStyleOption()
            empty.initFrom(self)
            empty.state = empty.state & ~_HORIZONTAL
            empty.rect = QRect(0, bottom + 1, width, self.viewport().height() - bottom - 1)
            style.drawControl(_EMPTY, empty, painter, self)
        painter.end()

    def _selected_look(self, option: QStyleOptionHeaderV2, selection, row: int, visual: int,
                       count: int) -> None:
        """A section's state and selected neighbours, as QHeaderView sets them."""
        root = QModelIndex()
        if self.sectionsClickable() and self.highlightSections():
            if selection.rowIntersectsSelection(row, root):
                option.state = option.state | _ON
            if selection.isRowSelected(row, root):
                option.state = option.state | _SUNKEN
        before = visual > 0 and selection.isRowSelected(self.logicalIndex(visual - 1), root)
        after = visual < count - 1 and selection.isRowSelected(self.logicalIndex(visual + 1),
                                                                root)
        option.selectedPosition = (_Selected.NextAndPreviousAreSelected if before and after else
                                   _Selected.PreviousIsSelected if before else
                                   _Selected.NextIsSelected if after else _Selected.NotAdjacent)
