"""The compose box and Keep Replies, driven by keyboard against the loopback server: Ctrl+Enter
adds the message and sends and the reply is kept; Alt+Enter only adds; Keep Replies off waits
for Append Reply; Stop keeps the partial reply; a refused send loses nothing typed; files
dropped or pasted onto the box go with the message; undo takes back the reply, then the row."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import AttachmentPart, Message, TextPart
from composer.models.settings import RequestSettings
from composer.preferences import Preferences
from composer.run import RunState
from composer.views.dialogs import open_boxes
from composer.views.results.blocks import TextBlock
from tests.loopback import Reply
from tests.views.checks import wait_checked
from tests.views.conftest import make_png
from tests.views.dnd import send_drag

Key, Mod = Qt.Key, Qt.KeyboardModifier
WORDS = [f"word{i} " for i in range(60)]


def _chat_sse(words: list[str]) -> str:
    chunks = [{"id": "c1", "object": "chat.completion.chunk", "model": "m",
               "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}
              for w in words]
    chunks.append({"id": "c1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def _chat(url: str, *messages: Message) -> Conversation:
    return Conversation(messages=list(messages) or [Message.text("system", "Be brief.")],
                        settings=RequestSettings(provider="custom", base_url=url + "/v1",
                                                 model="m"))


def _ready(qtbot, window):
    """The window active and the focus in the compose box, as a user who clicked into it."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    box = window.compose
    box.edit.setFocus()
    qtbot.waitUntil(lambda: box.edit.hasFocus(), timeout=3000)
    return box


def _sent(loopback, n: int = -1) -> list[dict]:
    return loopback.received[n].json["messages"]


