"""The list shown at Send: every problem that blocks it, or the notes of what the provider will
not receive, each one a line that brings its row, part or field forward when clicked.

With blocking problems the only button closes the list (fix them and Send again); with notes
only, "Send anyway" sends and "Cancel" does not, and "Don't ask again for these notes" keeps
the same notes from asking again for this conversation. The dialog is not modal: the user
clicks a problem, fixes it in the window and sends again, with the list still beside them.
The findings come from the core (composer.run.preflight); this only shows them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from composer.run.preflight import Finding
from composer.views.wrapped_label import WrappedLabel

FindingRole = Qt.ItemDataRole.UserRole


class PreflightDialog(QDialog):
    """``finding_activated`` carries the Finding of a clicked line; ``accepted`` means
    "Send anyway" (only offered when nothing blocks)."""

    finding_activated = Signal(object)

    def __init__(self, findings: list[Finding], parent: QWidget | None = None):
        super().__init__(parent)
        self.findings = findings
        blocking = [f for f in findings if f.blocking]
        self.blocking = bool(blocking)
        self.setWindowTitle("Not sent" if blocking else "Before sending")
        self.setModal(False)
        count = len(blocking)
        if blocking:
            text = (f"{count} problem{'s' if count != 1 else ''} must be fixed before this "
                    "conversation can be sent. Click one to go to it.")
        else:
            text = ("The provider will not receive everything in this conversation. Click a "
                    "note to go to what it is about.")
        self.summary = WrappedLabel(text)
        self.list = QListWidget()
        self.list.setAccessibleName("Problems and notes")
        self.list.setWordWrap(True)
        style = self.style()
        for finding in findings:
            item = QListWidgetItem(finding.line())
            icon = (QStyle.StandardPixmap.SP_MessageBoxCritical if finding.blocking
                    else QStyle.StandardPixmap.SP_MessageBoxInformation)
            item.setIcon(style.standardIcon(icon))
            item.setToolTip(("Blocks sending: " if finding.blocking else "Note: ")
                            + finding.line())
            item.setData(FindingRole, finding)
            self.list.addItem(item)
        self.list.itemClicked.connect(self._on_list_item)
        self.list.itemActivated.connect(self._on_list_item)
        self.dont_ask = QCheckBox("&Don't ask again for these notes in this conversation")
        self.buttons = QDialogButtonBox()
        if blocking:
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
            self.buttons.rejected.connect(self.reject)
            self.send_button = None
            self.dont_ask.hide()
        else:
            self.send_button = self.buttons.addButton("&Send anyway",
                                                      QDialogButtonBox.ButtonRole.AcceptRole)
            self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            self.send_button.setDefault(True)
            self.buttons.accepted.connect(self.accept)
            self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.dont_ask)
        layout.addWidget(self.buttons)
        self.resize(560, min(420, 140 + 44 * len(findings)))

    def item(self, i: int) -> QListWidgetItem:
        return self.list.item(i)

    def _on_list_item(self, item: QListWidgetItem) -> None:
        self.finding_activated.emit(item.data(FindingRole))
