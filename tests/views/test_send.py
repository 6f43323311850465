"""Send and Stop through the window against the loopback server: the first start's replay, stop
mid-stream, a new Send replacing a running one, and the faults (401 with Retry, 429 then
success, a disconnect mid-stream); problems found before sending mark the row or field and
send nothing."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import Qt

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats.anthropic import from_body
from composer.models.parts import AttachmentPart, Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views.results.blocks import (
    AttachmentBlock,
    ErrorBlock,
    ReasoningBlock,
    TextBlock,
    ToolCallBlock,
)
from tests.cassettes import load
from tests.conftest import recordings_or_skip
from tests.loopback import Reply
from tests.views.checks import wait_checked

CASSETTE = "TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml"


@pytest.fixture
def recorded():
    return load(recordings_or_skip() / CASSETTE).interactions


def _anthropic(recorded, url: str) -> Conversation:
    conversation = from_body(recorded[0].request_json).conversation
    conversation.settings.base_url = url
    return conversation


def _error_body(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def test_first_start_replays_the_example_and_shows_every_part_type(qtbot, run_window):
    window = run_window()
    run = window.run_ui
    assert window.document.conversation.settings.provider == "replay"
    note = window.request_panel.key_note
    assert note.isVisibleTo(window) and "key" in note.text() and "Ollama" in note.text()
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    kinds = {type(b) for b in run.pane.blocks.values()}
    assert {ReasoningBlock, TextBlock, ToolCallBlock, AttachmentBlock} <= kinds
    image = run.pane.blocks_of(AttachmentBlock)[0]
    assert not image.pixmap.isNull(), image.preview.text()
    assert image.open_button.isVisibleTo(window)
    assert run.event_log.count == len(run.current.composer.events) > 0
    assert window.status_state.text() == "Done"


def test_stop_mid_stream_keeps_the_parts_that_arrived(qtbot, run_window, loopback, recorded):
    go_on = threading.Event()  # the server holds the reply after its 3rd delta back until then
    loopback.queue(Reply.sse(recorded[0].response_body, stall_before=6, stall=10, until=go_on))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    states = []
    run.state_changed.connect(states.append)
    run.send_action.trigger()
    assert not run.send_action.isEnabled() or run.stop_action.isEnabled()
    qtbot.waitUntil(lambda: bool(run.pane.blocks_of(ReasoningBlock))
                    and len(run.pane.blocks_of(ReasoningBlock)[0].text) > 20, timeout=5000)
    # The window stays usable while it streams: an edit and a resize go through.
    window.editor.set_text(0, "typed while streaming")
    window.resize(1000, 700)
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: run.state == RunState.STOPPED, timeout=3000)
    go_on.set()
    assert states[:2] == ["sending", "streaming"]
    partial = run.pane.blocks_of(ReasoningBlock)[0].text
    assert 20 < len(partial) and "function call." not in partial
    assert run.current.composer.stop_reason == "cancelled"
    assert run.current.messages[0].parts[0].text == partial
    assert isinstance(run.pane.error_block, ErrorBlock)
    assert run.pane.error_block.header.text().startswith("Stopped")
    assert window.document.messages[0].plain_text == "typed while streaming"
    # Keep Replies (on by default) put the partial reply into the table: not appended twice.
    assert window.document.messages[-1] == run.current.messages[0]
    assert not run.append_action.isEnabled()


def test_a_new_send_replaces_the_running_one(qtbot, run_window, loopback, recorded):
    go_on = threading.Event()  # the first reply is held after its 3rd delta until then
    slow = Reply.sse(recorded[0].response_body, stall_before=6, stall=10, until=go_on)
    loopback.queue(slow, Reply.sse(recorded[0].response_body))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: bool(run.pane.blocks), timeout=5000)
    run.send_action.trigger()
    go_on.set()  # the rest of the first reply may come now, if anything still reads it
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert len(run.runs.runs) == 1  # the first run's late results were dropped
    assert run.current.composer.stop_reason == "tool_calls"
    assert run.pane.error_block is None


def test_401_shows_status_message_and_request_id_and_retry_sends_again(
        qtbot, run_window, loopback, recorded):
    loopback.queue(Reply.json(_error_body("authentication_error", "invalid x-api-key"),
                              status=401, headers={"request-id": "req_0123"}),
                   Reply.sse(recorded[0].response_body))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
    block = run.pane.error_block
    assert "401" in block.header.text() and "authentication_error" in block.header.text()
    assert "invalid x-api-key" in block.message.text()
    assert "req_0123" in block.request_id.text()
    assert "401" in window.status_state.text()
    qtbot.mouseClick(block.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert len(loopback.received) == 2
    assert loopback.received[1].json == loopback.received[0].json
    assert [r.exchange.composer.stop_reason for r in run.runs.runs] == ["error", "tool_calls"]


def test_429_then_success_says_retrying_then_streams(qtbot, run_window, loopback, recorded):
    loopback.queue(Reply.json(_error_body("rate_limit_error", "slow down"), status=429,
                              headers={"retry-after-ms": "80"}),
                   Reply.sse(recorded[0].response_body))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    seen = []
    run.state_changed.connect(lambda s: seen.append((s, window.status_state.text())))
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert [s for s, _ in seen] == ["sending", "retrying", "streaming", "done"]
    assert seen[1][1].startswith("Retrying in 0.1 s (1/2)")
    assert len(loopback.received) == 2 and run.pane.error_block is None


def test_disconnect_mid_stream_keeps_the_parts_and_shows_the_error(
        qtbot, run_window, loopback, recorded):
    loopback.queue(Reply.sse(recorded[0].response_body, disconnect_after=8))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.ERROR, timeout=5000)
    assert run.pane.blocks_of(ReasoningBlock)[0].text
    assert run.pane.error_block.error.kind in ("network", "truncated")
    assert run.current.messages and run.current.messages[0].parts[0].text


def test_a_part_the_provider_cannot_take_marks_its_row_and_nothing_is_sent(
        qtbot, run_window, loopback):
    system = Message(role="system", parts=[*Message.text("system", "Be brief").parts,
                                           AttachmentPart(attachment=Attachment.from_bytes(
                                               b"%PDF-1.4", name="a.pdf"))])
    conversation = Conversation(messages=[system, Message.text("user", "Hi")],
                                settings=RequestSettings(provider="anthropic", model="m",
                                                         base_url=loopback.url))
    window = run_window(conversation)
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and run.task is None
    assert "part 2" in window.table.problem(0)
    assert window.table.current_row() == 0
    assert run.pane.error_block.header.text() == "Not sent"
    assert not run.pane.error_block.retry_button.isVisibleTo(window)
    qtbot.wait(50)
    assert loopback.received == []


def test_a_missing_key_is_shown_at_the_key_and_nothing_is_sent(qtbot, run_window):
    conversation = Conversation(messages=[Message.text("user", "Hi")],
                                settings=RequestSettings(provider="anthropic", model="m"))
    window = run_window(conversation)
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED
    assert "ANTHROPIC_API_KEY" in window.status_state.text()
    assert window.request_panel.key_note.isVisibleTo(window)
    assert "ANTHROPIC_API_KEY" in run.pane.error_block.message.text()


def test_invalid_tools_json_refuses_at_the_tools_editor(qtbot, run_window, loopback, recorded):
    window = run_window(_anthropic(recorded, loopback.url))
    panel = window.request_panel
    panel.tools_edit.setPlainText('[{"name": "weather", ')
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.state == RunState.REFUSED
    assert panel.tabs.currentIndex() == 1 and panel.tools_error.isVisibleTo(window)
    assert "invalid JSON" in window.status_state.text()
    qtbot.wait(50)
    assert loopback.received == []


def test_a_refusal_is_said_once_and_is_gone_once_a_send_goes_through(
        qtbot, run_window, loopback, recorded):
    """Seen in a real window: the refusal's line stayed in the status bar beside "Done"."""
    loopback.queue(Reply.sse(recorded[0].response_body))
    window = run_window(_anthropic(recorded, loopback.url))
    panel = window.request_panel
    panel.tools_edit.setPlainText('[{"name": "weather", ')
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert "Not sent" in window.status_state.text()
    assert "Not sent" not in window.statusBar().currentMessage()  # not twice
    panel.tools_edit.setPlainText("[]")
    window.statusBar().showMessage("Not sent: an older refusal", 10000)
    window.run_ui.send_action.trigger()
    qtbot.waitUntil(lambda: window.run_ui.state == RunState.DONE, timeout=5000)
    assert window.status_state.text() == "Done"
    assert "Not sent" not in window.statusBar().currentMessage()


