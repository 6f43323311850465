"""At Send in the window: every problem listed at once, each line bringing its row forward; the
notes of what the provider will not receive shown with Send anyway; and a structured reply
checked as it streams from a loopback server, its verdict shown at the end."""

from __future__ import annotations

import base64
import json
import threading

from PySide6.QtCore import Qt

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
)
from composer.models.settings import RequestSettings
from composer.run import RunState
from tests.loopback import Reply
from tests.structured_streams import PERSON, anthropic_stream
from tests.views.checks import wait_checked


def click(qtbot, dialog, i: int) -> None:
    """A real click on the list's ``i``-th line."""
    item = dialog.list.item(i)
    dialog.list.scrollToItem(item)
    rect = dialog.list.visualItemRect(item)
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def audio() -> AttachmentPart:
    return AttachmentPart(attachment=Attachment(
        type="audio/wav", content=base64.b64encode(b"RIFF\x00\x00\x00\x00WAVE").decode()))


def gemini_thought() -> ReasoningPart:
    return ReasoningPart(text="mulling", provider_metadata={"gemini": {"thoughtSignature": "c2"}})


def test_send_with_two_problems_lists_both_and_a_click_selects_its_row(
        qtbot, run_window, loopback):
    conversation = Conversation(messages=[
        Message.text("user", "Listen"),
        Message(role="user", parts=[TextPart(text="this:"), audio()]),
        Message.text("assistant", "Let me look it up."),
        Message(role="assistant", parts=[ToolCallPart(name="lookup", tool_call_id="t1")]),
    ], settings=RequestSettings(provider="anthropic", model="claude-x", base_url=loopback.url))
    window = run_window(conversation)
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and run.task is None
    dialog = run.preflight_dialog
    assert dialog is not None and dialog.isVisible() and dialog.send_button is None
    lines = [dialog.item(i).text() for i in range(dialog.list.count())]
    assert lines[0].startswith("row 2, part 2: ") and "audio/wav" in lines[0]
    assert lines[1].startswith("row 4, part 1: tool call lookup has no result")
    # Both rows are marked in the table, the status line counts the rest.
    assert "audio/wav" in window.table.problem(1) and "no result" in window.table.problem(3)
    assert "(and 1 more)" in window.status_state.text()
    click(qtbot, dialog, 1)
    assert window.table.current_row() == 3
    click(qtbot, dialog, 0)
    assert window.table.current_row() == 1
    qtbot.wait(50)
    assert loopback.received == []


def test_a_field_problem_in_the_list_brings_its_editor_forward(qtbot, run_window, loopback):
    conversation = Conversation(messages=[Message.text("user", "hi"), Message(
        role="assistant", parts=[ToolCallPart(name="f", tool_call_id="x")])],
        settings=RequestSettings(provider="anthropic", model="claude-x", base_url=loopback.url,
                                 options={"thinking_budget": 2000, "temperature": 0.5}))
    window = run_window(conversation)
    run = window.run_ui
    run.send_action.trigger()
    wait_checked(qtbot, run)
    dialog = run.preflight_dialog
    assert dialog.item(1).text().startswith("temperature: Anthropic takes no temperature")
    window.request_panel.tabs.setCurrentIndex(1)
    click(qtbot, dialog, 1)
    panel = window.request_panel
    assert panel.tabs.currentWidget() is panel.params
    assert window.focusWidget() is panel.temperature_edit  # the window's focus, once active


def notes_only(url: str) -> Conversation:
    return Conversation(messages=[
        Message.text("user", "hi"),
        Message(role="assistant", parts=[gemini_thought(), TextPart(text="Hello.")]),
        Message.text("user", "Tell me more"),
    ], settings=RequestSettings(provider="anthropic", model="claude-x", base_url=url))


def test_send_with_only_notes_shows_them_and_send_anyway_sends(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(anthropic_stream(["More, then."])),
                   Reply.sse(anthropic_stream(["Again."])))
    window = run_window(notes_only(loopback.url))
    run = window.run_ui
    run.send()
    wait_checked(qtbot, run)
    assert run.task is None
    dialog = run.preflight_dialog
    assert dialog.isVisible() and dialog.send_button is not None
    assert [dialog.item(i).text() for i in range(dialog.list.count())] == [
        "row 2, part 1: reasoning from gemini left out"]
    qtbot.wait(50)
    assert loopback.received == []
    click(qtbot, dialog, 0)
    assert window.table.current_row() == 1
    dialog.dont_ask.setChecked(True)
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert len(loopback.received) == 1
    sent = loopback.received[0].json
    assert all(block.get("type") != "thinking" for m in sent["messages"]
               for block in (m["content"] if isinstance(m["content"], list) else []))
    assert run.current.messages[0].parts[0].text == "More, then."
    # "Don't ask again" for those notes: the next Send goes at once.
    assert run.send() is not None and run.preflight_dialog is None
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert len(loopback.received) == 2


