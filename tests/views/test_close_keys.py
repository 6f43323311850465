"""The windows of their own (compare, test run, reply diff) close with the platform's Close key
(Ctrl+W), pressed where the keyboard is, as a keyboard user without a window manager's button
closes them; the key collides with none of theirs and is no command of the main window's (which
has its own File ▸ Close Window)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from composer.models.parts import Message
from composer.views import shortcuts
from composer.views.reply_diff import show_reply_diff

OPENERS = {
    "compare": lambda window: window.compare_ui.view,
    "test run": lambda window: window.run_ui.test_runs.show_workspace(),
    "reply diff": lambda window: show_reply_diff(
        window, "a", [Message.text("assistant", "one")], "b", [Message.text("assistant", "two")]),
}


@pytest.mark.parametrize("name", OPENERS)
def test_the_close_key_closes_the_window_where_the_keyboard_is(qtbot, make_window, name):
    window = make_window()
    other: QWidget = OPENERS[name](window)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)
    assert shortcuts.collisions(other) == []
    # The platform's Close keys (Ctrl+W among them here; Cmd+W on macOS).
    assert QKeySequence("Ctrl+W") in QKeySequence.keyBindings(QKeySequence.StandardKey.Close)
    qtbot.keyClick(QApplication.focusWidget() or other, Qt.Key.Key_W,
                   Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not other.isVisible())
    assert window.isVisible()  # the main window stays
    # The main window's own Close Window (File menu) is its one command of that name: the
    # other window's key is no command of the main window's.
    closing = [c.action for c in shortcuts.commands(window) if c.title.lower() == "close window"]
    assert closing == [window.commands.close_action]