def test_save_exchange_writes_the_llm_readable_file_with_timing_and_events(
        qtbot, run_window, loopback, recorded, tmp_path):
    loopback.queue(Reply.sse(recorded[0].response_body))
    window = run_window(_anthropic(recorded, loopback.url))
    run = window.run_ui
    assert not run.save_exchange_action.isEnabled()
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    dialog = run.choose_save_exchange()
    dialog.fileSelected.emit(str(tmp_path / "reply"))
    data = json.loads((tmp_path / "reply.json").read_text())
    assert data["composer"]["kind"] == "exchange"
    assert data["messages"][0]["parts"][0]["type"] == "reasoning"
    assert data["composer"]["timing"]["first_token_ms"] is not None
    assert len(data["composer"]["events"]) > 10
    assert "x-api-key" not in json.dumps(data)
    dialog.close()


def test_an_invalid_extra_header_refuses_at_the_extra_tab(qtbot, run_window, loopback, recorded):
    window = run_window(_anthropic(recorded, loopback.url))
    panel = window.request_panel
    panel.headers_edit.setPlainText('{"x-api-key": "sk-live"}')
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.state == RunState.REFUSED
    assert panel.tabs.currentIndex() == 3 and panel.headers_error.isVisibleTo(window)
    # Shown once, under its editor: not again in the note above the tabs.
    assert not panel.model_note.isVisibleTo(window)
    assert window.status_state.text().count("key does not go in headers") == 1
    qtbot.wait(50)
    assert loopback.received == []
