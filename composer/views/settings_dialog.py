"""The API keys dialog: store a provider's key in the OS keychain, or see where it comes from.

Keys go to the keychain (``keyring``) only, never into a file Composer writes. When no key is
stored, the dialog names the environment variable (or llm's keys.json) that is used instead.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.providers import keys, presets


def key_source_text(preset: presets.Preset) -> str:
    """Where the key for ``preset`` comes from now, said plainly (never the key itself)."""
    found = keys.find_key(preset)
    notes = "".join(f"\n({p})" for p in found.problems)
    if found.source == "keychain":
        return "Stored in the keychain." + notes
    if found.source and found.source.startswith("env "):
        return f"Not stored; using the environment variable {found.source[4:]}." + notes
    if found.source == "llm keys.json":
        return f"Not stored; using llm's keys.json ({keys.llm_keys_path()})." + notes
    return keys.missing_key_message(preset) + "." + notes


class SettingsDialog(QDialog):
    keys_changed = Signal()

    def __init__(self, parent: QWidget | None = None, provider: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("API Keys")
        self.provider_combo = QComboBox()
        for p in presets.PRESETS:
            if p.key_env or p.key_required or p.llm_key:
                self.provider_combo.addItem(p.title, p.name)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste a key to store it in the keychain")
        self.store_button = QPushButton("&Store in keychain")
        self.remove_button = QPushButton("&Remove from keychain")
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Provider", self.provider_combo)
        form.addRow("Key in use", self.source_label)
        form.addRow("New &key", self.key_edit)
        row = QHBoxLayout()
        row.addWidget(self.store_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.message_label)
        layout.addWidget(QLabel("Keys are kept in the system keychain, never in saved files."))
        layout.addWidget(buttons)

        if provider:
            i = self.provider_combo.findData(provider)
            if i >= 0:
                self.provider_combo.setCurrentIndex(i)
        self.provider_combo.currentIndexChanged.connect(self._refresh)
        self.store_button.clicked.connect(self._on_store_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.key_edit.textChanged.connect(
            lambda text: self.store_button.setEnabled(bool(text.strip())))
        self._refresh()

    def preset(self) -> presets.Preset:
        return presets.resolve(self.provider_combo.currentData())

    def _refresh(self) -> None:
        self.source_label.setText(key_source_text(self.preset()))
        self.store_button.setEnabled(bool(self.key_edit.text().strip()))

    def _on_store_clicked(self) -> None:
        preset = self.preset()
        try:
            keys.store_key(preset, self.key_edit.text())
        except keys.KeyStoreError as exc:
            self.message_label.setText(str(exc))
            return
        self.key_edit.clear()
        self.message_label.setText(f"The {preset.title} key is stored in the keychain.")
        self._refresh()
        self.keys_changed.emit()

    def _on_remove_clicked(self) -> None:
        preset = self.preset()
        try:
            removed = keys.delete_key(preset)
        except keys.KeyStoreError as exc:
            self.message_label.setText(str(exc))
            return
        self.message_label.setText(f"Removed the {preset.title} key from the keychain."
                                   if removed else f"No {preset.title} key was stored.")
        self._refresh()
        self.keys_changed.emit()
