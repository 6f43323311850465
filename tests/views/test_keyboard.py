"""Keyboard first: a whole session without the mouse, the shortcut list, no colliding keys,
rebinding with conflicts refused, and focus that stays where a combo choice was made."""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QFileDialog

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views import shortcuts

Key = Qt.Key
Mod = Qt.KeyboardModifier


class NoMouse(QObject):
    """Counts every mouse press, release and double-click the application sees."""

    def __init__(self):
        super().__init__()
        self.seen = 0

    def eventFilter(self, _obj, event):  # noqa: N802
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                            QEvent.Type.MouseButtonDblClick):
            self.seen += 1
        return False


def _press(qtbot, key, modifier=Mod.NoModifier, text: str | None = None):
    """A key press to whatever has the focus, as a user's keyboard sends it."""
    target = QApplication.focusWidget() or QApplication.activeWindow()
    assert target is not None, "no window has the keyboard"
    if text is not None:
        qtbot.keyClicks(target, text)
    else:
        qtbot.keyClick(target, key, modifier)


def test_compose_send_keep_the_reply_and_save_without_the_mouse(qtbot, run_window, tmp_path):
    conversation = Conversation(messages=[Message.text("system", "Be brief.")],
                                settings=RequestSettings(provider="replay"))
    window = run_window(conversation)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    no_mouse = NoMouse()
    QApplication.instance().installEventFilter(no_mouse)
    try:
        _press(qtbot, Key.Key_1, Mod.AltModifier)  # View ▸ Go To ▸ Table
        assert window.table.hasFocus()
        _press(qtbot, Key.Key_N, Mod.ControlModifier | Mod.ShiftModifier)  # Add Row
        assert len(window.document) == 2
        qtbot.waitUntil(lambda: window.table.current_row() == 1)
        assert window.table.hasFocus()
        # Column 1 is the content; F2 edits it, Enter commits.
        _press(qtbot, Key.Key_Home)
        _press(qtbot, Key.Key_Right)
        assert window.table.currentIndex().column() == 1
        _press(qtbot, Key.Key_F2)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not window.table)
        _press(qtbot, None, text="What is 2+2?")
        _press(qtbot, Key.Key_Tab)
        qtbot.waitUntil(lambda: window.document.conversation.messages[1].parts != [])
        assert window.document.conversation.messages[1].parts[0].text == "What is 2+2?"

        run = window.run_ui
        _press(qtbot, Key.Key_Return, Mod.ControlModifier)  # Send
        qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=8000)
        _press(qtbot, Key.Key_Return, Mod.ControlModifier | Mod.ShiftModifier)  # Append Reply
        assert len(window.document) > 2
        assert window.document.conversation.messages[2].role == "assistant"

        _press(qtbot, Key.Key_S, Mod.ControlModifier)  # Save: untitled, so Save As
        dialog = window._dialog
        assert isinstance(dialog, QFileDialog)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                        and dialog.isAncestorOf(QApplication.focusWidget()))
        _press(qtbot, None, text=str(tmp_path / "kept.json"))
        _press(qtbot, Key.Key_Return)
        qtbot.waitUntil(lambda: (tmp_path / "kept.json").is_file())
    finally:
        QApplication.instance().removeEventFilter(no_mouse)
    saved = json.loads((tmp_path / "kept.json").read_text(encoding="utf-8"))
    assert [m["role"] for m in saved["messages"][:3]] == ["system", "user", "assistant"]
    assert no_mouse.seen == 0


def test_no_two_keys_collide_where_both_are_live(run_window):
    window = run_window()
    assert shortcuts.collisions(window) == []
    # The check sees a real collision: a window-wide key that the table already uses.
    clash = QAction("Clash", window)
    clash.setShortcut(QKeySequence("Ctrl+D"))
    window.addAction(clash)
    assert ("Ctrl+D", ["Clash", "Duplicate"]) in shortcuts.collisions(window)
    # A shortcut in another window on the same key is no collision.
    other = run_window()
    QShortcut(QKeySequence("Ctrl+N"), other.table)
    clash.setShortcut(QKeySequence())
    assert shortcuts.collisions(window) == []


