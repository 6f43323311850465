"""Chat Completions wire fidelity (issue 16 item 1, issue 8's streamed audio): Mistral's
``thinking`` content chunks and index-less tool calls, and streamed PCM16 audio.

No recording of Mistral or of streamed audio exists in ../shared/recordings, so the bytes are
the shapes the providers document, cited at each test.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import wave

from composer.models.conversation import Conversation
from composer.models.formats.openai_chat import META, detect, from_body, to_body
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool
from composer.providers.openai_chat import PROTOCOL
from tests.framing import assemble, frames

# Mistral's streamed reasoning (docs.mistral.ai "Reasoning"; mistralai/client-python
# examples/mistral/chat/reasoning_with_streaming.py): while thinking, ``delta.content`` is a list
# holding a ThinkChunk ``{"type": "thinking", "thinking": [TextChunk...]}``; the transition
# event may hold the last ThinkChunk and the first TextChunk; after it, plain string fragments.
MISTRAL_REASONING_STREAM = "".join(f"data: {json.dumps(c)}\n\n" for c in [
    {"id": "a6b1", "object": "chat.completion.chunk", "created": 1760000000,
     "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}]},
    {"id": "a6b1", "object": "chat.completion.chunk", "created": 1760000000,
     "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"content": [
         {"type": "thinking", "thinking": [{"type": "text", "text": "17 * 23: 17 * 20 = 340"}]}]},
         "finish_reason": None}]},
    {"id": "a6b1", "object": "chat.completion.chunk", "created": 1760000000,
     "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"content": [
         {"type": "thinking", "thinking": [{"type": "text", "text": ", plus 51 is 391."}]},
         {"type": "text", "text": "17 × 23"}]}, "finish_reason": None}]},
    {"id": "a6b1", "object": "chat.completion.chunk", "created": 1760000000,
     "model": "mistral-medium-3-5",
     "choices": [{"index": 0, "delta": {"content": " = 391."}, "finish_reason": "stop"}],
     "usage": {"prompt_tokens": 12, "total_tokens": 40, "completion_tokens": 28}},
]) + "data: [DONE]\n\n"

# Mistral function calling (docs.mistral.ai "Function calling"): each call arrives whole, with
# its own id and no ``index``; two parallel calls come as two chunks.
MISTRAL_TOOLS_STREAM = "".join(f"data: {json.dumps(c)}\n\n" for c in [
    {"id": "b7c2", "object": "chat.completion.chunk", "model": "mistral-large-latest",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None}]},
    {"id": "b7c2", "object": "chat.completion.chunk", "model": "mistral-large-latest",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"id": "D681PevKs", "function": {"name": "retrieve_payment_status",
                                          "arguments": "{\"transaction_id\": \"T1001\"}"}}]},
         "finish_reason": None}]},
    {"id": "b7c2", "object": "chat.completion.chunk", "model": "mistral-large-latest",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"id": "Qp3mZ9xTe", "function": {"name": "retrieve_payment_date",
                                          "arguments": "{\"transaction_id\": \"T1001\"}"}}]},
         "finish_reason": "tool_calls"}]},
]) + "data: [DONE]\n\n"


def _assemble(body: str):
    return assemble(PROTOCOL.new_parser(), frames(body))


def test_mistral_thinking_chunks_become_one_reasoning_part_before_the_text():
    message = _assemble(MISTRAL_REASONING_STREAM).message()
    reasoning, text = message.parts
    assert isinstance(reasoning, ReasoningPart) and isinstance(text, TextPart)
    assert reasoning.text == "17 * 23: 17 * 20 = 340, plus 51 is 391."
    assert text.text == "17 × 23 = 391."
    assert reasoning.provider_metadata == {META: {"field": "thinking"}}


def test_a_mistral_reasoning_turn_goes_back_as_mistral_documents_it():
    # mistralai/client-python examples/mistral/chat/reasoning_multi_turn.py: "always replay the
    # assistant turn back into messages with its ThinkChunks intact".
    reply = _assemble(MISTRAL_REASONING_STREAM).message()
    conversation = Conversation(
        messages=[Message.text("user", "What is 17 * 23?"), reply,
                  Message.text("user", "Now multiply that by 3.")],
        settings=RequestSettings(provider="openai-chat", model="mistral-medium-3-5"))
    body, losses = to_body(conversation)
    assert not losses
    assert body["messages"][1] == {"role": "assistant", "content": [
        {"type": "thinking",
         "thinking": [{"type": "text", "text": "17 * 23: 17 * 20 = 340, plus 51 is 391."}]},
        {"type": "text", "text": "17 × 23 = 391."}]}


def test_a_mistral_body_with_thinking_imports_and_exports_unchanged():
    body = {"model": "magistral-medium-latest", "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "Greet back."}],
             "closed": True},
            {"type": "text", "text": "Hello!"}]},
        {"role": "user", "content": "Again"}]}
    assert detect(body) >= 0.9
    imported = from_body(body)
    assert not imported.losses
    assert isinstance(imported.conversation.messages[1].parts[0], ReasoningPart)
    assert to_body(imported.conversation)[0] == body


def test_mistral_tool_calls_without_index_are_each_their_own_call():
    message = _assemble(MISTRAL_TOOLS_STREAM).message()
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    assert [(c.name, c.tool_call_id, c.arguments) for c in calls] == [
        ("retrieve_payment_status", "D681PevKs", {"transaction_id": "T1001"}),
        ("retrieve_payment_date", "Qp3mZ9xTe", {"transaction_id": "T1001"})]
    conversation = Conversation(messages=[
        Message.text("user", "Status and date of T1001?"), message,
        Message(role="tool", parts=[ToolResultPart(name=c.name, tool_call_id=c.tool_call_id,
                                                   output="ok") for c in calls])],
        settings=RequestSettings(provider="openai-chat", model="mistral-large-latest"))
    body, _ = to_body(conversation)
    assert [c["id"] for c in body["messages"][1]["tool_calls"]] == ["D681PevKs", "Qp3mZ9xTe"]
    assert [m["tool_call_id"] for m in body["messages"][2:]] == ["D681PevKs", "Qp3mZ9xTe"]


# -- streamed audio --------------------------------------------------------------------------


def _pcm16(samples: int) -> bytes:
    """A 440 Hz tone as 24 kHz mono PCM16, the format streamed Chat audio comes in."""
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 24000)))
                    for i in range(samples))


def _audio_stream(pcm: bytes, chunk: int) -> str:
    # OpenAI audio guide ("Streaming": stream=true needs audio.format "pcm16"); the deltas carry
    # delta.audio {id, data (base64 of this chunk's bytes), transcript, expires_at}.
    events = [{"id": "chatcmpl-A1", "object": "chat.completion.chunk", "model": "gpt-4o-audio",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": None,
                                                  "audio": {"id": "audio_abc",
                                                            "transcript": "Hello"}},
                            "finish_reason": None}]}]
    for start in range(0, len(pcm), chunk):
        data = base64.b64encode(pcm[start:start + chunk]).decode()
        events.append({"id": "chatcmpl-A1", "object": "chat.completion.chunk",
                       "model": "gpt-4o-audio", "choices": [{"index": 0, "delta": {
                           "audio": {"data": data}}, "finish_reason": None}]})
    events.append({"id": "chatcmpl-A1", "object": "chat.completion.chunk",
                   "model": "gpt-4o-audio",
                   "choices": [{"index": 0, "delta": {"audio": {"expires_at": 1760000000}},
                                "finish_reason": "stop"}]})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def test_streamed_audio_chunks_join_as_bytes_into_a_playable_24khz_wav():
    pcm = _pcm16(8022)  # 16,044 bytes in chunks of 4,000: the case that lost three quarters
    message = _assemble(_audio_stream(pcm, 4000)).message()
    audio = next(p for p in message.parts if isinstance(p, AttachmentPart))
    assert audio.attachment.type == "audio/wav"
    with wave.open(io.BytesIO(base64.b64decode(audio.attachment.content))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert wav.readframes(wav.getnframes()) == pcm
    assert audio.provider_metadata[META]["audio"]["source_format"] == "pcm16"
    assert message.parts[0] == TextPart(text="Hello")


def test_mistral_reasoning_is_left_out_with_a_note_for_a_server_that_rejects_it():
    reply = _assemble(MISTRAL_REASONING_STREAM).message()
    conversation = Conversation(
        messages=[Message.text("user", "What is 17 * 23?"), reply,
                  Message.text("user", "Now multiply that by 3.")],
        settings=RequestSettings(provider="openai-chat", model="gpt-4o"))
    request = PROTOCOL.build_request(conversation, base_url="https://api.openai.com/v1",
                                     api_key="k")
    assert request.body["messages"][1] == {"role": "assistant", "content": "17 × 23 = 391."}
    assert any("Mistral reasoning left out: api.openai.com" in n for n in request.notes)
    mistral = PROTOCOL.build_request(conversation, base_url="https://api.mistral.ai/v1",
                                     api_key="k")
    assert mistral.body["messages"][1]["content"][0]["type"] == "thinking"


# OpenAI Chat Completions custom tools (API reference, "Create chat completion": tools[] of
# {"type": "custom", "custom": {name, description, format}}; a reply's tool_calls[] of
# {"id", "type": "custom", "custom": {"name", "input"}}).
CUSTOM_CALL_STREAM = "".join(f"data: {json.dumps(c)}\n\n" for c in [
    {"id": "chatcmpl-C1", "object": "chat.completion.chunk", "model": "gpt-5",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [
         {"index": 0, "id": "call_Q1", "type": "custom",
          "custom": {"name": "code_exec", "input": "print(\"hello"}}]}, "finish_reason": None}]},
    {"id": "chatcmpl-C1", "object": "chat.completion.chunk", "model": "gpt-5",
     "choices": [{"index": 0, "delta": {"tool_calls": [
         {"index": 0, "custom": {"input": " world\")"}}]}, "finish_reason": None}]},
    {"id": "chatcmpl-C1", "object": "chat.completion.chunk", "model": "gpt-5",
     "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
]) + "data: [DONE]\n\n"


def test_a_chat_custom_tool_call_reads_and_goes_back_as_custom():
    reply = _assemble(CUSTOM_CALL_STREAM).message()
    (call,) = reply.parts
    assert (call.name, call.tool_call_id, call.arguments) == (
        "code_exec", "call_Q1", {"input": "print(\"hello world\")"})
    tool = Tool(name="code_exec", type="custom", description="Runs Python")
    conversation = Conversation(
        messages=[Message.text("user", "Print hello world"), reply,
                  Message(role="tool", parts=[ToolResultPart(
                      name="code_exec", tool_call_id="call_Q1", output="hello world")])],
        settings=RequestSettings(provider="openai-chat", model="gpt-5", tools=[tool]))
    body, losses = to_body(conversation)
    assert losses == []
    assert body["tools"] == [{"type": "custom", "custom": {"name": "code_exec",
                                                           "description": "Runs Python"}}]
    assert body["messages"][1]["tool_calls"] == [
        {"id": "call_Q1", "type": "custom",
         "custom": {"name": "code_exec", "input": "print(\"hello world\")"}}]
    again = from_body(body)
    assert not again.losses and to_body(again.conversation)[0] == body
