"""Help ▸ Keyboard Shortcuts (also Settings ▸ Keyboard Shortcuts): every command, its keys and
where it lives, in aligned columns; select one and press new keys to rebind it. A key that
another command already uses where both would be live is refused, naming that command.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.views import shortcuts
from composer.views.wrapped_label import WrappedLabel

Portable = QKeySequence.SequenceFormat.PortableText


class ShortcutsDialog(QDialog):
    # The overrides (command id -> portable keys) after every change; the window saves them.
    bindings_changed = Signal(dict)

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Keyboard Shortcuts")
        self.setMinimumSize(620, 520)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Command", "Keys", "Where"])
        self.table.setAccessibleName("Commands and their keys")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.key_edit = QKeySequenceEdit()
        self.key_edit.setMaximumSequenceLength(1)
        self.key_edit.setAccessibleName("New keys for the selected command")
        self.key_label = QLabel("&New keys:")
        self.key_label.setBuddy(self.key_edit)
        self.assign_button = QPushButton("&Assign")
        self.clear_button = QPushButton("&Clear")
        self.reset_button = QPushButton("&Reset to Default")
        self.reset_all_button = QPushButton("Reset A&ll")
        self.message = WrappedLabel("Select a command, press its new keys, then Assign.")
        self.message.setAccessibleName("Shortcut message")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.key_label)
        row.addWidget(self.key_edit, 1)
        for button in (self.assign_button, self.clear_button, self.reset_button,
                       self.reset_all_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        self.assign_button.clicked.connect(self.assign_typed)
        self.clear_button.clicked.connect(lambda: self._set_keys([]))
        self.reset_button.clicked.connect(self._reset_selected)
        self.reset_all_button.clicked.connect(self.reset_all)
        self.key_edit.editingFinished.connect(self.assign_typed)
        self.commands: list[shortcuts.Command] = []
        self.fill()
        self.table.selectRow(0)
        self.table.setFocus()

    def fill(self) -> None:
        self.commands = shortcuts.commands(self.window_)
        current = self.table.currentRow()
        self.table.setRowCount(len(self.commands))
        for row, command in enumerate(self.commands):
            for column, text in enumerate((command.title, shortcuts.key_text(command.keys()),
                                           command.where)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if current >= 0:
            self.table.selectRow(current)

    def lines(self) -> list[str]:
        """The list as aligned text: command, keys and where in columns."""
        rows = [(c.title, shortcuts.key_text(c.keys()) or "—", c.where) for c in self.commands]
        widths = [max(len(r[i]) for r in rows) for i in (0, 1)]
        return [f"{t:<{widths[0]}}  {k:<{widths[1]}}  {w}" for t, k, w in rows]

    def selected(self) -> shortcuts.Command | None:
        row = self.table.currentRow()
        return self.commands[row] if 0 <= row < len(self.commands) else None

    def assign_typed(self) -> bool:
        sequence = self.key_edit.keySequence()
        if sequence.isEmpty():
            return False
        return self.assign(sequence)

    def assign(self, sequence: QKeySequence) -> bool:
        """Give the selected command ``sequence``; refused (False) on a collision."""
        command = self.selected()
        if command is None:
            return False
        other = shortcuts.conflict(self.window_, command, sequence)
        if other is not None:
            self.message.setText(
                f"{sequence.toString(QKeySequence.SequenceFormat.NativeText)} is already "
                f"“{other.title}” ({other.where}): clear that one first or choose other keys.")
            return False
        return self._set_keys([sequence])

    def _set_keys(self, keys: list[QKeySequence]) -> bool:
        command = self.selected()
        if command is None:
            return False
        command.action.setShortcuts(keys)
        self.key_edit.clear()
        self.message.setText(f"“{command.title}”: {shortcuts.key_text(keys) or 'no keys'}.")
        self._changed()
        return True

    def _reset_selected(self) -> None:
        command = self.selected()
        if command is not None:
            for key in command.default_keys():
                other = shortcuts.conflict(self.window_, command, key)
                if other is not None:
                    self.message.setText(f"The default keys are now “{other.title}”'s: "
                                         "change that one first.")
                    return
            self._set_keys(command.default_keys())

    def reset_all(self) -> None:
        shortcuts.apply(self.window_, {})
        self.message.setText("Every command has its default keys again.")
        self._changed()

    def _changed(self) -> None:
        self.fill()
        self.bindings_changed.emit(shortcuts.overrides_of(self.window_))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Enter on a command starts rebinding it rather than closing the dialog.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.key_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        super().keyPressEvent(event)


def open_dialog(window) -> ShortcutsDialog:
    """The keyboard shortcuts dialog for ``window``; a change is saved as the user's keys."""
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def save(overrides: dict[str, str]) -> None:
        try:
            shortcuts.save_overrides(shortcuts.keys_dir(window), overrides)
        except OSError as exc:
            dialog.message.setText(f"Could not save the keys: {exc.strerror or exc}")

    dialog.bindings_changed.connect(save)
    dialog.open()
    return dialog
