"""The message table's grid, drawn as Qt draws it but without Qt's pen (see paint_grid)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPainter, QRegion
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTableView


def paint_grid(view: QTableView, region: QRegion) -> None:
    """The grid Qt would draw with its solid one-pixel pen, where Qt draws it (a line under
    each row and one at each column's right edge, within the rows and columns there are),
    as one-pixel rectangles: Qt's pen goes through its line stroker a pixel at a time, which
    cost as much as laying out a screen's previews."""
    rows, columns = view.verticalHeader(), view.horizontalHeader()
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    hint = view.style().styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, view)
    colour = QColor.fromRgba(hint & 0xFFFFFFFF)
    end_y = rows.length() - rows.offset() - 1  # the last row's last pixel
    end_x = columns.length() - columns.offset() - 1
    painter = QPainter(view.viewport())
    for dirty in region:
        left, top = dirty.left(), dirty.top()
        right, bottom = min(dirty.right(), end_x), min(dirty.bottom(), end_y)
        first, last = rows.visualIndexAt(top), rows.visualIndexAt(bottom)
        if right < left or bottom < top or first < 0:
            continue
        last = last if last >= 0 else rows.count() - 1
        for visual in range(first, last + 1):
            row = rows.logicalIndex(visual)
            if not rows.isSectionHidden(row):
                y = rows.sectionViewportPosition(row) + rows.sectionSize(row) - 1
                painter.fillRect(left, y, right - left + 1, 1, colour)
        first, last = columns.visualIndexAt(left), columns.visualIndexAt(right)
        first = max(first, 0)
        last = last if last >= 0 else columns.count() - 1
        for visual in range(first, last + 1):
            column = columns.logicalIndex(visual)
            if not columns.isSectionHidden(column):
                x = columns.sectionViewportPosition(column) + columns.sectionSize(column) - 1
                painter.fillRect(x, top, 1, bottom - top + 1, colour)
    painter.end()