def test_ctrl_enter_adds_the_message_sends_and_keeps_the_reply(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(_chat_sse(["Paris", "."])))
    window = run_window(_chat(loopback.url))
    run, box = window.run_ui, _ready(qtbot, window)
    assert box.edit.placeholderText() == "Message… (Ctrl+Return to send, Alt+Return to add)"
    qtbot.keyClicks(box.edit, "Capital of France?")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ShiftModifier)  # a newline, not a send
    qtbot.keyClicks(box.edit, "One word.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)

    assert len(loopback.received) == 1  # one key press, one send
    assert _sent(loopback)[-1] == {"role": "user", "content": "Capital of France?\nOne word."}
    roles = [m.role for m in window.document.messages]
    assert roles == ["system", "user", "assistant"]
    assert window.document.messages[2].plain_text == "Paris."
    assert box.text() == "" and box.edit.hasFocus()
    assert not run.append_action.isEnabled()  # the reply is in already
    assert not run.append_reply() and len(window.document) == 3

    # Undo takes back the kept reply, then the added row; Append Reply comes back between.
    window.undo_stack.undo()
    assert [m.role for m in window.document.messages] == ["system", "user"]
    assert run.append_action.isEnabled()
    window.undo_stack.undo()
    assert [m.role for m in window.document.messages] == ["system"]
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert len(window.document) == 3 and not run.append_action.isEnabled()


def test_alt_enter_adds_with_the_chosen_role_without_sending(qtbot, run_window, loopback):
    window = run_window(_chat(loopback.url))
    box = _ready(qtbot, window)
    box.role.setCurrentText("assistant")
    qtbot.keyClicks(box.edit, "An example answer.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.AltModifier)
    assert window.document.messages[-1] == Message.text("assistant", "An example answer.")
    assert box.text() == "" and box.edit.hasFocus()
    assert window.run_ui.state == RunState.IDLE
    box.role.setCurrentText("user")
    qtbot.keyClicks(box.edit, "And another.")
    qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    assert window.document.messages[-1] == Message.text("user", "And another.")
    assert box.edit.hasFocus()
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.AltModifier)  # nothing typed: nothing added
    assert len(window.document) == 3 and window.undo_stack.count() == 2
    qtbot.wait(50)
    assert loopback.received == []


def test_the_placeholder_follows_the_keys_the_user_chose(run_window):
    window = run_window(_chat("http://127.0.0.1:9"))
    window.run_ui.send_action.setShortcuts([QKeySequence("Ctrl+J")])
    window.compose.add_action.setShortcuts([])
    assert window.compose.edit.placeholderText() == "Message… (Ctrl+J to send)"


def test_an_empty_box_sends_the_table_as_it_is(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(_chat_sse(["hi"])))
    window = run_window(_chat(loopback.url, Message.text("user", "hello")))
    box = _ready(qtbot, window)
    qtbot.keyClicks(box.edit, "   ")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    assert _sent(loopback) == [{"role": "user", "content": "hello"}]
    assert [m.role for m in window.document.messages] == ["user", "assistant"]


def test_keep_replies_off_waits_for_append_reply_and_is_remembered(
        qtbot, run_window, loopback, user_dir):
    loopback.queue(Reply.sse(_chat_sse(["one"])))
    window = run_window(_chat(loopback.url))
    run, box = window.run_ui, _ready(qtbot, window)
    assert run.keep_action.isChecked() and run.keep_action in run.menu.actions()
    run.keep_action.trigger()
    assert Preferences.load(user_dir).keep_replies is False
    qtbot.keyClicks(box.edit, "Count to one.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert [m.role for m in window.document.messages] == ["system", "user"]
    assert run.append_action.isEnabled()
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier | Mod.ShiftModifier)
    assert [m.plain_text for m in window.document.messages][-1] == "one"
    assert not run.append_action.isEnabled()
    assert not run.append_reply() and len(window.document) == 3  # never twice

    again = run_window(_chat(loopback.url))
    assert not again.run_ui.keep_action.isChecked()


def test_stop_mid_stream_keeps_the_partial_reply_in_the_table(qtbot, run_window, loopback):
    go_on = threading.Event()  # the server holds the words after word9 back until then
    loopback.queue(Reply.sse(_chat_sse(WORDS), stall_before=10, stall=10, until=go_on))
    window = run_window(_chat(loopback.url))
    run, box = window.run_ui, _ready(qtbot, window)
    qtbot.keyClicks(box.edit, "Count slowly.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: bool(run.pane.blocks_of(TextBlock))
                    and "word3" in run.pane.blocks_of(TextBlock)[0].text, timeout=5000)
    qtbot.keyClick(box.edit, Key.Key_Escape)
    qtbot.waitUntil(lambda: run.state == RunState.STOPPED, timeout=3000)
    go_on.set()
    partial = run.pane.blocks_of(TextBlock)[0].text
    assert "word59" not in partial
    assert run.pane.error_block.header.text().startswith("Stopped")
    kept = window.document.messages[-1]
    assert kept.role == "assistant" and kept.plain_text == partial
    assert [m.role for m in window.document.messages] == ["system", "user", "assistant"]
    window.undo_stack.undo()
    assert [m.role for m in window.document.messages] == ["system", "user"]


def test_a_failed_run_keeps_nothing(qtbot, run_window, loopback):
    loopback.queue(Reply.json({"error": {"message": "boom"}}, status=400))
    window = run_window(_chat(loopback.url))
    run, box = window.run_ui, _ready(qtbot, window)
    qtbot.keyClicks(box.edit, "Hello?")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
    assert [m.role for m in window.document.messages] == ["system", "user"]
    assert run.pane.error_block is not None


def test_a_refused_send_keeps_the_message_in_the_table(
        qtbot, run_window, tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    window = run_window(Conversation(messages=[Message.text("system", "Be brief.")],
                                     settings=RequestSettings(provider="anthropic", model="m")))
    run, box = window.run_ui, _ready(qtbot, window)
    png = make_png(tmp_path / "dot.png")
    box.add_files([str(png)])
    qtbot.waitUntil(lambda: len(box.chip_widgets()) == 1, timeout=5000)
    qtbot.keyClicks(box.edit, "What colour is this?")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and "ANTHROPIC_API_KEY" in window.status_state.text()
    added = window.document.messages[-1]
    assert added.role == "user" and added.plain_text == "What colour is this?"
    assert added.attachments[0].display_name == "dot.png"
    assert box.is_empty() and box.edit.hasFocus()


def test_a_declined_key_question_keeps_the_message_in_the_table(
        qtbot, run_window, loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-compose-test")
    path = tmp_path / "shared.json"
    save(Conversation(messages=[Message.text("user", "hi")], settings=RequestSettings(
        provider="openai-chat", model="m", base_url=loopback.url + "/v1")), path)
    window = run_window()
    assert window.open_path(path)
    run, box = window.run_ui, _ready(qtbot, window)
    qtbot.keyClicks(box.edit, "Typed with care.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    wait_checked(qtbot, run)
    [question] = [b for b in open_boxes(window) if b.checkBox() is not None]
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.REFUSED, timeout=3000)
    assert loopback.received == []
    assert window.document.messages[-1] == Message.text("user", "Typed with care.")


def test_a_send_while_a_file_is_still_being_read_waits_with_everything_in_the_box(
        qtbot, run_window, loopback, tmp_path):
    loopback.queue(Reply.sse(_chat_sse(["a dot"])))
    window = run_window(_chat(loopback.url))
    run, box = window.run_ui, _ready(qtbot, window)
    qtbot.keyClicks(box.edit, "Describe it.")
    # The read lands on the GUI thread only when events are processed: still reading here.
    box.add_files([str(make_png(tmp_path / "dot.png"))])
    assert box.loader.busy
    run.send_action.trigger()
    assert run.state == RunState.IDLE and len(window.document) == 1
    assert (box.text() == "Describe it."
            and "still being read" in window.statusBar().currentMessage())
    qtbot.waitUntil(lambda: not box.loader.busy and len(box.chip_widgets()) == 1, timeout=5000)
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    content = _sent(loopback)[-1]["content"]
    assert content[0] == {"type": "text", "text": "Describe it."}
    assert content[1]["type"] == "image_url"


def test_a_file_dropped_on_the_box_goes_with_the_new_row(qtbot, run_window, loopback, tmp_path):
    window = run_window(_chat(loopback.url))
    box = _ready(qtbot, window)
    png, other = make_png(tmp_path / "shot.png"), make_png(tmp_path / "other.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(png)), QUrl.fromLocalFile(str(other))])
    enter, drop = send_drag(box.edit.viewport(), QPointF(20, 10), mime)
    assert enter.isAccepted() and drop.isAccepted()
    qtbot.waitUntil(lambda: len(box.chip_widgets()) == 2, timeout=5000)
    assert box.text() == ""  # the paths were not typed into the text
    assert len(window.document) == 1  # nothing in the table until the message is added
    chip = next(c for c in box.chip_widgets() if c.attachment.display_name == "other.png")
    qtbot.mouseClick(chip.remove_button, Qt.MouseButton.LeftButton)
    assert [c.attachment.display_name for c in box.chip_widgets()] == ["shot.png"]
    qtbot.keyClicks(box.edit, "See the picture.")
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.AltModifier)
    added = window.document.messages[-1]
    assert isinstance(added.parts[0], TextPart) and isinstance(added.parts[1], AttachmentPart)
    assert added.attachments[0].display_name == "shot.png"
    assert added.attachments[0].content  # read and embedded, as the table's drop does
    assert box.chip_widgets() == [] and window.undo_stack.count() == 1


def test_a_pasted_picture_is_attached_not_typed(qtbot, run_window, loopback):
    window = run_window(_chat(loopback.url))
    box = _ready(qtbot, window)
    image = QImage(3, 3, QImage.Format.Format_RGB32)
    image.fill(QColor("#cc3366"))
    mime = QMimeData()
    mime.setImageData(image)
    QApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(box.edit, Key.Key_V, Mod.ControlModifier)
    qtbot.waitUntil(lambda: len(box.chip_widgets()) == 1, timeout=5000)
    qtbot.keyClick(box.edit, Key.Key_Return, Mod.AltModifier)
    added = window.document.messages[-1]
    assert added.parts[0].attachment.type == "image/png" and box.text() == ""


@pytest.mark.parametrize("lines", [1, 4, 30])
def test_the_box_grows_with_its_text_then_scrolls(qtbot, run_window, lines):
    window = run_window(_chat("http://127.0.0.1:9"))
    edit = window.compose.edit
    one = edit.height()
    edit.setPlainText("\n".join(f"line {i}" for i in range(lines)))
    qtbot.waitUntil(lambda: edit.lines() == lines, timeout=2000)
    if lines <= 2:
        assert edit.height() == one and edit.verticalScrollBar().maximum() == 0
    elif lines <= 8:
        assert edit.height() > one and edit.verticalScrollBar().maximum() == 0
    else:
        assert edit.height() == edit.height_for(8) and edit.verticalScrollBar().maximum() > 0


def test_the_same_reply_twice_is_kept_twice(qtbot, run_window):
    """The first start's replay answers every send with the same words: each is its own turn."""
    window = run_window()
    assert window.document.conversation.settings.provider == "replay"
    run, box = window.run_ui, _ready(qtbot, window)
    start = len(window.document)
    for n, question in enumerate(["Once.", "Twice."], start=1):
        qtbot.keyClicks(box.edit, question)
        qtbot.keyClick(box.edit, Key.Key_Return, Mod.ControlModifier)
        qtbot.waitUntil(lambda n=n: run.state == RunState.DONE and len(run.runs.runs) == n,
                        timeout=5000)
    roles = [m.role for m in window.document.messages[start:]]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert window.document.messages[start + 1] == window.document.messages[start + 3]


def test_alt_5_goes_to_the_compose_box(qtbot, run_window):
    window = run_window(_chat("http://127.0.0.1:9"))
    _ready(qtbot, window)
    window.table.setFocus()
    qtbot.waitUntil(lambda: window.table.hasFocus(), timeout=2000)
    qtbot.keyClick(window.table, Key.Key_5, Mod.AltModifier)
    assert window.compose.edit.hasFocus()
    qtbot.keyClick(window.compose.edit, Key.Key_Tab)
    assert window.compose.role.hasFocus()  # Tab leaves the text, it does not type a tab
