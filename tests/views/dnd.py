"""Synthetic drags for tests: QDrag.exec() cannot be driven, so send the events a drag sends."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget


def send_drag(target: QWidget, pos: QPointF, mime: QMimeData,
              action: Qt.DropAction = Qt.DropAction.CopyAction, *,
              drop: bool = True) -> tuple[QDragEnterEvent, QDropEvent | None]:
    """Enter, move and (unless ``drop`` is False) drop at ``pos``, as a real drag delivers them.

    Enter and move events take an integer QPoint in PySide6 < 6.12, the drop a QPointF.
    """
    tail = (action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    point = QPoint(round(pos.x()), round(pos.y()))
    enter = QDragEnterEvent(point, *tail)
    QApplication.sendEvent(target, enter)
    QApplication.sendEvent(target, QDragMoveEvent(point, *tail))
    if not drop:
        return enter, None
    event = QDropEvent(QPointF(pos), *tail)
    QApplication.sendEvent(target, event)
    return enter, event
