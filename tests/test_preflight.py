"""Preflight: every problem that blocks a send, all at once, each at its row, part or field, and
the notes of what the provider will not receive; in the core and from ``send``."""

from __future__ import annotations

import base64
import os

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.problems import Field
from composer.models.settings import RequestSettings
from composer.providers.keys import FoundKey
from composer.run.preflight import preflight, unanswered_tool_calls
from tests.cli_run import run_cli
from tests.conftest import ROOT
from tests.loopback import Reply


def with_key(_preset):
    return FoundKey("sk-test", "test")


def check(conv: Conversation):
    return preflight(conv, key_store=with_key)


def audio() -> AttachmentPart:
    return AttachmentPart(attachment=Attachment(
        type="audio/wav", content=base64.b64encode(b"RIFF\x00\x00\x00\x00WAVE").decode()))


def gemini_thought() -> ReasoningPart:
    return ReasoningPart(text="thinking", provider_metadata={"gemini": {"thoughtSignature": "c2"}})


def test_several_problems_are_listed_at_once_each_at_its_row_or_field():
    conv = Conversation(messages=[
        Message.text("user", "Listen to this"),
        Message(role="user", parts=[audio()]),
        Message(role="assistant", parts=[gemini_thought(), ToolCallPart(name="lookup",
                                                                        tool_call_id="c1")]),
    ], settings=RequestSettings(provider="anthropic", model=""))
    found = check(conv)
    assert found.prepared is None and found.refused() is not None
    blocking = [(f.message_index, f.part_index, f.field) for f in found.blocking]
    assert blocking == [(1, 0, None), (2, 1, None), (None, None, Field.MODEL)]
    lines = [f.line() for f in found.blocking]
    assert lines[0].startswith("row 2, part 1: ") and "audio/wav" in lines[0]
    assert lines[1] == ("row 3, part 2: tool call lookup has no result; add one (Answer Tool "
                        "Calls, Ctrl+Shift+T) or remove the call")
    assert lines[2] == "model: choose a model first"
    # The losses are listed beside them, not blocking: the Gemini thought is left out.
    assert [(f.message_index, f.part_index) for f in found.notes
            if "reasoning" in f.text] == [(2, 0)]


def test_only_notes_leave_the_call_prepared():
    conv = Conversation(messages=[Message(role="user", parts=[*Message.text("user", "hi").parts]),
                                  Message(role="assistant", parts=[gemini_thought()]),
                                  Message.text("user", "go on")],
                        settings=RequestSettings(provider="anthropic", model="claude-x"))
    found = check(conv)
    assert not found.blocking and found.prepared is not None
    assert [f.line() for f in found.notes] == ["row 2, part 1: reasoning from gemini left out",
                                               "row 2: nothing left to send in this message; "
                                               "left out"]


def anthropic(**options) -> Conversation:
    return Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(provider="anthropic", model="claude-x",
                                                 options=options))


def test_anthropic_thinking_with_temperature_or_top_p_is_refused():
    found = check(anthropic(thinking_budget=2000, temperature=0.3, top_p=0.5))
    assert [(f.field, f.blocking) for f in found.blocking] == [
        (Field.TEMPERATURE, True), (Field.TOP_P, True)]
    assert found.blocking[0].line() == ("temperature: Anthropic takes no temperature with "
                                        "thinking (thinking_budget is set); clear one of them")
    # What Anthropic does take with thinking, and either alone, go through.
    assert not check(anthropic(thinking_budget=2000, temperature=1, top_p=0.97)).blocking
    assert not check(anthropic(temperature=0.3, top_p=0.5)).blocking


def test_anthropic_thinking_with_a_forced_tool_choice_is_refused():
    conv = anthropic(thinking_budget=2000)
    conv.settings.tool_choice = "required"
    assert [f.field for f in check(conv).blocking] == [Field.TOOL_CHOICE]


def test_gemini_thinking_level_and_budget_together_are_refused():
    conv = Conversation(messages=[Message.text("user", "hi")], settings=RequestSettings(
        provider="gemini", model="gemini-2.5-flash",
        options={"reasoning_effort": "low", "thinking_budget": 512}))
    assert [f.field for f in check(conv).blocking] == [Field.REASONING_EFFORT]


