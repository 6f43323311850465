"""The settings dialog: API keys, and how attachments are kept.

Keys go to the keychain (``keyring``) only, never into a file Composer writes. When no key is
stored, the dialog names the environment variable (or llm's keys.json) that is used instead.
Attachment preferences are emitted as a new ``Preferences``; the window saves and applies them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.preferences import Preferences
from composer.providers import keys, llm_log, presets


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
    preferences_changed = Signal(object)  # the new Preferences

    def __init__(self, parent: QWidget | None = None, provider: str | None = None,
                 preferences: Preferences | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        # Wide enough that the wrapped "key in use" text gets the height it needs.
        self.setMinimumWidth(560)
        self.preferences = preferences or Preferences()
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
        keys_box = QGroupBox("API keys")
        keys_layout = QVBoxLayout(keys_box)
        keys_layout.addLayout(form)
        keys_layout.addLayout(row)
        keys_layout.addWidget(self.message_label)
        keys_layout.addWidget(QLabel("Keys are kept in the system keychain, never in saved files."))

        self.embed_check = QCheckBox("&Embed file contents in saved conversations")
        self.embed_check.setToolTip("Off: a saved conversation keeps only each file's path, "
                                    "so it is small but needs the files where they are.")
        self.embed_check.setChecked(self.preferences.embed_attachments)
        self.limit_spin = QDoubleSpinBox()
        self.limit_spin.setRange(0.1, 10_000)
        self.limit_spin.setDecimals(1)
        self.limit_spin.setSuffix(" MB")
        self.limit_spin.setValue(self.preferences.attachment_size_limit_mb)
        files_box = QGroupBox("Attachments")
        files_form = QFormLayout(files_box)
        files_form.addRow(self.embed_check)
        files_form.addRow("&Ask before attaching files over", self.limit_spin)
        self.log_check = QCheckBox("&Log every run to llm's logs.db (shows in `llm logs`)")
        self.log_check.setChecked(self.preferences.log_to_llm)
        self.log_check.setEnabled(llm_log.available() or self.preferences.log_to_llm)
        if not llm_log.available():
            self.log_check.setToolTip("Needs llm installed: pip install 'llm-composer[llm]'")
        files_form.addRow(self.log_check)
        self.log_check.toggled.connect(self._on_preferences_edited)
        self.embed_check.toggled.connect(self._on_preferences_edited)
        self.limit_spin.valueChanged.connect(self._on_preferences_edited)

        layout = QVBoxLayout(self)
        layout.addWidget(keys_box)
        layout.addWidget(files_box)
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

    def _on_preferences_edited(self, *_args: object) -> None:
        self.preferences = self.preferences.model_copy(update={
            "embed_attachments": self.embed_check.isChecked(),
            "attachment_size_limit_mb": self.limit_spin.value(),
            "log_to_llm": self.log_check.isChecked()})
        self.preferences_changed.emit(self.preferences)

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
