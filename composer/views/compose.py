"""The compose box under the message table: the next message, typed where chat apps have it.

Its role is chosen beside it (user unless changed); files dropped or pasted onto it, or picked
with Attach, are read off the GUI thread by the table's own ``AttachmentLoader`` and shown as
removable chips until the message is added. Add (Alt+Enter) appends the message as a row at the
end of the table, one undo step; Send (the window's Send, Ctrl+Enter) takes the message the
same way first, through ``RunController.before_send``, so one key press is one send.

Nothing typed is lost: the box is cleared only once its message is a row in the table, so a
Send refused afterwards (no key, a problem, a declined trust question) leaves the message in
the table, marked where the problem is; while a file is still being read the Send waits and
the box keeps everything.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.attachment import Attachment
from composer.models.parts import ROLES, AttachmentPart, Message, TextPart
from composer.views.attachments import AttachmentLoader
from composer.views.file_urls import local_paths
from composer.views.table import preview
from composer.views.table.delegates import KIND_LABELS

MIN_LINES = 2
MAX_LINES = 8  # then it scrolls
NAME_CHARS = 24
Native = QKeySequence.SequenceFormat.NativeText


class ComposeEdit(QPlainTextEdit):
    """Multi-line text that grows with its content up to ``MAX_LINES``; files dropped or pasted
    onto it are handed on (``files_given``/``image_given``), never inserted as their paths."""

    files_given = Signal(list)  # local paths
    image_given = Signal(QImage)  # a pasted picture

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self._fit)
        self._fit()

    def lines(self) -> int:
        """Visual lines of the text as laid out now (wrapped lines count)."""
        return max(1, round(self.document().documentLayout().documentSize().height()))

    def height_for(self, lines: int) -> int:
        margins = self.contentsMargins()
        return (lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()
                + round(2 * self.document().documentMargin()) + 1)  # +1: else it scrolls

    def _fit(self) -> None:
        self.setFixedHeight(self.height_for(max(MIN_LINES, min(MAX_LINES, self.lines()))))

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802
        return bool(local_paths(source)) or source.hasImage() or \
            super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802
        paths = local_paths(source)
        if paths:
            self.files_given.emit(paths)
        elif source.hasImage() and isinstance(image := source.imageData(), QImage) \
                and not image.isNull():
            self.image_given.emit(image)
        else:
            super().insertFromMimeData(source)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()  # a narrower box wraps into more lines


class Chip(QFrame):
    """One attachment of the message being composed: its kind, name and size, and ×."""

    remove_requested = Signal(object)  # self

    def __init__(self, attachment: Attachment, parent: QWidget | None = None):
        super().__init__(parent)
        self.attachment = attachment
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = attachment.display_name
        short = name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"
        kind = KIND_LABELS.get(attachment.kind, "File")
        self.label = QLabel(f"{short} · {preview.size_text(attachment)}")
        self.label.setToolTip(f"{kind}: {name}")
        self.remove_button = QToolButton()
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setAccessibleName(f"Remove {name}")
        self.remove_button.setToolTip(f"Remove {name} from the message")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)


class ComposeBox(QWidget):
    added = Signal(int)  # the row the message became

    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent)
        self.window_ = window
        self.editor = window.editor
        self.attachments: list[Attachment] = []
        self._chips: list[Chip] = []
        self.setAccessibleName("Compose")
        self.loader = AttachmentLoader(window.editor, self)
        self.loader.finished.connect(self._show_reading)
        self.loader.failed.connect(lambda line: window.statusBar().showMessage(line, 10000))

        self.role = QComboBox()
        self.role.addItems(list(ROLES))
        self.role.setCurrentText("user")
        self.role.setAccessibleName("Role of the new message")
        self.role.setToolTip("The role of the message being composed")
        self.role.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.edit = ComposeEdit()
        self.edit.setAccessibleName("New message")
        self.edit.files_given.connect(self.add_files)
        self.edit.image_given.connect(
            lambda image: self._read(lambda deliver: self.loader.read_image(image, deliver)))

        self.attach_button = _button("Attach…")
        self.attach_button.setToolTip("Attach files to the message (or drop or paste them)")
        self.attach_button.clicked.connect(self.choose_files)
        self.add_action = QAction("Add Message", self)
        self.add_action.setObjectName("add-message")
        self.add_action.setShortcuts([QKeySequence("Alt+Return"), QKeySequence("Alt+Enter")])
        self.add_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.add_action.setStatusTip("Add the message as a row at the end, without sending")
        self.add_action.triggered.connect(lambda _c=False: self.add())
        self.addAction(self.add_action)
        self.add_button = _button("Add")
        self.add_button.clicked.connect(lambda: (self.add(), self.edit.setFocus()))
        send_action = window.run_ui.send_action
        self.send_button = _button("Send")
        self.send_button.setIcon(send_action.icon())
        self.send_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.send_button.clicked.connect(lambda: (send_action.trigger(), self.edit.setFocus()))
        for action in (self.add_action, send_action):
            action.changed.connect(self._show_keys)

        self.chips = QWidget()
        self.chips_layout = QHBoxLayout(self.chips)
        self.chips_layout.setContentsMargins(0, 0, 0, 0)
        self.chips_layout.setSpacing(4)
        self.reading = QLabel("Reading files…")
        self.reading.setEnabled(False)
        self.reading.hide()  # shown while the loader reads
        self.chips_layout.addWidget(self.reading)
        self.chips_layout.addStretch(1)
        # Many files are clipped rather than widening the window.
        self.chips.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        # The text takes the full width; beneath it, like a chat app's: who speaks, the files,
        # and the buttons (side by side the minimum width would widen a small window).
        below = QHBoxLayout()
        below.setSpacing(4)
        below.addWidget(self.role)
        below.addWidget(self.attach_button)
        below.addWidget(self.chips, 1)
        below.addWidget(self.add_button)
        below.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 2)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addLayout(below)
        for first, second in ((self.edit, self.role), (self.role, self.attach_button),
                              (self.attach_button, self.add_button),
                              (self.add_button, self.send_button)):
            QWidget.setTabOrder(first, second)
        self._show_keys()

    # -- the message --------------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.toPlainText()

    def is_empty(self) -> bool:
        return not self.text().strip() and not self.attachments

    def message(self) -> Message | None:
        """The message as composed: its text, then its attachments (None when empty)."""
        if self.is_empty():
            return None
        parts: list = [TextPart(text=self.text())] if self.text().strip() else []
        parts += [AttachmentPart(attachment=a) for a in self.attachments]
        return Message(role=self.role.currentText(), parts=parts)

    def add(self) -> int | None:
        """Add the message as the last row (one undo step) and clear the box; the row, or None
        when there was nothing to add or a file is still being read (the box keeps all)."""
        if self.loader.busy:
            self._say_still_reading()
            return None
        message = self.message()
        if message is None:
            return None
        row = len(self.editor.document)
        self.editor.insert_messages(row, [message], text="Add message")
        self.edit.clear()
        self.attachments.clear()
        self._show_chips()
        self.window_.table.select_rows([row])
        self.added.emit(row)
        return row

    def take_for_send(self) -> bool:
        """Send takes the message first: True to go on (nothing typed, or it is now a row)."""
        if self.loader.busy:
            self._say_still_reading()
            return False
        self.add()
        return True

    def _say_still_reading(self) -> None:
        self.window_.statusBar().showMessage(
            "Not yet: the attached files are still being read; the message waits in the box.",
            10000)

    # -- attachments --------------------------------------------------------------------------

    def add_files(self, paths: list[str]) -> None:
        """Read the files (off the GUI thread) and show them as chips of the message."""
        self._read(lambda deliver: self.loader.read_files(paths, deliver))

    def choose_files(self) -> QFileDialog:
        dialog = QFileDialog(self, "Attach Files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self.add_files)
        dialog.open()
        self._dialog = dialog
        return dialog

    def remove_attachment(self, index: int) -> None:
        del self.attachments[index]
        self._show_chips()

    def _read(self, start) -> None:
        start(self._on_read)
        self._show_reading()

    def _on_read(self, attachments: list[Attachment]) -> None:
        self.attachments.extend(attachments)
        self._show_chips()

    def _show_chips(self) -> None:
        for chip in self._chips:
            chip.hide()
            chip.deleteLater()
        self._chips = []
        for i, attachment in enumerate(self.attachments):
            chip = Chip(attachment)
            chip.remove_requested.connect(lambda _c, i=i: self.remove_attachment(i))
            self.chips_layout.insertWidget(i, chip)
            self._chips.append(chip)
        self._show_reading()

    def _show_reading(self) -> None:
        self.reading.setVisible(self.loader.busy)

    def chip_widgets(self) -> list[Chip]:
        return list(self._chips)

    def _show_keys(self) -> None:
        send = self.window_.run_ui.send_action.shortcut().toString(Native)
        add = self.add_action.shortcut().toString(Native)
        keys = ", ".join(f"{k} to {what}" for k, what in ((send, "send"), (add, "add")) if k)
        self.edit.setPlaceholderText(f"Message… ({keys})" if keys else "Message…")
        self.add_button.setToolTip(f"Add the message as the last row, without sending ({add})"
                                   if add else "Add the message as the last row, without sending")
        self.send_button.setToolTip(f"Add the message and send the conversation ({send})"
                                    if send else "Add the message and send the conversation")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, super().sizeHint().height())


def _button(text: str) -> QToolButton:
    """A text button no wider than its text (a push button's minimum width would make the
    left side of a small window wider than the window)."""
    button = QToolButton()
    button.setText(text)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def install(window) -> ComposeBox:
    """Put the compose box under the message table (in the left splitter's table slot) and let
    Send take its message first."""
    box = ComposeBox(window)
    splitter: QSplitter = window.left_splitter
    index = splitter.indexOf(window.table)
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    splitter.insertWidget(index, holder)  # the splitter owns it (replaceWidget would not)
    layout.addWidget(window.table, 1)  # which takes the table out of the splitter
    layout.addWidget(box)
    splitter.setStretchFactor(index, 3)
    window.run_ui.before_send.append(box.take_for_send)
    return box
