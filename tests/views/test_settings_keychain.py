"""The settings dialog asks the keychain on a worker: a keychain that takes its time (a D-Bus
call, an unlock prompt) never freezes the dialog or the window behind it."""

from __future__ import annotations

import threading

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt

from composer.providers import keys
from composer.views.settings_dialog import SettingsDialog


class SlowKeyring(KeyringBackend):
    """A keychain that answers only when the test lets it (as one waiting to be unlocked)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.unlocked = threading.Event()
        self.stored: dict[str, str] = {}
        self.threads: set[str] = set()

    def _wait(self) -> None:
        self.threads.add(threading.current_thread().name)
        assert self.unlocked.wait(10)

    def get_password(self, service, username):
        self._wait()
        return self.stored.get(username)

    def set_password(self, service, username, password):
        self._wait()
        self.stored[username] = password

    def delete_password(self, service, username):
        self._wait()
        del self.stored[username]


@pytest.fixture
def slow_keyring():
    backend = SlowKeyring()
    keys.forget_keychain_cache()
    keyring.core.set_keyring(backend)
    yield backend
    backend.unlocked.set()
    keyring.core.set_keyring(keyring.core.load_keyring("keyring.backends.null.Keyring"))
    keys.forget_keychain_cache()


def test_the_key_in_use_is_asked_on_a_worker_and_shown_when_the_keychain_answers(
        qtbot, slow_keyring, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    dialog = SettingsDialog(None, "anthropic")  # returns while the keychain is still locked
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.source_label.text() == "Asking the keychain…"
    qtbot.keyClicks(dialog.key_edit, "sk-ant-new")  # the dialog takes keys meanwhile
    assert not dialog.store_button.isEnabled() and not dialog.remove_button.isEnabled()
    slow_keyring.unlocked.set()
    qtbot.waitUntil(lambda: "No key for Anthropic" in dialog.source_label.text())
    assert dialog.store_button.isEnabled()
    assert "MainThread" not in slow_keyring.threads


def test_a_key_is_stored_on_a_worker_and_the_dialog_says_so_when_it_is_done(
        qtbot, slow_keyring, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    slow_keyring.unlocked.set()
    dialog = SettingsDialog(None, "anthropic")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No key for Anthropic" in dialog.source_label.text())
    slow_keyring.unlocked.clear()  # locked again: the store waits for the unlock prompt
    qtbot.keyClicks(dialog.key_edit, "sk-ant-new")
    qtbot.mouseClick(dialog.store_button, Qt.MouseButton.LeftButton)
    assert dialog.message_label.text() == "Asking the keychain…"
    assert not dialog.store_button.isEnabled() and not dialog.session_button.isEnabled()
    with qtbot.waitSignal(dialog.keys_changed, timeout=5000):
        slow_keyring.unlocked.set()
    assert dialog.message_label.text() == "The Anthropic key is stored in the keychain."
    assert dialog.key_edit.text() == ""
    qtbot.waitUntil(lambda: dialog.source_label.text() == "Stored in the keychain.")
    assert slow_keyring.stored == {"anthropic": "sk-ant-new"}
    assert "MainThread" not in slow_keyring.threads
