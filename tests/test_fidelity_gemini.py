"""Gemini wire fidelity (issue 16 item 5): every candidate of a ``candidateCount`` reply is
shown, and tool calls made elsewhere reach Gemini 3 with the documented placeholder signature.

No recording asks for several candidates, so the reply is the documented
``GenerateContentResponse`` shape (ai.google.dev/api/generate-content: ``candidates[]`` each
with ``content``, ``finishReason`` and ``index``; ``generationConfig.candidateCount``); the tool
call history is a recorded Anthropic tool loop (../shared/recordings).
"""

from __future__ import annotations

import json

import pytest

from composer.models.conversation import Conversation
from composer.models.formats.anthropic import from_body as anthropic_body
from composer.models.formats.gemini import PLACEHOLDER_SIGNATURE, to_body
from composer.models.parts import Message, TextPart, ToolCallPart
from composer.models.settings import RequestSettings, Tool
from composer.providers.gemini import PROTOCOL
from tests.cassettes import load
from tests.conftest import recordings_or_skip
from tests.framing import assemble, frames


def _chunk(candidates: list[dict], **extra) -> str:
    return "data: " + json.dumps({"candidates": candidates, "modelVersion": "gemini-2.5-flash",
                                  "responseId": "r1", **extra}) + "\r\n\r\n"


TWO_CANDIDATES = "".join([
    _chunk([{"content": {"parts": [{"text": "Once upon"}], "role": "model"}, "index": 0},
            {"content": {"parts": [{"text": "A long"}], "role": "model"}, "index": 1}]),
    _chunk([{"content": {"parts": [{"text": " a time."}], "role": "model"},
             "finishReason": "STOP", "index": 0},
            {"content": {"parts": [{"text": " time ago."}], "role": "model"},
             "finishReason": "STOP", "index": 1}],
           usageMetadata={"promptTokenCount": 8, "candidatesTokenCount": 12,
                          "totalTokenCount": 20}),
])


def test_every_candidate_is_shown_each_as_its_own_text():
    assembler = assemble(PROTOCOL.new_parser(), frames(TWO_CANDIDATES))
    first, second = assembler.message().parts
    assert first == TextPart(text="Once upon a time.")
    assert second == TextPart(text="A long time ago.",
                              provider_metadata={"gemini": {"candidateIndex": 1}})
    assert assembler.stop_reason == "stop"


def test_only_the_first_candidate_continues_the_conversation():
    reply = assemble(PROTOCOL.new_parser(), frames(TWO_CANDIDATES)).message()
    conversation = Conversation(messages=[Message.text("user", "Tell a story"), reply,
                                          Message.text("user", "Go on")],
                                settings=RequestSettings(provider="gemini",
                                                         model="gemini-2.5-flash"))
    body, losses = to_body(conversation)
    assert body["contents"][1] == {"role": "model", "parts": [{"text": "Once upon a time."}]}
    assert [str(x) for x in losses] == [
        "message 2, part 2: a part of candidate 2 left out: only the first candidate "
        "continues the conversation"]


def _anthropic_tool_loop() -> Conversation:
    recorded = load(recordings_or_skip() / "TestAnthropicCommon/claude-sonnet-4/"
                    "multi_tool_streaming.yaml").interactions
    return anthropic_body(recorded[-1].request_json).conversation


@pytest.mark.parametrize("model, signed", [
    ("gemini-3-pro-preview", True), ("models/gemini-3.1-pro-preview", True),
    ("gemini-2.5-flash", False)])
def test_calls_from_another_provider_reach_gemini_3_with_the_placeholder(model, signed):
    conversation = _anthropic_tool_loop()
    conversation.settings = RequestSettings(provider="gemini", model=model)
    body, losses = to_body(conversation)
    model_turns = [c for c in body["contents"] if c["role"] == "model"
                   and any("functionCall" in p for p in c["parts"])]
    assert model_turns
    for turn in model_turns:
        calls = [p for p in turn["parts"] if "functionCall" in p]
        # the first call of the step carries it; parallel calls after it need none
        assert calls[0].get("thoughtSignature") == (PLACEHOLDER_SIGNATURE if signed else None)
        assert all("thoughtSignature" not in p for p in calls[1:])
    assert any("placeholder" in str(x) for x in losses) == signed


def test_a_real_signature_is_never_replaced():
    call = ToolCallPart(name="get_country", arguments={}, tool_call_id="9d532gc9",
                        provider_metadata={"gemini": {"thoughtSignature": "Et8ECtwEAXLI2ny"}})
    conversation = Conversation(
        messages=[Message.text("user", "Which country?"),
                  Message(role="assistant", parts=[call])],
        settings=RequestSettings(provider="gemini", model="gemini-3-pro-preview"))
    body, losses = to_body(conversation)
    assert body["contents"][1]["parts"][0]["thoughtSignature"] == "Et8ECtwEAXLI2ny"
    assert losses == []


def test_a_custom_tool_is_left_out_for_gemini_with_a_note():
    conversation = Conversation(
        messages=[Message.text("user", "Hi")],
        settings=RequestSettings(provider="gemini", model="gemini-2.5-flash", tools=[
            Tool(name="code_exec", type="custom"), Tool(name="f")]))
    body, losses = to_body(conversation)
    assert [d["name"] for d in body["tools"][0]["functionDeclarations"]] == ["f"]
    assert "custom tool code_exec left out" in str(losses[0])
