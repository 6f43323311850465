"""Responses wire fidelity (issue 16 items 2, 3, 4 and 6): servers that rotate item ids,
client-run tools (custom, apply_patch, shell, local_shell, client tool_search), ``strict`` on
function tools and ``detail`` on images, image generation and audio events.

Real bytes: the rotating-id stream is a recorded OpenAI stream (../shared/recordings) with its
ids rotated the way those servers do; the rest are the examples of OpenAI's API reference and
guides (no recording has them), cited at each test.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import wave

import pytest

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats.openai_responses import from_body, to_body
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool
from composer.providers.openai_responses import PROTOCOL, parse_response
from tests.cassettes import load
from tests.conftest import recordings_or_skip
from tests.framing import assemble, assemble_events, frames

THINKING = "TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/thinking-streaming.yaml"


def sse(events: list[dict]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def payloads(body: str) -> list[dict]:
    return [json.loads(f.data) for f in frames(body)]


def rotate_ids(body: str) -> str:
    """The recorded stream as some Responses-compatible servers send it: every event of an
    output item names it by a new id."""
    out = []
    for seq, event in enumerate(payloads(body)):
        if isinstance(event.get("item_id"), str):
            event["item_id"] = f"{event['item_id']}-{seq}"
        item = event.get("item")
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            item["id"] = f"{item['id']}-{seq}"
        out.append(event)
    return sse(out)


def _assemble(body: str):
    return assemble(PROTOCOL.new_parser(), frames(body))


def conv(*messages: Message, **settings) -> Conversation:
    return Conversation(messages=list(messages),
                        settings=RequestSettings(provider="openai-responses", model="gpt-5",
                                                 **settings))


# -- item 2: rotating item ids -----------------------------------------------------------------


@pytest.mark.parametrize("turn", [0, 1])
def test_a_stream_that_rotates_item_ids_gives_each_item_once(turn):
    recorded = load(recordings_or_skip() / THINKING).interactions[turn].response_body
    rotated = rotate_ids(recorded)
    done = [e["item"] for e in payloads(rotated) if e["type"] == "response.output_item.done"]
    message = _assemble(rotated).message()
    assert len(message.parts) == len(done)  # not twice: deltas and final item are one part
    for part, item in zip(message.parts, done, strict=True):
        if item["type"] == "reasoning":
            assert isinstance(part, ReasoningPart)
            assert part.text == "\n\n".join(s["text"] for s in item["summary"])
            # the final item confirms: its (last) id and encrypted content are kept for replay
            assert part.provider_metadata["openai"]["id"] == item["id"]
            assert part.provider_metadata["openai"]["encrypted_content"] == \
                item["encrypted_content"]
        elif item["type"] == "message":
            assert part == TextPart(text=item["content"][0]["text"],
                                    provider_metadata={"openai": {"id": item["id"]}})
        else:
            assert (part.name, part.tool_call_id) == (item["name"], item["call_id"])
            assert part.arguments == json.loads(item["arguments"])


# -- item 3: client-run tools ------------------------------------------------------------------

# OpenAI function-calling guide, "Custom tools": the tool {"type": "custom", "name":
# "code_exec", "description": "Executes arbitrary Python code."}, its reply items, and the
# streamed input (API reference: response.custom_tool_call_input.delta / .done).
CTC = {"id": "ctc_6890e975e86c819c9338825b3e1994810694874912ae0ea6",
       "type": "custom_tool_call", "status": "completed",
       "call_id": "call_aGiFQkRWSWAIsMQ19fKqxUgb", "input": "print(\"hello world\")",
       "name": "code_exec"}
CUSTOM_STREAM = sse([
    {"type": "response.created", "sequence_number": 0,
     "response": {"id": "resp_6890e972", "model": "gpt-5", "status": "in_progress",
                  "output": []}},
    {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
     "item": {**CTC, "status": "in_progress", "input": ""}},
    {"type": "response.custom_tool_call_input.delta", "sequence_number": 2, "output_index": 0,
     "item_id": CTC["id"], "delta": "print(\"hello"},
    {"type": "response.custom_tool_call_input.delta", "sequence_number": 3, "output_index": 0,
     "item_id": CTC["id"], "delta": " world\")"},
    {"type": "response.custom_tool_call_input.done", "sequence_number": 4, "output_index": 0,
     "item_id": CTC["id"], "input": CTC["input"]},
    {"type": "response.output_item.done", "sequence_number": 5, "output_index": 0,
     "item": CTC},
    {"type": "response.completed", "sequence_number": 6,
     "response": {"id": "resp_6890e972", "status": "completed", "output": [CTC],
                  "usage": {"input_tokens": 20, "output_tokens": 30, "total_tokens": 50}}},
])
CUSTOM_TOOL = {"type": "custom", "name": "code_exec",
               "description": "Executes arbitrary Python code."}


def test_a_custom_tool_call_is_a_call_the_user_answers_with_its_name_and_input():
    assembler = _assemble(CUSTOM_STREAM)
    (call,) = assembler.message().parts
    assert isinstance(call, ToolCallPart) and not call.server_executed
    assert (call.name, call.tool_call_id) == ("code_exec", CTC["call_id"])
    assert call.arguments == {"input": "print(\"hello world\")"}
    assert assembler.stop_reason == "tool_calls"


def test_a_custom_tool_call_and_its_answer_go_back_as_custom_items():
    call = _assemble(CUSTOM_STREAM).message()
    answer = Message(role="tool", parts=[ToolResultPart(
        name="code_exec", tool_call_id=CTC["call_id"], output="hello world\n")])
    tool = Tool(**CUSTOM_TOOL)
    body, losses = to_body(conv(Message.text("user", "Use the code_exec tool to print hello "
                                                     "world to the console."),
                                call, answer, tools=[tool]))
    assert losses == []
    assert body["input"][1:] == [
        {"type": "custom_tool_call", "status": "completed", "call_id": CTC["call_id"],
         "input": CTC["input"], "name": "code_exec"},
        {"type": "custom_tool_call_output", "call_id": CTC["call_id"],
         "output": "hello world\n"}]
    assert body["tools"] == [CUSTOM_TOOL]  # no parameters, no strict: a free-form tool


# OpenAI apply_patch tool guide: the apply_patch_call the model emits and the
# apply_patch_call_output the client answers with.
APPLY_PATCH = {"type": "apply_patch_call",
               "id": "apc_08f3d96c87a585390069118b594f7481a088b16cda7d9415fe",
               "call_id": "call_Rjsqzz96C5xzPb0jUWJFRTNW", "status": "completed",
               "operation": {"type": "update_file", "path": "lib/fib.py",
                             "diff": "@@\n-def fib(n):\n+def fibonacci(n):\n"}}
# OpenAI shell tool guide: shell_call with commands, answered by shell_call_output entries.
SHELL = {"type": "shell_call", "id": "sh_67ccf18f64008190a39b619f4c8455ef087f80e8bd44ecc1",
         "call_id": "call_shell_1", "status": "in_progress",
         "action": {"commands": ["ls -l"], "timeout_ms": 120000, "max_output_length": 4096}}
# OpenAI local shell guide / openai-python LocalShellCall and LocalShellCallOutput (whose
# ``id`` names the call).
LOCAL_SHELL = {"type": "local_shell_call", "id": "lsh_683f2c21f0a88190a27c0c2c9fe1b6a6",
               "call_id": "call_lsh_1", "status": "completed",
               "action": {"type": "exec", "command": ["ls", "-la"], "env": {}}}
# openai-python ToolSearchCall: execution "client" is the client's to run.
TOOL_SEARCH = {"type": "tool_search_call", "id": "ts_1", "call_id": "call_ts_1",
               "execution": "client", "status": "completed",
               "arguments": {"query": "weather"}}


@pytest.mark.parametrize("item, name, arguments, answer, expected", [
    (APPLY_PATCH, "apply_patch", APPLY_PATCH["operation"], "Updated lib/fib.py",
     {"type": "apply_patch_call_output", "call_id": APPLY_PATCH["call_id"],
      "status": "completed", "output": "Updated lib/fib.py"}),
    (SHELL, "shell", SHELL["action"], "total 0\n",
     {"type": "shell_call_output", "call_id": "call_shell_1",
      "output": [{"stdout": "total 0\n", "stderr": "",
                  "outcome": {"type": "exit", "exit_code": 0}}]}),
    (LOCAL_SHELL, "local_shell", LOCAL_SHELL["action"], "total 0\n",
     {"type": "local_shell_call_output", "id": "call_lsh_1", "output": "total 0\n"}),
    (TOOL_SEARCH, "tool_search", TOOL_SEARCH["arguments"],
     json.dumps([{"type": "function", "name": "weather", "parameters": {"type": "object"}}]),
     {"type": "tool_search_output", "call_id": "call_ts_1", "execution": "client",
      "tools": [{"type": "function", "name": "weather", "parameters": {"type": "object"}}]}),
])
def test_client_run_tools_are_answered_with_their_own_output_items(item, name, arguments,
                                                                    answer, expected):
    reply = parse_response({"id": "resp_1", "status": "completed", "output": [item]})
    assembler = assemble_events(reply)
    (call,) = assembler.message().parts
    assert isinstance(call, ToolCallPart) and not call.server_executed
    assert (call.name, call.tool_call_id, call.arguments) == (name, item["call_id"], arguments)
    assert assembler.stop_reason == "tool_calls"
    result = ToolResultPart(name=name, tool_call_id=item["call_id"], output=answer)
    body, losses = to_body(conv(Message.text("user", "Go"), assembler.message(),
                                Message(role="tool", parts=[result])))
    assert losses == []
    sent = {k: v for k, v in item.items() if k != "id"}
    assert body["input"][1:] == [sent, expected]
    # and a body holding both imports and exports unchanged
    again = from_body({"model": "gpt-5", "input": body["input"]})
    assert not [x for x in again.losses if x.dropped]
    assert to_body(again.conversation)[0]["input"] == body["input"]


def test_a_server_run_tool_search_stays_server_side():
    item = {**TOOL_SEARCH, "execution": "server"}
    (call,) = Conversation(messages=[_message(item)]).messages[0].parts
    assert call.server_executed


def _message(item: dict) -> Message:
    return assemble_events(parse_response({"id": "r", "status": "completed",
                                            "output": [item]})).message()


# -- item 4: strict and detail -----------------------------------------------------------------


def test_function_tools_carry_strict_false_unless_the_tool_says_true():
    # The recorded OpenAI client sends "strict": false explicitly (recording's request body).
    recorded = load(recordings_or_skip() / THINKING).interactions[0].request_json
    assert recorded["tools"][0]["strict"] is False
    tools = [Tool(name="weather", parameters={"type": "object"}),
             Tool(name="exact", parameters={"type": "object"}, strict=True)]
    body, _ = to_body(conv(Message.text("user", "Hi"), tools=tools))
    assert [t["strict"] for t in body["tools"]] == [False, True]


def test_input_images_carry_their_detail():
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 8).decode()
    user = Message(role="user", parts=[
        AttachmentPart(attachment=Attachment(type="image/png", content=png)),
        AttachmentPart(attachment=Attachment(type="image/png", content=png),
                       provider_metadata={"openai-chat": {"image_url": {"detail": "low"}}}),
        AttachmentPart(attachment=Attachment(type="image/png", content=png),
                       provider_metadata={"openai": {"detail": "high"}})])
    body, _ = to_body(conv(user))
    assert [c["detail"] for c in body["input"][0]["content"]] == ["auto", "low", "high"]


# -- item 6: image generation and audio events -------------------------------------------------

# A real 1x1 PNG, for the documented events' base64 fields.
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAA"
           "AABJRU5ErkJggg==")


def test_image_generation_partial_images_then_the_final_image():
    # API reference, "response.image_generation_call.partial_image" and the
    # image_generation_call output item (guide "Image generation", streaming).
    events = [
        {"type": "response.created", "sequence_number": 0,
         "response": {"id": "resp_img", "model": "gpt-5", "output": []}},
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
         "item": {"type": "image_generation_call", "id": "ig_123", "status": "in_progress"}},
        {"type": "response.image_generation_call.in_progress", "output_index": 0,
         "item_id": "ig_123", "sequence_number": 2},
        {"type": "response.image_generation_call.generating", "output_index": 0,
         "item_id": "ig_123", "sequence_number": 3},
        {"type": "response.image_generation_call.partial_image", "output_index": 0,
         "item_id": "ig_123", "sequence_number": 4, "partial_image_index": 0,
         "partial_image_b64": PNG_1PX[:-4] + "AAA=", "output_format": "png"},
        {"type": "response.image_generation_call.partial_image", "output_index": 0,
         "item_id": "ig_123", "sequence_number": 5, "partial_image_index": 1,
         "partial_image_b64": PNG_1PX, "output_format": "png"},
        {"type": "response.image_generation_call.completed", "output_index": 0,
         "item_id": "ig_123", "sequence_number": 6},
        {"type": "response.output_item.done", "sequence_number": 7, "output_index": 0,
         "item": {"type": "image_generation_call", "id": "ig_123", "status": "completed",
                  "output_format": "png", "result": PNG_1PX}},
        {"type": "response.completed", "sequence_number": 8,
         "response": {"id": "resp_img", "status": "completed", "output": []}},
    ]
    (image,) = _assemble(sse(events)).message().parts
    assert image.attachment == Attachment(type="image/png", content=PNG_1PX)
    assert image.provider_metadata["openai"]["item"]["id"] == "ig_123"


def test_audio_deltas_join_as_bytes_and_the_transcript_is_text():
    # API reference, "response.audio.delta" (a chunk of base64 audio bytes) and
    # "response.audio.transcript.delta"; the audio is PCM16 at 24 kHz as on Chat Completions.
    pcm = b"".join(struct.pack("<h", int(6000 * math.sin(i / 5))) for i in range(3000))
    events = [{"type": "response.created", "sequence_number": 0,
               "response": {"id": "resp_a", "output": []}}]
    for n, start in enumerate(range(0, len(pcm), 1000)):
        events.append({"type": "response.audio.delta", "sequence_number": n + 1,
                       "response_id": "resp_a",
                       "delta": base64.b64encode(pcm[start:start + 1000]).decode()})
    events += [
        {"type": "response.audio.transcript.delta", "sequence_number": 20,
         "response_id": "resp_a", "delta": "Hello"},
        {"type": "response.audio.transcript.done", "sequence_number": 21,
         "response_id": "resp_a"},
        {"type": "response.audio.done", "sequence_number": 22, "response_id": "resp_a"},
        {"type": "response.completed", "sequence_number": 23,
         "response": {"id": "resp_a", "status": "completed", "output": []}}]
    parts = _assemble(sse(events)).message().parts
    assert parts[0] == TextPart(text="Hello")
    audio = parts[1]
    assert audio.attachment.type == "audio/wav"
    with wave.open(io.BytesIO(base64.b64decode(audio.attachment.content))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert wav.readframes(wav.getnframes()) == pcm


def test_a_named_custom_tool_choice_says_custom():
    tool = Tool(**CUSTOM_TOOL)
    body, _ = to_body(conv(Message.text("user", "Hi"), tools=[tool],
                           tool_choice={"name": "code_exec"}))
    assert body["tool_choice"] == {"type": "custom", "name": "code_exec"}


def test_an_item_whose_type_is_not_a_string_is_no_crash():
    events = [{"type": "response.output_item.added", "output_index": 0,
               "item": {"type": ["custom_tool_call"], "id": "x"}},
              {"type": "response.output_item.done", "output_index": 0,
               "item": {"type": {"a": 1}, "id": "x"}},
              {"type": "response.completed", "response": {"status": "completed"}}]
    assembler = _assemble(sse(events))
    assert assembler.error is None
