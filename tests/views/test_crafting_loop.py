"""The crafting loop end to end, by keyboard, against loopback servers: type in the compose box
and send, the reply is kept, regenerate twice, step through the three variants, edit row 2 and
send (a branch), switch back, compare three targets of three protocols and keep the middle one,
save, reopen: every branch and variant is there."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from composer.models import files
from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.table.model import CONTENT_COLUMN
from tests.loopback import LoopbackServer, Reply
from tests.views.test_branches import _press, _reply, _texts
from tests.views.test_compare_window import (
    ANTHROPIC,
    CHAT,
    GEMINI,
    fill,
    open_dialog,
    recorded,
    sent,
)

Key = Qt.Key
Mod = Qt.KeyboardModifier


def _type(qtbot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _runs_done(qtbot, window, runs: int) -> None:
    run = window.run_ui
    qtbot.waitUntil(lambda: run.state == RunState.DONE and len(run.runs.runs) == runs,
                    timeout=5000)


def test_the_whole_crafting_loop_by_keyboard(qtbot, run_window, loopback, monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-loop")
    monkeypatch.setenv("GEMINI_API_KEY", "gm-loop")
    loopback.queue(_reply("Blue."), _reply("Grey."), _reply("Azure."),
                   _reply("Rayleigh scattering."))
    window = run_window(Conversation(
        messages=[Message.text("system", "Be brief.")],
        settings=RequestSettings(provider="openai-chat", model="m", base_url=loopback.url)))

    # Type the next turn in the compose box; Ctrl+Enter adds it and sends; the reply is kept.
    window.table.setFocus()
    _press(qtbot, window, Key.Key_5, Mod.AltModifier)
    assert QApplication.focusWidget() is window.compose.edit
    _type(qtbot, "Why is the sky blue?")
    _press(qtbot, window, Key.Key_Return, Mod.ControlModifier)
    _runs_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(window.document) == 3)
    assert _texts(window) == ["Be brief.", "Why is the sky blue?", "Blue."]

    # Regenerate twice: three variants of row 3, the newest shown.
    for runs in (2, 3):
        _press(qtbot, window, Key.Key_R, Mod.ControlModifier)
        _runs_done(qtbot, window, runs)
        qtbot.waitUntil(lambda runs=runs: window.document.tree.variant(2) == (runs - 1, runs))
    assert _texts(window)[2] == "Azure."
    assert not window.run_ui.append_action.isEnabled()  # the reply is in, as a variant
    # Step through the three by keyboard.
    window.table.setFocus()
    window.table.setCurrentIndex(window.table.model().index(2, CONTENT_COLUMN))
    seen = []
    for key in (Key.Key_Left, Key.Key_Left, Key.Key_Right):
        _press(qtbot, window, key, Mod.AltModifier)
        seen.append(_texts(window)[2])
    assert seen == ["Grey.", "Blue.", "Grey."]

    # Re-ask row 2 another way: delete the reply under it, edit it (F2), and send with
    # Ctrl+Enter from the editor (it commits the edit first): a branch at row 2.
    window.table.setFocus()
    window.table.selectRow(2)
    _press(qtbot, window, Key.Key_Delete)
    window.table.setCurrentIndex(window.table.model().index(1, CONTENT_COLUMN))
    _press(qtbot, window, Key.Key_F2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not window.table)
    _press(qtbot, window, Key.Key_A, Mod.ControlModifier)
    _type(qtbot, "Why, physically?")
    _press(qtbot, window, Key.Key_Return, Mod.ControlModifier)
    _runs_done(qtbot, window, 4)
    qtbot.waitUntil(lambda: len(window.document) == 3)
    assert _texts(window) == ["Be brief.", "Why, physically?", "Rayleigh scattering."]
    assert json.loads(loopback.received[-1].body)["messages"][1]["content"] == "Why, physically?"
    tree = window.document.tree
    assert tree.variant(1) is not None and tree.variant(1)[1] == 2  # row 2 forked

    # Switch back: one click on the old branch in the branches panel.
    panel = window.branches.panel
    qtbot.waitUntil(lambda: window.branches.dock.isVisible())
    old = next(b.leaf for b in tree.branches()
               if [m.plain_text for m in tree.promote(b.leaf)][1:] == ["Why is the sky blue?",
                                                                    "Grey."])
    rect = panel.view.visualItemRect(panel.item_for(old))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert _texts(window) == ["Be brief.", "Why is the sky blue?", "Grey."]

    # The next question, added without sending (Alt+Enter), then compare three targets.
    _press(qtbot, window, Key.Key_5, Mod.AltModifier)
    _type(qtbot, "And sunsets?")
    _press(qtbot, window, Key.Key_Return, Mod.AltModifier)
    assert _texts(window)[-1] == "And sunsets?"
    servers = [LoopbackServer().start() for _ in range(3)]
    try:
        for server, name in zip(servers, (CHAT, ANTHROPIC, GEMINI), strict=True):
            server.queue(Reply.sse(recorded(name)))
        dialog = open_dialog(qtbot, window)
        fill(dialog, [("custom", "gpt-4o-mini", servers[0].url, {}),
                      ("anthropic", "claude-sonnet-4-20250514", servers[1].url, {}),
                      ("gemini", "gemini-2.5-flash", servers[2].url, {})])
        dialog.send_button.click()
        view = sent(qtbot, window)
        qtbot.waitUntil(lambda: all(c.column.ended for c in view.columns), timeout=10000)
        assert [c.column.state for c in view.columns] == [RunState.DONE] * 3
        view.columns[1].keep_button.click()  # keep the middle one
    finally:
        for server in servers:
            server.stop()
    assert window.document.messages[-1].plain_text.startswith("Olá! (That's")
    last = len(window.document) - 1
    assert window.document.tree.variant(last) == (1, 3)

    # Save, reopen: every branch and variant is there.
    path = tmp_path / "sky.json"
    assert window.save_to(path)
    reopened = run_window(files.load(path))
    again = reopened.document.tree
    assert again == window.document.tree
    assert _texts(reopened) == _texts(window)
    assert again.variant(2) == (1, 3) and again.variant(last) == (1, 3)
    assert len(again.branches()) == len(window.document.tree.branches()) >= 5
    reopened.branches.step_variant(last, +1)
    assert reopened.document.messages[-1].plain_text == "Olá!"