def test_cancel_sends_nothing(qtbot, run_window, loopback):
    window = run_window(notes_only(loopback.url))
    run = window.run_ui
    run.send()
    wait_checked(qtbot, run)
    run.preflight_dialog.buttons.button(run.preflight_dialog.buttons.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: run.preflight_dialog is None, timeout=2000)
    qtbot.wait(50)
    assert loopback.received == [] and run.task is None


def structured(url: str) -> Conversation:
    return Conversation(messages=[Message.text("user", "Alice, 30, lives in Paris.")],
                        settings=RequestSettings(provider="anthropic", model="claude-x",
                                                 base_url=url, response_schema=PERSON))


def test_a_structured_reply_shows_its_first_break_while_streaming_and_the_verdict_at_the_end(
        qtbot, run_window, loopback):
    fragments = ['{"name": "Alice", ', '"age": "thirty", ', *(['"city": "Pa'] + ["r"] * 12),
                 'is"}']
    go_on = threading.Event()  # the server holds the reply after "city" back until then
    loopback.queue(Reply.sse(anthropic_stream(fragments), stall_before=5, stall=10,
                             until=go_on))
    window = run_window(structured(loopback.url))
    run = window.run_ui
    status = run.pane.schema_status
    run.send_action.trigger()
    qtbot.waitUntil(lambda: "breaks at $.age" in status.text(), timeout=5000)
    assert run.state == RunState.STREAMING  # said while the reply still streams
    assert status.text() == "Schema: breaks at $.age \N{EM DASH} 'thirty' is not of type 'integer'"
    go_on.set()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert status.text() == (
        "Schema: invalid at $.age \N{EM DASH} 'thirty' is not of type 'integer'")
    assert run.current.composer.schema_verdict.path == "$.age"
    # The request asked Anthropic for the schema.
    assert loopback.received[0].json["output_config"]["format"]["schema"] == PERSON


def test_a_cut_off_and_a_valid_structured_reply_say_so(qtbot, run_window, loopback):
    loopback.queue(Reply.sse(anthropic_stream(['{"name": "Alice", "ag'], stop="max_tokens")),
                   Reply.sse(anthropic_stream([json.dumps({"name": "A", "age": 3,
                                                           "city": "P"})])))
    window = run_window(structured(loopback.url))
    run = window.run_ui
    status = run.pane.schema_status
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert status.text() == ("Schema: cut off before the JSON closed (the reply reached max "
                             "tokens)")
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE and run.current.messages[0].parts[0].text
                    .startswith('{"name": "A"'), timeout=5000)
    assert status.text() == "Schema: valid \N{CHECK MARK}" and status.isVisibleTo(window)
    # A reopened run shows its saved verdict; a reply without a schema shows no schema line.
    first = run.record.runs[0].exchange
    run.show_exchange(first)
    assert status.text().startswith("Schema: cut off")
    plain = first.model_copy(deep=True)
    plain.composer.schema_verdict = None
    run.show_exchange(plain)
    assert not status.isVisibleTo(window)


def test_the_schema_editor_refuses_an_invalid_schema_and_the_strict_toggle_is_saved(
        qtbot, run_window, loopback):
    window = run_window(structured(loopback.url))
    panel, settings = window.request_panel, lambda: window.document.conversation.settings
    panel.schema_edit.setPlainText('{"type": "object", "properties": {"age": {"type": "int"}}}')
    assert panel.schema_error.text() == (
        "response schema: not a JSON Schema: $.properties.age.type: 'int' is not valid under "
        "any of the given schemas")
    assert settings().response_schema == PERSON  # the last good schema stays
    # Send says where: the editor's problem is the one problem.
    window.run_ui.send_action.trigger()
    wait_checked(qtbot, window.run_ui)
    assert window.run_ui.state == RunState.REFUSED and "not a JSON Schema" in \
        window.status_state.text()
    panel.schema_edit.setPlainText(json.dumps(PERSON))
    assert not panel.schema_error.isVisibleTo(window)
    assert settings().schema_strict is None
    panel.strict_check.setChecked(True)
    assert settings().schema_strict is True
    panel.strict_check.setChecked(False)
    assert settings().schema_strict is None