def test_tool_calls_answered_or_run_by_the_provider_need_no_result():
    conv = Conversation(messages=[
        Message.text("user", "weather?"),
        Message(role="assistant", parts=[ToolCallPart(name="weather", tool_call_id="a"),
                                         ToolCallPart(name="web_search", tool_call_id="s",
                                                      server_executed=True),
                                         ToolCallPart(name="clock")]),
        Message(role="tool", parts=[ToolResultPart(name="weather", tool_call_id="a",
                                                   output="sunny"),
                                    ToolResultPart(name="clock", output="noon")]),
        Message(role="assistant", parts=[ToolCallPart(name="weather", tool_call_id="b")]),
    ])
    assert [(row, part) for row, part, _ in unanswered_tool_calls(conv)] == [(3, 0)]


def test_a_stored_option_out_of_range_and_a_schema_that_is_not_json_schema_block():
    conv = anthropic(temperature=9)
    conv.settings.response_schema = {"type": "object", "properties": {"a": {"type": "int"}}}
    lines = [f.line() for f in check(conv).blocking]
    assert "temperature: 9 is out of range (0..2)" in lines
    assert ("response schema: not a JSON Schema: $.properties.a.type: 'int' is not valid "
            "under any of the given schemas") in lines


def test_schema_keywords_the_provider_does_not_take_are_named_as_notes():
    schema = {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0},
                                               "nick": {"type": "string"}},
              "required": ["age"]}
    conv = Conversation(messages=[Message.text("user", "hi")], settings=RequestSettings(
        provider="openai-chat", model="gpt-4o", response_schema=schema))
    assert check(conv).notes == []  # without strict the schema is a hint: nothing refused
    conv.settings.schema_strict = True
    notes = [f.line() for f in check(conv).notes]
    assert notes == [
        "response schema: OpenAI strict schema: $: strict mode needs additionalProperties: false",
        "response schema: OpenAI strict schema: $: strict mode needs every property required "
        "(not: nick); make an optional one nullable instead"]
    conv.settings.provider = "anthropic"
    notes = [f.line() for f in check(conv).notes]
    assert ("response schema: strict: Anthropic has no strict toggle (its structured output "
            "always follows the schema); it is not sent") in notes
    assert ("response schema: Anthropic structured output: $.properties.age: minimum is not "
            "supported") in notes
    conv.settings.provider, conv.settings.schema_strict = "gemini", None
    schema["properties"]["nick"]["uniqueItems"] = True
    assert [f.line() for f in check(conv).notes] == [
        "response schema: Gemini schema: $.properties.nick: uniqueItems is ignored"]


def test_send_lists_every_blocking_problem_one_line_each_and_sends_nothing(loopback, tmp_path):
    conv = anthropic(thinking_budget=2000, temperature=0.5)
    conv.messages.append(Message(role="assistant", parts=[ToolCallPart(name="f",
                                                                       tool_call_id="t")]))
    path = tmp_path / "conv.json"
    save(conv, path)
    result = run_cli("send", str(path), "--base-url", loopback.url,
                     env={**os.environ, "ANTHROPIC_API_KEY": "sk-ant"}, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "llm-composer: error: row 2, part 1: tool call f has no result; add one (Answer Tool "
        "Calls, Ctrl+Shift+T) or remove the call",
        "llm-composer: error: temperature: Anthropic takes no temperature with thinking "
        "(thinking_budget is set); clear one of them"]
    assert loopback.received == []


def test_send_prints_the_notes_before_sending(loopback, tmp_path):
    conv = Conversation(messages=[Message.text("user", "hi"),
                                  Message(role="assistant", parts=[gemini_thought(),
                                                                   *Message.text("assistant",
                                                                                 "yes").parts]),
                                  Message.text("user", "more")],
                        settings=RequestSettings(provider="anthropic", model="claude-x"))
    path = tmp_path / "conv.json"
    save(conv, path)
    loopback.queue(Reply.json({"error": {"type": "overloaded_error", "message": "busy"}},
                              status=400))
    result = run_cli("send", str(path), "--base-url", loopback.url, "--retries", "0",
                     env={**os.environ, "ANTHROPIC_API_KEY": "sk-ant"}, cwd=ROOT)
    lines = result.stderr.splitlines()
    assert lines[0] == "llm-composer: note: row 2, part 1: reasoning from gemini left out"
    assert len(loopback.received) == 1 and lines[-1].startswith("llm-composer: error: 400")
