"""The settings dialog: API keys, and how attachments are kept.

Keys go to the keychain (``keyring``) only, never into a file Composer writes. When no key is
stored, the dialog names the environment variable (or llm's keys.json) that is used instead.
Where there is no keychain, a key can be used for this session only (kept in memory,
``composer.providers.session_keys``), and the dialog explains the choices.
Attachment preferences are emitted as a new ``Preferences``; the window saves and applies them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.preferences import Preferences
from composer.providers import keys, llm_log, presets, session_keys
from composer.run.prepare import needs_key
from composer.views import keychain
from composer.views.attachments import run_off_thread
from composer.views.wrapped_label import WrappedLabel


def key_source_text(preset: presets.Preset, found: keys.FoundKey, has_keychain: bool) -> str:
    """Where the key for ``preset`` comes from now (``found``), said plainly (never the key
    itself); ``keychain``: whether there is one (``session_keys.keychain_available``)."""
    problems = found.problems
    if not has_keychain:  # the choices text explains a missing keychain
        problems = [p for p in problems if not p.startswith("keychain unavailable")]
    notes = "".join(f"\n({p})" for p in problems)
    if found.source == "session":
        return "Entered for this session only: kept in memory, never written." + notes
    if found.source == "keychain":
        return "Stored in the keychain." + notes
    if found.source and found.source.startswith("env "):
        return f"Not stored; using the environment variable {found.source[4:]}." + notes
    if found.source == "llm keys.json":
        return f"Not stored; using llm's keys.json ({keys.llm_keys_path()})." + notes
    where = [f"set {' or '.join(preset.key_env)}"] if preset.key_env else []
    if preset.llm_key:
        where.append(f"run `llm keys set {preset.llm_key}`")
    where.append("enter one below")
    return f"No key for {preset.title}: {', or '.join(where)}." + notes


def choices_text(preset: presets.Preset, has_keychain: bool) -> str:
    """How a key can be given, with or without a keychain."""
    session = ("“Use for this session only” keeps the key in memory until Composer quits; "
               "it is never written.")
    if has_keychain:
        return ("“Store in keychain” keeps the key in the system keychain, never in saved "
                "files. " + session)
    outside = [f"set {' or '.join(preset.key_env)} before starting Composer"] \
        if preset.key_env else []
    if preset.llm_key:
        outside.append(f"run `llm keys set {preset.llm_key}`")
    tail = f" To keep a key between sessions, {' or '.join(outside)}." if outside else ""
    return "This system has no keychain, so Composer cannot store a key. " + session + tail


class SettingsDialog(QDialog):
    keys_changed = Signal()
    shortcuts_requested = Signal()
    preferences_changed = Signal(object)  # the new Preferences

    def __init__(self, parent: QWidget | None = None, provider: str | None = None,
                 preferences: Preferences | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        # Wide enough that the wrapped "key in use" text gets the height it needs.
        self.setMinimumWidth(560)
        self.preferences = preferences or Preferences()
        self._keychain: bool | None = None  # whether there is one; None: not yet answered
        self._writing = False  # a key is being stored or removed (on a worker)
        self.provider_combo = QComboBox()
        for p in presets.PRESETS:
            if needs_key(p):
                self.provider_combo.addItem(p.title, p.name)
        self.source_label = WrappedLabel()
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste a key")
        self.key_edit.setAccessibleName("New API key")
        self.store_button = QPushButton("&Store in keychain")
        self.session_button = QPushButton("&Use for this session only")
        self.remove_button = QPushButton("&Remove from keychain")
        self.choices_label = WrappedLabel()
        self.message_label = WrappedLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Provider", self.provider_combo)
        form.addRow("Key in use", self.source_label)
        form.addRow("New &key", self.key_edit)
        row = QHBoxLayout()
        row.addWidget(self.store_button)
        row.addWidget(self.session_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        keys_box = QGroupBox("API keys")
        keys_layout = QVBoxLayout(keys_box)
        keys_layout.addLayout(form)
        keys_layout.addLayout(row)
        keys_layout.addWidget(self.message_label)
        keys_layout.addWidget(self.choices_label)

        files_box = self._files_box()

        self.shortcuts_button = QPushButton("Keyboard S&hortcuts…")
        self.shortcuts_button.setToolTip("Every command and its keys; rebind them")
        self.shortcuts_button.clicked.connect(self.shortcuts_requested)

        layout = QVBoxLayout(self)
        layout.addWidget(keys_box)
        layout.addWidget(files_box)
        layout.addWidget(self.shortcuts_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(buttons)

        if provider:
            i = self.provider_combo.findData(provider)
            if i >= 0:
                self.provider_combo.setCurrentIndex(i)
        self.provider_combo.currentIndexChanged.connect(self._refresh)
        self.store_button.clicked.connect(self._on_store_clicked)
        self.session_button.clicked.connect(self._on_session_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.key_edit.textChanged.connect(self._enable_buttons)
        self._refresh()

    def _files_box(self) -> QGroupBox:
        """Attachments (embed or keep paths, the size that asks first) and logging to llm."""
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
        return files_box

    def _on_preferences_edited(self, *_args: object) -> None:
        self.preferences = self.preferences.model_copy(update={
            "embed_attachments": self.embed_check.isChecked(),
            "attachment_size_limit_mb": self.limit_spin.value(),
            "log_to_llm": self.log_check.isChecked()})
        self.preferences_changed.emit(self.preferences)

    def preset(self) -> presets.Preset:
        return presets.resolve(self.provider_combo.currentData())

    # -- the key in use: the keychain is asked on a worker ---------------------------------------
    # A desktop keychain answers over D-Bus, or asks to be unlocked, and keyring's first use
    # finds its backend (~100 ms): the dialog stays live meanwhile, its key buttons disabled.

    def _refresh(self) -> None:
        preset = self.preset()
        in_session = session_keys.get(preset.keychain_user) is not None
        self.remove_button.setText("&Forget session key" if in_session
                                   else "&Remove from keychain")
        found = keys.known_key(preset) if keys.keychain_asked() else None
        if found is not None:  # nothing to wait for
            self._show_key(preset, found, session_keys.keychain_available())
            return
        self._keychain = None
        self.source_label.setText("Asking the keychain…")
        self._enable_buttons()
        keychain.ask(self, preset, lambda found: self._keychain_answered(preset, found))

    def _keychain_answered(self, preset: presets.Preset, found: object) -> None:
        if preset != self.preset():
            return  # another provider was chosen meanwhile: its own answer is on its way
        if not isinstance(found, keys.FoundKey):  # (a bug on the worker: said, not raised)
            self.source_label.setText(f"Could not ask the keychain: {found}")
            return
        # keyring and its backend are loaded now: whether there is a keychain is known at once.
        self._show_key(preset, found, session_keys.keychain_available())

    def _show_key(self, preset: presets.Preset, found: keys.FoundKey, has_keychain: bool) -> None:
        self._keychain = has_keychain
        self.source_label.setText(key_source_text(preset, found, has_keychain))
        self.choices_label.setText(choices_text(preset, has_keychain))
        self._enable_buttons()

    def _enable_buttons(self, *_args: object) -> None:
        typed = bool(self.key_edit.text().strip())
        asked = self._keychain is not None and not self._writing
        has_keychain = bool(self._keychain)
        self.store_button.setVisible(has_keychain or self._keychain is None)
        self.store_button.setEnabled(typed and has_keychain and asked)
        self.session_button.setEnabled(typed and not self._writing)
        in_session = session_keys.get(self.preset().keychain_user) is not None
        self.remove_button.setVisible(has_keychain or in_session or self._keychain is None)
        self.remove_button.setEnabled((has_keychain or in_session) and asked)

    def _on_session_clicked(self) -> None:
        preset = self.preset()
        session_keys.put(preset.keychain_user, self.key_edit.text())  # enabled only when typed
        self.key_edit.clear()
        self.message_label.setText(f"The {preset.title} key is kept for this session only.")
        self._refresh()
        self.keys_changed.emit()

    def _on_store_clicked(self) -> None:
        preset, key = self.preset(), self.key_edit.text()

        def stored() -> str:
            keys.store_key(preset, key)
            return f"The {preset.title} key is stored in the keychain."

        self._write_keychain(stored, clear=True)

    def _on_remove_clicked(self) -> None:
        preset = self.preset()
        if session_keys.drop(preset.keychain_user):
            self.message_label.setText(f"Forgot the {preset.title} session key.")
            self._refresh()
            self.keys_changed.emit()
            return

        def removed() -> str:
            return (f"Removed the {preset.title} key from the keychain."
                    if keys.delete_key(preset) else f"No {preset.title} key was stored.")

        self._write_keychain(removed, clear=False)

    def _write_keychain(self, write: Callable[[], str], *, clear: bool) -> None:
        """``write()`` on a worker (the keychain may ask to be unlocked): its line, or the
        KeyStoreError's, is shown when it is done."""
        def attempt() -> tuple[bool, str]:
            try:
                return True, write()
            except keys.KeyStoreError as exc:
                return False, str(exc)

        def done(outcome: object) -> None:
            self._writing = False
            ok, line = outcome if isinstance(outcome, tuple) else (False, str(outcome))
            self.message_label.setText(line)
            if ok and clear:
                self.key_edit.clear()
            self._refresh()
            if ok:
                self.keys_changed.emit()

        self._writing = True
        self.message_label.setText("Asking the keychain…")
        self._enable_buttons()
        run_off_thread(self, attempt, done)
