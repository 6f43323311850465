"""Issue 16's round trips through the window: a Mistral reasoning turn, a Responses stream whose
item ids rotate, and a custom tool call each go Send → Append Reply → Answer Tool Calls → Send,
and the second request the loopback server received holds the right bytes.

The streams are the ones tests/test_fidelity_chat.py and tests/test_fidelity_responses.py cite
(Mistral's documented shapes, a recorded OpenAI stream with rotated ids, OpenAI's custom tool
example)."""

from __future__ import annotations

import json

import pytest

from composer.models.conversation import Conversation
from composer.models.formats.openai_responses import from_body
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from composer.models.settings import RequestSettings
from composer.providers.presets import resolve
from composer.providers.trust import KeyTarget, TrustedHosts, key_id, origin
from composer.run import RunState
from tests.cassettes import load
from tests.conftest import recordings_or_skip
from tests.framing import frames
from tests.loopback import Reply
from tests.test_fidelity_responses import CTC, CUSTOM_STREAM, CUSTOM_TOOL, THINKING, rotate_ids

THINK = "Look the payment up first."
MISTRAL_TOOL_TURN = "".join(f"data: {json.dumps(c)}\n\n" for c in [
    {"id": "c1", "object": "chat.completion.chunk", "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"content": [
         {"type": "thinking", "thinking": [{"type": "text", "text": THINK}]}]},
         "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"id": "D681PevKs", "function": {"name": "retrieve_payment_status",
                                          "arguments": "{\"transaction_id\": \"T1001\"}"}}]},
         "finish_reason": "tool_calls"}]},
]) + "data: [DONE]\n\n"
MISTRAL_ANSWER = "".join(f"data: {json.dumps(c)}\n\n" for c in [
    {"id": "c2", "object": "chat.completion.chunk", "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": "It is paid."},
                  "finish_reason": "stop"}]},
]) + "data: [DONE]\n\n"


def _key_window(run_window, tmp_path, conversation):
    """A window over ``conversation`` whose loopback base URL the user confirmed and remembered
    for this provider's key, so Send spends the test key without asking again."""
    settings = conversation.settings
    preset = resolve(settings.provider)
    host = origin(settings.base_url)
    (tmp_path / "user").mkdir(exist_ok=True)
    TrustedHosts.load(tmp_path / "user").allow(
        KeyTarget(key_id(preset), preset.title, host, origin(preset.base_url)), remember=True)
    return run_window(conversation)


def _round_trip(qtbot, window, loopback, answer: str) -> dict:
    """Send, append the reply, answer its tool call with ``answer``, send again: the second
    request's JSON body."""
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    # Keep Replies (on by default) put the reply in: Append Reply has nothing left to add.
    assert window.document.messages[-1] == run.current.messages[-1]
    assert not run.append_action.isEnabled() and run.answer_action.isEnabled()
    rows = len(window.document)
    run.answer_action.trigger()
    assert len(window.document) == rows + 1  # the reply was not appended twice
    (section,) = window.detail.sections
    section.output.setPlainText(answer)
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE and len(loopback.received) == 2,
                    timeout=5000)
    return loopback.received[1].json


def test_a_mistral_reasoning_turn_round_trips(qtbot, run_window, loopback, monkeypatch, tmp_path):
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    loopback.queue(Reply.sse(MISTRAL_TOOL_TURN), Reply.sse(MISTRAL_ANSWER))
    conversation = Conversation(
        messages=[Message.text("user", "Is T1001 paid?")],
        settings=RequestSettings(provider="mistral", model="mistral-medium-3-5",
                                 base_url=loopback.url))
    window = _key_window(run_window, tmp_path, conversation)
    body = _round_trip(qtbot, window, loopback, "Paid")
    assert body["messages"][1:] == [
        {"role": "assistant",
         "content": [{"type": "thinking", "thinking": [{"type": "text", "text": THINK}]}],
         "tool_calls": [{"id": "D681PevKs", "type": "function", "function": {
             "name": "retrieve_payment_status",
             "arguments": "{\"transaction_id\": \"T1001\"}"}}]},
        {"role": "tool", "tool_call_id": "D681PevKs", "content": "Paid"}]
    assert isinstance(window.document.messages[1].parts[0], ReasoningPart)


