"""The conversation picker: a file that holds several conversations asks which one to open.

An llm logs.db (its threads), ShareGPT JSONL or the original ShareGPT dataset: the list comes
from the pure core (``formats._choices``); this only shows it. Like every question the window
asks (dialogs.py) it never blocks: ``pick`` opens it and calls back with the chosen key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.models.formats._choices import Choice


class ConversationPicker(QDialog):
    def __init__(self, parent: QWidget | None, name: str, choices: Sequence[Choice]):
        super().__init__(parent)
        self.setWindowTitle("Choose a conversation")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        label = QLabel(f"{name} holds {len(choices)} conversations. Open which one?")
        label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(label)
        self.list = QListWidget()
        for choice in choices:
            text = choice.title + (f"\n{choice.detail}" if choice.detail else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, choice.key)
            item.setToolTip(choice.key)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.accept())
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def chosen_key(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


def pick(parent: QWidget | None, name: str, choices: Sequence[Choice],
         on_pick: Callable[[str], None]) -> ConversationPicker:
    """Show the picker; ``on_pick(key)`` runs when the user opens one (not on Cancel)."""
    dialog = ConversationPicker(parent, name, choices)

    def finished(result: int) -> None:
        key = dialog.chosen_key()
        if result == QDialog.DialogCode.Accepted and key is not None:
            on_pick(key)

    dialog.finished.connect(finished)
    dialog.open()
    return dialog
