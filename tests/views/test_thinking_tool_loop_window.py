"""The thinking + tool-use loop through the window: against a loopback replay of Anthropic
thinking + tool use, click Send, see the reasoning block, the tool call and the usage footer,
answer the tool call, send again, and the second request is the recorded second request in
substance (signature replayed, tool result)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from composer.models.formats.anthropic import from_body
from composer.models.parts import ToolResultPart
from composer.run import RunState
from composer.views.results.blocks import ReasoningBlock, TextBlock, ToolCallBlock
from tests.cassettes import load
from tests.conftest import recordings_or_skip
from tests.loopback import Reply

CASSETTE = "TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml"


def substance(body: dict[str, Any]) -> dict[str, Any]:
    """A Messages request in substance: no ``stream`` flag or nulls, string content as one text
    block, consecutive same-role turns merged (the API merges them)."""
    body = json.loads(json.dumps(body), object_hook=lambda d: {k: v for k, v in d.items()
                                                                 if v is not None})
    body.pop("stream", None)

    def blocks(content: Any) -> list[dict[str, Any]]:
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    merged: list[dict[str, Any]] = []
    for m in body["messages"]:
        content = blocks(m["content"])
        for block in content:
            if block.get("type") == "tool_result":
                block["content"] = blocks(block.get("content", ""))
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1]["content"] += content
        else:
            merged.append({"role": m["role"], "content": content})
    body["messages"] = merged
    if "system" in body:
        body["system"] = blocks(body["system"])
    return body


def click(qtbot, toolbar, action) -> None:
    qtbot.mouseClick(toolbar.widgetForAction(action), Qt.MouseButton.LeftButton)


def test_thinking_tool_loop_through_the_window(qtbot, run_window, loopback):
    cassette = load(recordings_or_skip() / CASSETTE)
    first, second = cassette.interactions
    loopback.queue(Reply.sse(first.response_body), Reply.sse(second.response_body))
    conversation = from_body(first.request_json).conversation
    conversation.settings.base_url = loopback.url
    window = run_window(conversation)
    run = window.run_ui
    run.keep_action.setChecked(False)  # the reply waits for the user, as Answer Tool Calls adds it

    click(qtbot, window.commands.toolbar, run.send_action)
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)

    pane = run.pane
    reasoning = pane.blocks_of(ReasoningBlock)
    assert len(reasoning) == 1 and "Florence" in reasoning[0].text
    assert reasoning[0].isVisibleTo(window)
    calls = pane.blocks_of(ToolCallBlock)
    assert [c.name for c in calls] == ["weather"]
    assert json.loads(calls[0].arguments_text) == {"location": "Florence, Italy"}
    footer = pane.footer.text()
    assert "stop reason: tool_calls" in footer and "in 424" in footer and "out " in footer
    assert "first token" in footer
    assert loopback.received[0].json["thinking"] == {"type": "enabled", "budget_tokens": 4000}

    rows_before = len(window.document)
    click(qtbot, pane.toolbar, run.answer_action)
    # The reply (reasoning with its signature, the call) and one tool row to fill in.
    assert len(window.document) == rows_before + 2
    reply_row, tool_row = window.document.messages[-2:]
    assert reply_row.role == "assistant" and reply_row.parts[0].provider_metadata["anthropic"]
    result = tool_row.parts[0]
    assert isinstance(result, ToolResultPart) and result.name == "weather"
    assert result.tool_call_id == json.loads(second.request_body)["messages"][2]["content"][0][
        "tool_use_id"]
    assert window.table.current_row() == len(window.document) - 1

    # The user types the result, as the recording's client gave it: the keyboard is already in
    # the tool row's output.
    recorded_result = second.request_json["messages"][2]["content"][0]["content"][0]["text"]
    output = window.detail.sections[0].output
    assert window.focusWidget() is output
    qtbot.keyClicks(output, recorded_result)
    assert window.document.messages[-1].parts[0].output == recorded_result

    click(qtbot, window.commands.toolbar, run.send_action)
    qtbot.waitUntil(lambda: run.state == RunState.DONE and len(run.runs.runs) == 2, timeout=5000)
    assert substance(loopback.received[1].json) == substance(second.request_json)
    final = run.pane.blocks_of(TextBlock)
    assert final and "40" in final[-1].text
    # Undo takes back the filled-in result, then the answer in one step (row and reply).
    window.undo_stack.undo()
    assert window.document.messages[-1].parts[0].output == ""
    window.undo_stack.undo()
    assert len(window.document) == rows_before