def test_a_rotating_id_responses_stream_round_trips(qtbot, run_window, loopback, monkeypatch,
                                                    tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    recorded = load(recordings_or_skip() / THINKING).interactions
    loopback.queue(Reply.sse(rotate_ids(recorded[0].response_body)),
                   Reply.sse(rotate_ids(recorded[1].response_body)))
    conversation = from_body(recorded[0].request_json).conversation
    conversation.settings.provider = "openai"
    conversation.settings.base_url = loopback.url
    window = _key_window(run_window, tmp_path, conversation)
    reply = window.run_ui
    answer = recorded[1].request_json["input"][-1]["output"]
    body = _round_trip(qtbot, window, loopback, answer)
    sent, expected = body["input"], recorded[1].request_json["input"]
    first = [json.loads(f.data) for f in frames(rotate_ids(recorded[0].response_body))]
    reasoning, call = [e["item"] for e in first if e["type"] == "response.output_item.done"]
    # One reasoning item (replayed whole, store is false) and one call: nothing doubled.
    assert [i.get("type", "message") for i in sent] == \
        ["message", "message", "reasoning", "function_call", "function_call_output"]
    assert sent[2] == {k: v for k, v in reasoning.items() if k != "status"} | {"type": "reasoning"}
    assert {k: sent[3][k] for k in ("call_id", "name")} == \
        {k: expected[2][k] for k in ("call_id", "name")} == \
        {k: call[k] for k in ("call_id", "name")}
    assert json.loads(sent[3]["arguments"]) == json.loads(expected[2]["arguments"])
    assert sent[4] == expected[3]
    assert body["tools"] == recorded[1].request_json["tools"]
    parts = reply.current.messages[0].parts
    assert [type(p) for p in parts] == [ReasoningPart, TextPart]  # each once
    assert len(window.document.messages[2].parts) == 2


def test_a_custom_tool_call_round_trips(qtbot, run_window, loopback, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    done = ('data: {"type": "response.completed", "response": {"id": "r2", "status": '
            '"completed", "output": []}}\n\n')
    loopback.queue(Reply.sse(CUSTOM_STREAM), Reply.sse(done))
    conversation = Conversation(
        messages=[Message.text("user", "Use the code_exec tool to print hello world to the "
                                       "console.")],
        settings=RequestSettings(provider="openai", model="gpt-5", base_url=loopback.url))
    window = _key_window(run_window, tmp_path, conversation)
    panel = window.request_panel
    panel.tools_edit.setPlainText(json.dumps([CUSTOM_TOOL]))  # defined in the tools editor
    assert not panel.tools_error.text()
    body = _round_trip(qtbot, window, loopback, "hello world")
    assert body["tools"] == [CUSTOM_TOOL]
    assert body["input"][1:] == [
        {"type": "custom_tool_call", "status": "completed", "call_id": CTC["call_id"],
         "input": CTC["input"], "name": "code_exec"},
        {"type": "custom_tool_call_output", "call_id": CTC["call_id"],
         "output": "hello world"}]
    call = window.document.messages[1].parts[0]
    assert isinstance(call, ToolCallPart) and call.name == "code_exec"


@pytest.mark.parametrize("tools, problem", [
    ([{"type": "custom", "name": "x", "parameters": {}}], "free-form input"),
    ([{"type": "custom", "name": "x", "format": {"type": "grammar", "syntax": "ebnf",
                                                  "definition": "s"}}], "lark"),
    ([{"name": "f", "strict": "yes"}], "true or false"),
    ([{"type": "hosted", "name": "f"}], '"custom"'),
])
def test_the_tools_editor_names_a_bad_custom_tool_or_strict(qtbot, run_window, tools, problem):
    window = run_window()
    panel = window.request_panel
    panel.tools_edit.setPlainText(json.dumps(tools))
    assert problem in panel.tools_error.text() and "$[0]" in panel.tools_error.text()


def test_a_custom_tool_shows_in_the_tools_editor_without_a_schema(qtbot, run_window):
    grammar = {"type": "custom", "name": "math", "description": "An expression",
               "format": {"type": "grammar", "syntax": "lark", "definition": "start: NUMBER"}}
    window = run_window()
    panel = window.request_panel
    panel.tools_edit.setPlainText(json.dumps([grammar, {"name": "f", "strict": True}]))
    assert not panel.tools_error.text()
    tools = window.document.conversation.settings.tools
    assert tools[0].model_extra["format"]["syntax"] == "lark"
    window.editor.replace_all(window.document.conversation.model_copy(deep=True))
    assert json.loads(panel.tools_edit.toPlainText())[0] == grammar
