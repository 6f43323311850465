"""The window's side of key trust: the "from the file" note under Base URL, and the question
asked before a key goes to a host only the file chose (the rule is composer/providers/trust.py).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from composer.models.document import Document
from composer.models.provenance import SettingsProvenance
from composer.providers import presets
from composer.providers.trust import KeyTarget
from composer.views.wrapped_label import WrappedLabel

Button = QMessageBox.StandardButton
_NOTE_STYLE = "color: #8a6d3b;"  # the inspector's note colour: readable on light and dark


def file_note_text(provenance: SettingsProvenance, document: Document) -> str:
    """What the note under Base URL says; empty when there is nothing to say."""
    lines = []
    if provenance.from_file:
        line = f"From the file, not set by you: {', '.join(provenance.labels())}."
        if not provenance.base_url_chosen and _sends_a_key(document):
            line += " Your API key is not sent to the file's server unless you confirm it."
        lines.append(line)
    left_out = document.conversation.settings.base_url_secrets
    if left_out:
        lines.append(f"The base URL's {', '.join(left_out)} is used for sending but not saved "
                     "in files.")
    return "\n".join(lines)


def _sends_a_key(document: Document) -> bool:
    """Whether the conversation's provider sends an API key at all (a local or custom server
    and a replay do not); an unknown provider counts as one that does."""
    try:
        return presets.needs_key(presets.resolve(document.conversation.settings.provider))
    except presets.UnknownProvider:
        return True


class FileSettingsNote(WrappedLabel):
    """Follows the document: says which settings came from the file (provenance must subscribe
    to the document before this note does)."""

    def __init__(self, document: Document, provenance: SettingsProvenance,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._document = document
        self._provenance = provenance
        self.setTextFormat(Qt.TextFormat.PlainText)  # a file's URL is never markup
        self.setStyleSheet(_NOTE_STYLE)
        self.refresh()
        document.subscribe(self._on_document_changed)
        self.destroyed.connect(lambda *_: document.unsubscribe(self._on_document_changed))

    def _on_document_changed(self, _notice: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        text = file_note_text(self._provenance, self._document)
        self.setText(text)
        self.setVisible(bool(text))


def ask_key_target(parent: QWidget, target: KeyTarget,
                   on_answer: Callable[[bool, bool], None]) -> QMessageBox:
    """Ask before sending the key to ``target``; ``on_answer(send, remember)``. Never blocks
    (``open()``, like views/dialogs.py): the box is returned for tests to answer."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Send your API key to this host?",
                      target.question(), Button.NoButton, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText("Cancel keeps the key here; you can also type the base URL yourself.")
    box.setStandardButtons(Button.Yes | Button.Cancel)
    box.button(Button.Yes).setText("Send the Key")
    box.setDefaultButton(Button.Cancel)
    remember = QCheckBox(f"Remember: always send my {target.provider} key to {target.origin}")
    box.setCheckBox(remember)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        send = clicked is not None and box.standardButton(clicked) == Button.Yes
        on_answer(send, send and remember.isChecked())

    box.finished.connect(finished)
    box.open()
    return box
