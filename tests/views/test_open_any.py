"""Open opens what import imports: any format, a picker for files holding several
conversations, a foreign file as a new unsaved conversation named after it; and screenshot."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialogButtonBox

from composer.main import main
from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.views.picker import ConversationPicker
from tests.test_formats_other import make_store_db


@pytest.fixture
def window(make_window):
    return make_window(Conversation(messages=[Message.text("user", "mine")]))


def _picker(qtbot, window) -> ConversationPicker:
    qtbot.waitUntil(lambda: any(p.isVisible() for p in window.findChildren(ConversationPicker)),
                    timeout=2000)
    return next(p for p in window.findChildren(ConversationPicker) if p.isVisible())


def _jsonl(tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "conversations": [
        {"from": "human", "value": f"question {i}"}, {"from": "gpt", "value": f"answer {i}"}]})
        + "\n" for i in range(3)), encoding="utf-8")
    return path


def test_opening_sharegpt_jsonl_asks_which_conversation_and_opens_the_pick(qtbot, window, tmp_path):
    window.open_path(_jsonl(tmp_path))  # the pick is applied when the user answers
    assert window.document.messages[0].plain_text == "mine"
    picker = _picker(qtbot, window)
    assert picker.list.count() == 3
    assert picker.list.item(1).text() == "c1: question 1"
    picker.list.setCurrentRow(1)
    buttons = picker.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Open),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.messages[0].plain_text == "question 1", timeout=2000)
    assert [m.plain_text for m in window.document.messages] == ["question 1", "answer 1"]
    # A new, unsaved conversation named after the file, not the file itself.
    assert window.windowTitle().startswith("chats (imported from chats.jsonl)")
    assert window.file_path is None and window.isWindowModified()


def test_cancelling_the_picker_keeps_the_document(qtbot, window, tmp_path):
    path = tmp_path / "logs.db"
    make_store_db(path)
    window.open_path(path)
    picker = _picker(qtbot, window)
    assert [picker.list.item(i).toolTip() for i in range(picker.list.count())] == ["t1", "t0"]
    assert "Paris weather" in picker.list.item(0).text()
    picker.reject()
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=2000)
    assert window.document.messages[0].plain_text == "mine"


def test_a_plain_llm_to_dict_file_opens_named_after_it(qtbot, window, tmp_path):
    path = tmp_path / "from-llm.json"
    path.write_text(json.dumps({
        "model": "gpt-4o", "prompt": {"messages": [
            {"role": "user", "parts": [{"type": "text", "text": "hi"}]}]},
        "messages": [{"role": "assistant", "parts": [{"type": "text", "text": "hello"}]}]}),
        encoding="utf-8")
    mine = window.document.conversation.settings.provider
    assert window.open_path(path)
    assert [m.plain_text for m in window.document.messages] == ["hi", "hello"]
    # Opened as an import: the provider stays the user's own (a file's is data, not a choice).
    assert window.document.conversation.settings.provider == mine
    assert window.windowTitle().startswith("from-llm (imported from from-llm.json)")


def test_screenshot_renders_any_format_convert_reads(qapp, tmp_path, capsys):
    out = tmp_path / "shot.png"
    assert main(["screenshot", str(out), str(_jsonl(tmp_path)), "--size", "640x400"]) == 0
    assert QImage(str(out)).width() == 640
    capsys.readouterr()
