"""The bugs a new user hit in the window: each test drives the real widgets and failed
before its fix."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QApplication

from composer.models import formats
from composer.models.conversation import Conversation
from composer.models.formats.base import Loss
from composer.models.parts import Citation, Message, TextPart, ToolCallPart, ToolResultPart
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.detail.editor import ToolCallSection
from composer.views.table.model import CONTENT_COLUMN
from composer.views.window import _loss_report
from tests.loopback import Reply
from tests.views.checks import wait_checked

CHAT_REPLY = "\n\n".join([
    'data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
    '"delta":{"role":"assistant","content":"fine"},"finish_reason":null}]}',
    'data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
    '"delta":{},"finish_reason":"stop"}]}',
    "data: [DONE]", ""])


def _chat(url: str, *messages: Message) -> Conversation:
    return Conversation(messages=list(messages) or [Message.text("user", "hello")],
                        settings=RequestSettings(provider="custom", base_url=url + "/v1",
                                                 model="m"))


def _activate(qtbot, window) -> None:
    """Shortcuts and focus need the window active (offscreen too)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def _sent_messages(loopback, n: int = -1) -> list[dict]:
    return loopback.received[n].json["messages"]


# -- 1. Ctrl+Return inside a cell editor ----------------------------------------------------------

def test_ctrl_return_in_a_cell_editor_commits_the_edit_and_sends_the_new_text(
        qtbot, run_window, loopback):
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url, Message.text("user", "old text")))
    _activate(qtbot, window)
    table, run = window.table, window.run_ui
    index = table.model().index(0, CONTENT_COLUMN)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.indexWidget(index)
    assert editor is not None
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, "new text")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    # Sent once, with what the user typed, and the edit is over (one undo step).
    assert len(loopback.received) == 1
    assert _sent_messages(loopback)[0]["content"] == "new text"
    assert window.document.messages[0].plain_text == "new text"
    assert table.state() != QAbstractItemView.State.EditingState
    window.undo_stack.undo()  # the reply Keep Replies put in
    assert len(window.document) == 1
    window.undo_stack.undo()
    assert window.document.messages[0].plain_text == "old text"


# -- 2. a tool row's content cell -----------------------------------------------------------------

def _tool_rows() -> list[Message]:
    call = ToolCallPart(name="get_weather", arguments={"city": "Oslo"}, tool_call_id="call_1")
    return [Message.text("user", "weather?"),
            Message(role="assistant", parts=[call]),
            Message(role="tool", parts=[ToolResultPart(name="get_weather", output="12 C",
                                                       tool_call_id="call_1")])]


def test_editing_a_tool_rows_content_cell_edits_the_tool_output(qtbot, run_window):
    window = run_window(Conversation(messages=_tool_rows()))
    table = window.table
    index = table.model().index(2, CONTENT_COLUMN)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.indexWidget(index)
    assert editor.toPlainText() == "12 C"  # the cell edits what the row says
    editor.setPlainText("14 C, sunny")
    table.commitData(editor)
    table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    parts = window.document.messages[2].parts
    assert len(parts) == 1 and isinstance(parts[0], ToolResultPart)
    assert parts[0].output == "14 C, sunny" and parts[0].tool_call_id == "call_1"
    window.undo_stack.undo()
    assert window.document.messages[2].parts[0].output == "12 C"


def test_a_row_of_several_tool_results_is_not_edited_as_text_in_the_cell(qtbot, run_window):
    results = [ToolResultPart(name="a", output="1", tool_call_id="x"),
               ToolResultPart(name="b", output="2", tool_call_id="y")]
    window = run_window(Conversation(messages=[Message(role="tool", parts=results)]))
    index = window.table.model().index(0, CONTENT_COLUMN)
    assert not window.table.model().flags(index) & Qt.ItemFlag.ItemIsEditable


# -- 3. invalid tool-call arguments in the detail editor ------------------------------------------

def test_invalid_tool_call_arguments_in_the_detail_editor_block_send(
        qtbot, run_window, loopback):
    loopback.queue(Reply.sse(CHAT_REPLY))
    rows = _tool_rows()
    window = run_window(_chat(loopback.url, *rows))
    _activate(qtbot, window)
    run = window.run_ui
    window.table.select_rows([1])
    section = window.detail.sections[0]
    assert isinstance(section, ToolCallSection)
    section.arguments.setPlainText('{"city": "Bergen"')  # not JSON: never reaches the message
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and loopback.received == []
    assert "row 2, part 1" in window.status_state.text()
    assert "Arguments not saved" in window.status_state.text()
    # Shown at the editor, which has the focus.
    qtbot.waitUntil(lambda: section.problem.isVisibleTo(window), timeout=2000)
    assert window.detail.sections[0] is section and section.arguments.hasFocus()
    assert section.arguments.toPlainText() == '{"city": "Bergen"'  # nothing the user typed lost
    assert window.table.problem(1)
    # Fixed: Send goes, with the new arguments.
    section.arguments.setPlainText('{"city": "Bergen"}')
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    call = _sent_messages(loopback)[1]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"city": "Bergen"}


# -- 4. the note under Model ----------------------------------------------------------------------

def _refused_for_model(window, qtbot) -> None:
    window.request_panel.model_combo.setEditText("")
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.state == RunState.REFUSED
    assert window.request_panel.model_note.isVisibleTo(window)


def test_the_model_note_goes_when_the_field_changes(qtbot, run_window, loopback):
    window = run_window(_chat(loopback.url))
    _refused_for_model(window, qtbot)
    note = window.request_panel.model_note
    assert "model" in note.text()
    window.request_panel.model_combo.setEditText("m")
    assert not note.isVisibleTo(window)