def test_the_shortcut_list_names_every_command_with_its_keys_aligned(qtbot, run_window):
    window = run_window()
    dialog = window.show_shortcuts()
    titles = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    for needed in ("Send", "Stop", "Append Reply to Conversation", "Save", "Undo",
                   "Set Role: Assistant", "Keyboard Shortcuts", "Table", "Results"):
        assert needed in titles
    keys = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}
    assert keys["Send"].startswith(QKeySequence("Ctrl+Return").toString(
        QKeySequence.SequenceFormat.NativeText))
    starts = {line.index(keys_text, len(title)) for line, title, keys_text in
              zip(dialog.lines(), titles, [dialog.table.item(r, 1).text() or "—"
                                           for r in range(dialog.table.rowCount())],
                  strict=True)}
    assert len(starts) == 1  # the keys column starts at the same place on every line
    dialog.close()


def test_rebinding_refuses_a_colliding_key_and_is_kept_for_the_next_window(
        qtbot, run_window, tmp_path):
    window = run_window(user_dir=tmp_path / "u")
    dialog = window.show_shortcuts()
    row = next(r for r, c in enumerate(dialog.commands) if c.id == "answer-tool-calls")
    dialog.table.selectRow(row)
    assert not dialog.assign(QKeySequence("Ctrl+D"))  # Duplicate has it, live in the table
    assert "Duplicate" in dialog.message.text()
    assert window.run_ui.answer_action.shortcut() == QKeySequence("Ctrl+Shift+T")
    assert dialog.assign(QKeySequence("Ctrl+Alt+T"))
    assert window.run_ui.answer_action.shortcut() == QKeySequence("Ctrl+Alt+T")
    assert shortcuts.collisions(window) == []
    dialog.close()
    again = run_window(user_dir=tmp_path / "u")
    assert again.run_ui.answer_action.shortcut() == QKeySequence("Ctrl+Alt+T")
    dialog = again.show_shortcuts()
    dialog.reset_all()
    assert again.run_ui.answer_action.shortcut() == QKeySequence("Ctrl+Shift+T")
    assert json.loads((tmp_path / "u" / "shortcuts.json").read_text()) == {}
    dialog.close()


def test_choosing_a_provider_with_the_keyboard_keeps_the_focus_on_the_combo(qtbot, run_window):
    window = run_window()
    window.activateWindow()
    combo = window.request_panel.provider_combo
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    for _ in range(3):
        qtbot.keyClick(combo, Key.Key_Down)
        QApplication.processEvents()
        assert QApplication.focusWidget() is combo


def test_choosing_a_role_in_the_table_returns_the_focus_to_the_table(qtbot, run_window):
    window = run_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    table = window.table
    table.setFocus()
    qtbot.keyClick(table, Key.Key_Home)
    assert table.currentIndex().column() == 0
    row = table.currentIndex().row()
    before = window.document.conversation.messages[row].role
    qtbot.keyClick(table, Key.Key_F2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table)
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Key.Key_Down)
    qtbot.keyClick(editor, Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.conversation.messages[row].role != before)
    QApplication.processEvents()
    assert QApplication.focusWidget() is table
    assert table.currentIndex().row() == row


def test_every_command_is_reachable_from_the_keyboard(run_window):
    """Every toolbar button is also in a menu, every menu has an Alt mnemonic, and every
    command of the window is in a menu or has keys."""
    from PySide6.QtWidgets import QToolBar, QWidgetAction

    window = run_window()
    in_menus = set()
    for top in window.menuBar().actions():
        assert "&" in top.text(), f"menu {top.text()!r} has no mnemonic"
        stack = [top.menu()]
        while stack:
            menu = stack.pop()
            for action in menu.actions():
                in_menus.add(id(action))
                if action.menu() is not None:
                    stack.append(action.menu())
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            if action.isSeparator() or isinstance(action, QWidgetAction):
                continue  # a widget on the bar (the Markdown box) takes the focus by Tab
            assert id(action) in in_menus, f"toolbar {action.text()!r} is in no menu"
    for command in shortcuts.commands(window):
        assert id(command.action) in in_menus or command.keys(), command.title
