"""Settings without a keychain: a key for this session only, and the choices explained."""

from __future__ import annotations

import keyring
from PySide6.QtCore import Qt

from composer.models import Conversation, Message, RequestSettings
from composer.providers import keys, session_keys
from composer.run import RunState
from composer.views.settings_dialog import SettingsDialog
from tests.views.checks import wait_checked


def test_without_a_keychain_the_dialog_offers_a_session_key_and_explains(qtbot):
    assert not session_keys.keychain_available()  # the suite runs on keyring's null backend
    dialog = SettingsDialog(None, "anthropic")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.store_button.isVisible())  # the keychain has answered
    choices = dialog.choices_label.text()
    assert "no keychain" in choices and "session only" in choices
    assert "ANTHROPIC_API_KEY" in choices and "never written" in choices
    assert not dialog.session_button.isEnabled()
    qtbot.keyClicks(dialog.key_edit, "sk-ant-session")
    assert dialog.session_button.isEnabled()
    with qtbot.waitSignal(dialog.keys_changed):
        qtbot.keyClick(dialog.session_button, Qt.Key.Key_Space)
    assert keys.find_key("anthropic").key == "sk-ant-session"
    assert "session only" in dialog.source_label.text()
    assert "sk-ant-session" not in dialog.source_label.text() + dialog.message_label.text()
    assert keyring.get_password(keys.KEYRING_SERVICE, "anthropic") is None
    assert dialog.remove_button.text().replace("&", "") == "Forget session key"
    dialog.remove_button.click()
    assert keys.find_key("anthropic").key is None
    assert not dialog.remove_button.isVisible()


def test_the_missing_keychain_is_said_once_and_a_session_key_clears_the_key_note(
        qtbot, run_window):
    conversation = Conversation(messages=[Message.text("user", "Hi")],
                                settings=RequestSettings(provider="anthropic", model="m"))
    window = run_window(conversation)
    run = window.run_ui
    qtbot.waitUntil(lambda: window.request_panel.key_note.isVisibleTo(window))  # (a worker asks)
    said = [window.request_panel.key_note.text()]
    for _ in range(3):
        run.send_action.trigger()
        wait_checked(qtbot, run)
        assert run.state == RunState.REFUSED
        said += [run.pane.error_block.message.text(), window.request_panel.key_note.text(),
                 window.status_state.text()]
    # The panel's first note explains the missing keychain; no refusal repeats it.
    assert [i for i, text in enumerate(said) if "no keychain" in text] == [0]
    assert all("ANTHROPIC_API_KEY" in text for text in said)
    session_keys.put("anthropic", "sk-ant-session")
    window.request_panel._update_key_note()
    assert not window.request_panel.key_note.isVisibleTo(window)
