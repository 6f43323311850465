"""The message table's row numbers (its vertical header)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QHeaderView, QWidget


class RowNumbers(QHeaderView):
    """The vertical header: row numbers, sized by arithmetic instead of by asking the model.

    Qt's header recomputes its width from the labels of up to two hundred sections, several
    roles each, whenever one row's height changes; fitting the rows of one screen then cost as
    much as painting it. A row number's width depends only on the row count.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def sizeHint(self) -> QSize:  # noqa: N802
        digits = len(str(max(self.count(), 9)))
        width = self.fontMetrics().horizontalAdvance("9" * digits) + 12
        return QSize(width, self.defaultSectionSize())

    def sectionSizeFromContents(self, logical_index: int) -> QSize:  # noqa: N802
        # Rows are as tall as their cells say; the number itself needs only one line.
        return QSize(self.sizeHint().width(), self.fontMetrics().height() + 4)

    def paintSection(self, painter: QPainter, rect: QRect, logical_index: int) -> None:  # noqa: N802
        # WORKAROUND: scrolled near the end (per pixel), Qt's header paint event asks for every
        # section from the first, each one reading seven roles from the model; paint only
        # what is on screen.
        if rect.bottom() < 0 or rect.top() > self.viewport().height():
            return
        super().paintSection(painter, rect, logical_index)
