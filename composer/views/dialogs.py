"""Message boxes that never block: opened with ``open()``, answered through a callback.

``QMessageBox.exec()`` spins a nested event loop, which breaks coroutines running on the qasync
loop (STYLE.md). Every question the window asks goes through ``ask``/``inform`` here; each returns
the box it opened, so a test can find it (``open_boxes(window)``) and click a real button.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
         detail: str | None) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if detail:
        box.setInformativeText(detail)
    return box


def inform(parent: QWidget | None, title: str, text: str, *, detail: str | None = None,
           warning: bool = False) -> QMessageBox:
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = _box(parent, icon, title, text, detail)
    box.setStandardButtons(Button.Ok)
    box.open()
    return box


def ask(parent: QWidget | None, title: str, text: str, buttons: Sequence[Button],
        on_answer: Callable[[Button], None], *, default: Button | None = None,
        detail: str | None = None) -> QMessageBox:
    """Ask a question; ``on_answer`` gets the button clicked (Escape or closing = the escape
    button Qt picks, usually Cancel)."""
    box = _box(parent, QMessageBox.Icon.Question, title, text, detail)
    flags = Button.NoButton
    for b in buttons:
        flags |= b
    box.setStandardButtons(flags)
    if default is not None:
        box.setDefaultButton(default)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else Button.Cancel
        on_answer(answer)

    box.finished.connect(finished)
    box.open()
    return box


def open_boxes(parent: QWidget) -> list[QMessageBox]:
    """The message boxes currently shown over ``parent`` (tests answer them)."""
    return [b for b in parent.findChildren(QMessageBox) if b.isVisible()]