def test_the_model_note_goes_after_a_good_send(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url))
    _refused_for_model(window, qtbot)
    window.request_panel._updating = True  # the model set without touching the note
    window.document.set_settings(window.document.conversation.settings.model_copy(
        update={"model": "m"}))
    window.request_panel._updating = False
    window.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    assert not window.request_panel.model_note.isVisibleTo(window)


def test_the_model_note_goes_when_another_conversation_is_imported(
        qtbot, run_window, loopback, tmp_path):
    window = run_window(_chat(loopback.url))
    _refused_for_model(window, qtbot)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    assert window.import_path(other) is True
    assert not window.request_panel.model_note.isVisibleTo(window)


# -- 5. the runs list after Open or Import --------------------------------------------------------

def test_open_and_import_start_with_an_empty_runs_list(qtbot, run_window, loopback, tmp_path):
    loopback.queue(Reply.sse(CHAT_REPLY), Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url))
    run = window.run_ui
    run.keep_action.setChecked(False)  # the reply waits for Append Reply
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert run.runs.list.count() == 1 and run.append_action.isEnabled()
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    assert window.import_path(other) is True
    assert run.runs.list.count() == 0 and run.runs.runs == []
    assert not run.pane.blocks and not run.append_action.isEnabled()  # no stale reply
    assert run.event_log.count == 0 and run.event_log.text.toPlainText() == ""

    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert run.runs.list.count() == 1
    saved = tmp_path / "mine.json"
    assert window.save_to(saved)
    assert window.open_path(saved)
    assert run.runs.list.count() == 0 and not run.runs.empty.isHidden()


# -- 6. Import keeps the provider -----------------------------------------------------------------

def test_import_keeps_the_current_provider_base_url_and_model(qtbot, run_window, tmp_path):
    window = run_window(Conversation(messages=[Message.text("user", "x")], settings=
                                     RequestSettings(provider="custom",
                                                     base_url="http://127.0.0.1:9/v1",
                                                     model="my-model")))
    other = tmp_path / "body.json"
    other.write_text(json.dumps({"model": "gpt-4o", "temperature": 0.2,
                                 "messages": [{"role": "user", "content": "hi"}]}))
    assert window.import_path(other) is True
    settings = window.document.conversation.settings
    assert (settings.provider, settings.base_url, settings.model) == (
        "custom", "http://127.0.0.1:9/v1", "my-model")
    assert settings.options.get("temperature") == 0.2  # the file's own options come with it
    panel = window.request_panel
    assert panel.provider_combo.currentData() == "custom"
    assert panel.model_combo.currentText() == "my-model"


# -- 7. typing "Custom" in the provider combo -----------------------------------------------------

def test_typing_custom_in_the_provider_combo_keeps_the_focus_there(qtbot, run_window):
    window = run_window()
    _activate(qtbot, window)
    combo = window.request_panel.provider_combo
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=2000)
    qtbot.keyClicks(combo, "Custom")
    assert combo.currentData() == "custom"
    assert QApplication.focusWidget() is combo
    assert window.request_panel.base_url_edit.text() == ""  # no letters typed into it
    note = window.request_panel.model_note
    assert note.isVisibleTo(window) and "base URL" in note.text()


# -- 8. the loss report ---------------------------------------------------------------------------

def test_the_loss_report_words_each_loss_by_one_rule():
    report = _loss_report([Loss("response schema dropped", dropped=True),
                           Loss("provider_metadata dropped", 0, 1)]).splitlines()
    assert report == ["lost: response schema dropped",
                      "note: message 1, part 2: provider_metadata dropped"]
    assert not any(line.startswith("dropped:") for line in report)


def test_anthropic_citations_converted_to_chat_are_reported():
    cited = TextPart(text="Oslo is in Norway.",
                     citations=[Citation(url="https://example.org/oslo", title="Oslo")])
    conversation = Conversation(messages=[Message.text("user", "where?"),
                                          Message(role="assistant", parts=[cited])])
    exported = formats.export(conversation, "openai-chat")
    lines = [str(loss) for loss in exported.losses]
    assert any("citation" in line and "message 2, part 1" in line for line in lines), lines


def test_ctrl_return_while_typing_a_base_url_sends_to_the_typed_one(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window(_chat("http://127.0.0.1:9"))  # nothing listens there
    _activate(qtbot, window)
    edit = window.request_panel.base_url_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, loopback.url + "/v1")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.run_ui.state in ("done", "error"), timeout=5000)
    assert window.run_ui.state == RunState.DONE and len(loopback.received) == 1
    assert window.document.conversation.settings.base_url == loopback.url + "/v1"


def test_invalid_arguments_left_behind_on_another_row_still_block_send_and_come_back(
        qtbot, run_window, loopback):
    window = run_window(_chat(loopback.url, *_tool_rows()))
    run = window.run_ui
    window.table.select_rows([1])
    window.detail.sections[0].arguments.setPlainText('{"city": ')
    window.table.select_rows([0])  # the user moves on; the field's text is not in the message
    assert window.document.messages[1].parts[0].arguments == {"city": "Oslo"}
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and loopback.received == []
    assert "row 2, part 1" in window.status_state.text()
    # The refusal brings the row back, with what was typed and why it is not saved.
    assert window.detail.row == 1
    section = window.detail.sections[0]
    assert section.arguments.toPlainText() == '{"city": '
    assert section.arguments_error and "Arguments not saved" in section.arguments_error
