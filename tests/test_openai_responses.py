"""The openai-responses format (import/export/detect) and protocol (request, parser, errors)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.models.assembler import Assembler
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.events import Finish, StreamError
from composer.models.formats import openai_responses as fmt
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool
from composer.providers.base import Frame, RequestRefused
from composer.providers.openai_responses import PROTOCOL
from tests.trials import examples

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()

RICH_BODY: dict[str, Any] = {
    "model": "gpt-5",
    "instructions": "You are terse.",
    "input": [
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": [
            {"type": "input_text", "text": "What is in these?"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}",
             "detail": "high"},
            {"type": "input_image", "image_url": "https://example.com/cat.jpg",
             "detail": "auto"},
            {"type": "input_file", "filename": "report.pdf",
             "file_data": f"data:application/pdf;base64,{PDF}"},
            {"type": "input_file", "file_url": "https://example.com/x.pdf"},
        ]},
        {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAA-secret",
         "summary": [{"type": "summary_text", "text": "**Plan**\n\nLook."},
                     {"type": "summary_text", "text": "Then answer."}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "db_lookup",
         "arguments": "{\"key\":\"start\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": [
            {"type": "input_text", "text": "a chart"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}",
             "detail": "auto"}]},
        {"type": "reasoning", "id": "rs_2", "encrypted_content": "gAAAA-two", "summary": []},
        {"type": "web_search_call", "id": "ws_1", "status": "completed",
         "action": {"type": "search", "query": "tokyo"}},
        {"type": "message", "id": "msg_1", "role": "assistant", "content": [
            {"type": "output_text", "text": "Voici.", "annotations": [
                {"type": "url_citation", "url": "https://a.example", "title": "A",
                 "start_index": 0, "end_index": 5}]}]},
        {"type": "image_generation_call", "id": "ig_1", "status": "completed",
         "result": PNG},
        {"role": "user", "content": [{"type": "input_text", "text": "Thanks"}]},
    ],
    "tools": [
        {"type": "function", "name": "db_lookup", "description": "Look a key up",
         "parameters": {"type": "object", "properties": {"key": {"type": "string"}},
                        "required": ["key"]}, "strict": True},
        {"type": "web_search"},
    ],
    "tool_choice": {"type": "function", "name": "db_lookup"},
    "text": {"format": {"type": "json_schema", "name": "Book", "strict": True,
                        "schema": {"type": "object", "properties": {}}},
             "verbosity": "low"},
    "reasoning": {"effort": "low", "summary": "detailed"},
    "temperature": 0.5,
    "top_p": 0.9,
    "max_output_tokens": 300,
    "parallel_tool_calls": False,
    "store": False,
    "include": ["reasoning.encrypted_content"],
}


def conv(*messages: Message, **settings: Any) -> Conversation:
    return Conversation(messages=list(messages),
                        settings=RequestSettings(provider="openai-responses", model="gpt-5",
                                                 **settings))


# -- import and export -------------------------------------------------------------------------

def test_rich_body_imports_to_neutral_settings_and_typed_parts():
    imported = fmt.from_body(RICH_BODY, "body.json")
    c = imported.conversation
    assert imported.losses == []
    s = c.settings
    assert s.model == "gpt-5"
    assert s.options == {"temperature": 0.5, "top_p": 0.9, "max_tokens": 300,
                         "reasoning_effort": "low"}
    assert s.tools[0].name == "db_lookup" and s.tools[0].model_extra == {"strict": True}
    assert s.tool_choice == {"name": "db_lookup"}
    assert s.response_schema == {"type": "object", "properties": {}}
    assert s.extra_body["tools"] == [{"type": "web_search"}]
    assert s.extra_body["parallel_tool_calls"] is False
    assert [m.role for m in c.messages] == ["system", "system", "user", "assistant", "tool",
                                            "assistant", "user"]
    assert c.messages[0].provider_metadata == {"openai": {"placement": "instructions"}}
    assert c.messages[1].provider_metadata == {"openai": {"role": "developer"}}
    user = c.messages[2]
    assert [a.kind for a in user.attachments] == ["image", "image", "pdf", "pdf"]
    assert user.attachments[2].display_name == "report.pdf"
    assert user.parts[1].provider_metadata == {"openai": {"detail": "high"}}
    reasoning = c.messages[3].parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text == "**Plan**\n\nLook.\n\nThen answer."
    assert reasoning.provider_metadata["openai"]["encrypted_content"] == "gAAAA-secret"
    call = c.messages[3].parts[1]
    assert (call.name, call.tool_call_id, call.arguments) == ("db_lookup", "call_1",
                                                              {"key": "start"})
    result = c.messages[4].parts[0]
    assert isinstance(result, ToolResultPart)
    assert (result.name, result.output, result.attachments[0].kind) == ("db_lookup", "a chart",
                                                                       "image")
    later = c.messages[5].parts
    assert [p.type for p in later] == ["reasoning", "tool_call", "text", "attachment"]
    assert later[1].server_executed and later[1].name == "web_search"
    assert later[2].citations[0].url == "https://a.example"
    assert later[3].attachment.content == PNG


def test_rich_body_round_trips_exactly():
    imported = fmt.from_body(json.loads(json.dumps(RICH_BODY)))
    body, losses = fmt.to_body(imported.conversation)
    assert [x for x in losses if x.dropped] == []
    assert body == RICH_BODY


def test_composed_conversation_exports_every_attachment_kind(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("line one\nline two\n")
    user = Message(role="user", parts=[
        TextPart(text="Look"),
        AttachmentPart(attachment=Attachment.from_bytes(base64.b64decode(PNG), name="a.png")),
        AttachmentPart(attachment=Attachment(type="application/pdf", content=PDF)),
        AttachmentPart(attachment=Attachment.from_path(notes)),
        AttachmentPart(attachment=Attachment(type="image/jpeg", url="https://x.example/i.jpg")),
    ])
    body, losses = fmt.to_body(conv(Message.text("system", "Be brief."), user))
    assert body["input"][0] == {"role": "system", "content": "Be brief."}
    content = body["input"][1]["content"]
    assert content[0] == {"type": "input_text", "text": "Look"}
    # input_image.detail is required by the API: "auto" when nothing else was said.
    assert content[1] == {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}",
                          "detail": "auto"}
    assert content[2] == {"type": "input_file", "filename": "attachment.pdf",
                          "file_data": f"data:application/pdf;base64,{PDF}"}
    assert content[3] == {"type": "input_text", "text": "line one\nline two\n"}
    assert content[4] == {"type": "input_image", "image_url": "https://x.example/i.jpg",
                          "detail": "auto"}
    assert [str(x) for x in losses] == [
        "message 2, part 4: text file notes.txt sent inline as text"]


def test_tool_loop_exports_calls_results_and_schema():
    c = conv(Message.text("user", "2+3?"),
             Message(role="assistant", parts=[
                 ToolCallPart(name="add", arguments={"a": 2, "b": 3}, tool_call_id="call_9",
                              provider_metadata={"openai": {"id": "fc_9"}})]),
             Message(role="tool", parts=[ToolResultPart(name="add", output="5",
                                                        tool_call_id="call_9")]),
             tools=[Tool(name="add", parameters={"type": "object"})], tool_choice="required",
             response_schema={"type": "object"}, options={"max_tokens": 50})
    body, losses = fmt.to_body(c)
    assert losses == []
    # No reasoning replayed in that message, so the fc_ id stays home (the API would ask for
    # the reasoning item it belonged to).
    assert body["input"][1] == {"type": "function_call", "call_id": "call_9", "name": "add",
                                "arguments": "{\"a\":2,\"b\":3}"}
    assert body["input"][2] == {"type": "function_call_output", "call_id": "call_9",
                                "output": "5"}
    assert body["tools"] == [{"type": "function", "name": "add",
                              "parameters": {"type": "object"}, "strict": False}]
    assert body["tool_choice"] == "required"
    assert body["text"] == {"format": {"type": "json_schema", "name": "response",
                                       "schema": {"type": "object"}}}
    assert body["max_output_tokens"] == 50


def test_reasoning_replayed_verbatim_and_foreign_reasoning_stripped_with_note():
    ours = ReasoningPart(text="thought", provider_metadata={
        "openai": {"id": "rs_7", "encrypted_content": "gAAA-7"}})
    theirs = ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "sig"}})
    call = ToolCallPart(name="f", tool_call_id="call_7", provider_metadata={
        "openai": {"id": "fc_7"}})
    body, losses = fmt.to_body(conv(Message.text("user", "q"),
                                    Message(role="assistant", parts=[theirs, ours, call])))
    assert body["input"][1] == {"type": "reasoning", "id": "rs_7",
                                "encrypted_content": "gAAA-7",
                                "summary": [{"type": "summary_text", "text": "thought"}]}
    assert body["input"][2]["id"] == "fc_7"
    assert len(losses) == 1 and not losses[0].dropped
    assert (losses[0].message_index, losses[0].part_index) == (1, 0)
    assert "anthropic" in losses[0].problem


def test_extra_body_merges_last_recursively():
    c = conv(Message.text("user", "hi"), options={"reasoning_effort": "high"},
             tools=[Tool(name="f")],
             extra_body={"reasoning": {"summary": None}, "tools": [{"type": "web_search"}],
                         "service_tier": "flex"})
    body, _ = fmt.to_body(c)
    assert body["reasoning"] == {"effort": "high"}
    assert [t["type"] for t in body["tools"]] == ["function", "web_search"]
    assert body["service_tier"] == "flex"


def test_bare_input_array_imports():
    imported = fmt.from_body([{"role": "user", "content": [{"type": "input_text",
                                                           "text": "hi"}]}])
    assert imported.conversation.messages == [Message.text("user", "hi")]


def test_unknown_content_part_is_a_dropped_loss_naming_message_and_part():
    imported = fmt.from_body({"model": "m", "input": [
        {"role": "user", "content": "a"},
        {"role": "user", "content": [{"type": "input_text", "text": "b"},
                                     {"type": "input_hologram"}]}]})
    (loss,) = imported.losses
    assert loss.dropped and (loss.message_index, loss.part_index) == (1, 1)
    assert "input_hologram" in str(loss)


# -- detection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, mine", [
    (RICH_BODY, True),
    ({"model": "gpt-5", "input": "hello"}, True),
    ([{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}], True),
    ([{"role": "user", "content": [{"type": "input_text", "text": "x"}]}], True),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, False),
    ([{"role": "user", "content": "hi"}], False),
    ([{"role": "user", "content": [{"type": "text", "text": "hi"}]}], False),
    ({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, False),
    ({"messages": [], "settings": {}, "composer": {"kind": "conversation"}}, False),
    ("input", False),
    (None, False),
])
def test_detect_claims_only_responses_shapes(data, mine):
    score = fmt.detect(data)
    assert (score > 0.5) is mine
    if not mine:
        assert score == 0


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, location", [
    ({"model": "m"}, "$.input"),
    ({"model": 5, "input": []}, "$.model"),
    ({"input": [5]}, "$.input[0]"),
    ({"input": [{"role": "wizard", "content": "x"}]}, "$.input[0].role"),
    ({"input": [{"role": "user", "content": 7}]}, "$.input[0].content"),
    ({"input": [{"role": "user", "content": [{"type": "input_text", "text": 1}]}]},
     "$.input[0].content[0].text"),
    ({"input": [{"role": "user", "content": [{"type": "input_image"}]}]},
     "$.input[0].content[0]"),
    ({"input": [{"type": "function_call", "name": "f"}]}, "$.input[0].call_id"),
    ({"input": [], "tools": [{"type": "function"}]}, "$.tools[0].name"),
    ({"input": [], "temperature": "hot"}, "$.temperature"),
    ([{"type": "function_call_output", "call_id": 3}], "$[0].call_id"),
    (42, "$"),
])
def test_bad_input_is_one_format_error_with_location(data, location):
    with pytest.raises(FormatError) as info:
        fmt.FORMAT.load(data, "in.json")
    assert info.value.location == location
    assert info.value.source == "in.json"
    assert "\n" not in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "role", "content", "input", "text", "call_id", "name",
                         "arguments", "output", "summary", "image_url", "file_data", "model",
                         "tools", "reasoning", "instructions", "id", "parameters"]),
        inner, max_size=5),
    max_leaves=20)


def _never_anything_but_format_error(value: Any) -> None:
    try:
        result = fmt.FORMAT.load(value, "x.json")
    except FormatError:
        return
    fmt.to_body(result.conversation)  # whatever imports also exports


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_json_gives_a_conversation_or_one_format_error(value):
    _never_anything_but_format_error(value)


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_mangled_real_bodies_give_a_conversation_or_one_format_error(data):
    body = json.loads(json.dumps(RICH_BODY))
    items = body["input"]
    index = data.draw(st.integers(0, len(items) - 1))
    item = items[index]
    key = data.draw(st.sampled_from(sorted(item)))
    item[key] = data.draw(json_values)
    _never_anything_but_format_error(body)
    _never_anything_but_format_error(json.dumps(body)[: data.draw(st.integers(0, 200))])


# -- the request -------------------------------------------------------------------------------

def test_build_request_url_headers_stream_and_stateless_reasoning():
    reasoning = ReasoningPart(text="", provider_metadata={
        "openai": {"id": "rs_1", "encrypted_content": "gAAA"}})
    c = conv(Message.text("user", "q"), Message(role="assistant", parts=[reasoning]),
             Message.text("user", "again"), headers={"OpenAI-Project": "proj_1"})
    request = PROTOCOL.build_request(c, base_url="https://api.openai.com/v1/",
                                     api_key="sk-secret")
    assert (request.method, request.url) == ("POST", "https://api.openai.com/v1/responses")
    assert request.headers["authorization"] == "Bearer sk-secret"
    assert request.headers["OpenAI-Project"] == "proj_1"
    assert request.redacted().headers["authorization"] == "<redacted>"
    assert "sk-secret" not in request.redacted().curl("OPENAI_API_KEY")
    assert request.body["stream"] is True
    assert request.body["store"] is False
    assert request.body["include"] == ["reasoning.encrypted_content"]
    assert request.body["input"][1]["encrypted_content"] == "gAAA"


def test_build_request_without_reasoning_leaves_store_alone():
    request = PROTOCOL.build_request(conv(Message.text("user", "hi")), base_url="http://h/v1",
                                     api_key=None)
    assert "store" not in request.body and "include" not in request.body
    assert "authorization" not in request.headers


def test_build_request_refuses_audio_naming_row_and_part():
    audio = AttachmentPart(attachment=Attachment(type="audio/wav", content="UklGRg=="))
    c = conv(Message.text("system", "s"), Message(role="user", parts=[TextPart(text="hear"),
                                                                       audio]))
    with pytest.raises(RequestRefused) as info:
        PROTOCOL.build_request(c, base_url="http://h/v1", api_key="k")
    assert (info.value.message_index, info.value.part_index) == (1, 1)
    assert str(info.value).startswith("row 2, part 2:")
    assert "audio" in str(info.value)


@pytest.mark.parametrize("option", ["stop", "seed", "thinking_budget"])
def test_build_request_refuses_options_the_protocol_lacks(option):
    c = conv(Message.text("user", "hi"), options={option: 1})
    with pytest.raises(RequestRefused, match=option):
        PROTOCOL.build_request(c, base_url="http://h/v1", api_key="k")


def test_build_request_puts_notes_in_the_request():
    theirs = ReasoningPart(text="hmm", provider_metadata={"gemini": {"thoughtSignature": "x"}})
    c = conv(Message.text("user", "q"), Message(role="assistant", parts=[
        theirs, TextPart(text="a")]), Message.text("user", "more"))
    request = PROTOCOL.build_request(c, base_url="http://h/v1", api_key="k")
    assert len(request.notes) == 1 and request.notes[0].startswith("message 2, part 1:")
    assert all(i.get("type") != "reasoning" for i in request.body["input"])


def test_azure_base_url_sends_the_key_as_api_key():
    request = PROTOCOL.build_request(conv(Message.text("user", "hi")),
                                     base_url="https://res.openai.azure.com/openai/v1",
                                     api_key="az-key")
    assert request.url == "https://res.openai.azure.com/openai/v1/responses"
    assert request.headers["api-key"] == "az-key" and "authorization" not in request.headers
    assert request.redacted().headers["api-key"] == "<redacted>"


def test_models_request_and_parse():
    request = PROTOCOL.models_request(base_url="http://h/v1", api_key="k")
    assert (request.method, request.url) == ("GET", "http://h/v1/models")
    assert request.headers["authorization"] == "Bearer k"
    assert PROTOCOL.parse_models({"data": [{"id": "gpt-5"}, {"id": "gpt-4o"}, {}]}) == [
        "gpt-4o", "gpt-5"]
    with pytest.raises(FormatError):
        PROTOCOL.parse_models({"models": []})


# -- errors ------------------------------------------------------------------------------------

def test_parse_error_reads_openai_error_json_and_headers():
    body = json.dumps({"error": {"message": "Unsupported value", "type": "invalid_request_error",
                                 "param": "temperature", "code": None}}).encode()
    error = PROTOCOL.parse_error(400, body, {"X-Request-Id": "req_1", "retry-after-ms": "1500"})
    assert error.kind == "http" and error.status == 400
    assert error.provider_type == "invalid_request_error"
    assert error.message == "HTTP 400 invalid_request_error: Unsupported value (param temperature)"
    assert error.request_id == "req_1"
    assert error.retry_after == 1.5


@pytest.mark.parametrize("body, expected", [
    (b"<html><body>Bad gateway</body></html>", "HTTP 502: <html><body>Bad gateway</body></html>"),
    (b"", "HTTP 502: no details in the response"),
    (b"\xff\xfe garbage", "HTTP 502: \ufffd\ufffd garbage"),
    (b"[" * 100_000, "HTTP 502: " + "[" * 200),  # JSON nested too deeply to read
])
def test_parse_error_tolerates_non_json(body, expected):
    error = PROTOCOL.parse_error(502, body, {"retry-after": "3"})
    assert error.message == expected
    assert error.retry_after == 3.0


# -- the parser --------------------------------------------------------------------------------

def run(events: list[dict[str, Any]], close: bool = True) -> Assembler:
    parser, assembler = PROTOCOL.new_parser(), Assembler()
    for data in events:
        for event in parser.feed(Frame(json.dumps(data), data.get("type"))):
            assembler.feed(event)
    if close:
        for event in parser.close():
            assembler.feed(event)
    return assembler


MSG_ADDED = {"type": "response.output_item.added", "output_index": 0,
             "item": {"id": "msg_1", "type": "message", "role": "assistant", "content": []}}


def test_stream_without_terminal_event_is_truncated():
    a = run([MSG_ADDED, {"type": "response.output_text.delta", "item_id": "msg_1",
                         "output_index": 0, "content_index": 0, "delta": "Hel"}])
    assert a.parts()[0].text == "Hel"
    assert a.error.kind == "truncated" and a.stop_reason == "error"


@pytest.mark.parametrize("error_event, message, kind", [
    ({"type": "error", "code": "ERR_X", "message": "flat problem", "param": None},
     "flat problem", "ERR_X"),
    ({"type": "error", "error": {"type": "too_many_requests", "code": "too_many_requests",
                                 "message": "Too Many Requests"}},
     "Too Many Requests", "too_many_requests"),
    ({"type": "response.failed", "response": {"status": "failed", "error": {
        "code": "server_error", "message": "The model failed to generate a response."}}},
     "The model failed to generate a response.", "server_error"),
])
def test_in_band_errors_flat_nested_and_failed(error_event, message, kind):
    a = run([MSG_ADDED, error_event])
    assert a.error.kind == "provider"
    assert (a.error.message, a.error.provider_type) == (message, kind)


def test_incomplete_is_length_and_refusal_is_refusal():
    incomplete = run([MSG_ADDED, {"type": "response.incomplete", "response": {
        "incomplete_details": {"reason": "max_output_tokens"},
        "usage": {"input_tokens": 3, "output_tokens": 9}}}])
    assert incomplete.finish == Finish("length", "max_output_tokens")
    assert (incomplete.usage.input, incomplete.usage.output) == (3, 9)
    refusal = run([MSG_ADDED,
                   {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0,
                    "content_index": 0, "delta": "I can't"},
                   {"type": "response.output_item.done", "output_index": 0, "item": {
                       "id": "msg_1", "type": "message", "role": "assistant",
                       "content": [{"type": "refusal", "refusal": "I can't"}]}},
                   {"type": "response.completed", "response": {"status": "completed"}}])
    assert refusal.stop_reason == "refusal"
    part = refusal.parts()[0]
    assert part.text == "I can't"
    assert part.provider_metadata == {"openai": {"id": "msg_1", "type": "refusal"}}
    # Re-sent as a refusal content part, not as text the model said.
    body, _ = fmt.to_body(conv(Message.text("user", "x"), refusal.message()))
    assert body["input"][1]["content"] == [{"type": "refusal", "refusal": "I can't"}]


def test_unknown_events_are_ignored_and_garbage_is_reported():
    a = run([MSG_ADDED, {"type": "response.future_feature.delta", "x": 1},
             {"type": "response.completed", "response": {"status": "completed"}}])
    assert a.error is None and a.stop_reason == "stop"
    parser = PROTOCOL.new_parser()
    assert parser.feed(Frame("[DONE]")) == []
    (event,) = parser.feed(Frame("{not json", "response.output_text.delta"))
    assert isinstance(event, StreamError) and "response.output_text.delta" in event.message


def test_generated_image_partials_then_final_with_item_kept_for_replay():
    a = run([
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": "ig_1", "type": "image_generation_call", "status": "in_progress"}},
        {"type": "response.image_generation_call.partial_image", "item_id": "ig_1",
         "output_index": 0, "partial_image_b64": "AAAA", "partial_image_index": 0,
         "output_format": "png"},
        {"type": "response.output_item.done", "output_index": 0, "item": {
            "id": "ig_1", "type": "image_generation_call", "status": "completed",
            "result": PNG, "output_format": "png"}},
        {"type": "response.completed", "response": {"status": "completed"}}])
    (part,) = a.parts()
    assert part.attachment.content == PNG and part.attachment.type == "image/png"
    body, losses = fmt.to_body(conv(Message.text("user", "draw"), a.message()))
    assert losses == []
    assert body["input"][1] == {"id": "ig_1", "type": "image_generation_call",
                                "status": "completed", "output_format": "png", "result": PNG}


EVENT_TYPES = ["response.created", "response.output_item.added", "response.output_item.done",
               "response.output_text.delta", "response.refusal.delta",
               "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
               "response.function_call_arguments.delta", "response.output_text.annotation.added",
               "response.image_generation_call.partial_image", "response.audio.delta",
               "response.audio.done", "response.completed", "response.incomplete",
               "response.failed", "error"]
small_values = (st.none() | st.booleans() | st.integers(-1, 3) | st.text(max_size=4)
                | st.lists(st.text(max_size=3) | st.fixed_dictionaries(
                    {"type": st.sampled_from(["summary_text", "output_text", "url_citation"])},
                    optional={"text": st.text(max_size=3)}), max_size=2)
                | st.dictionaries(st.sampled_from(["id", "message", "code", "usage", "status",
                                                  "input_tokens", "type"]),
                                  st.text(max_size=3) | st.integers(0, 9), max_size=3))
event_dicts = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES)},
    optional={"item": small_values | st.fixed_dictionaries(
                  {"type": st.sampled_from(["message", "reasoning", "function_call",
                                            "web_search_call", "image_generation_call"])},
                  optional={"id": st.text(max_size=3), "content": small_values,
                            "summary": small_values, "arguments": small_values,
                            "result": small_values}),
              "item_id": small_values, "output_index": small_values, "content_index": small_values,
              "summary_index": small_values, "delta": small_values, "response": small_values,
              "annotation": small_values, "error": small_values})


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_dicts, max_size=6))
def test_parser_and_assembler_survive_any_event_sequence(events):
    a = run(events)
    a.message()  # the parts can always be built
    body, _ = fmt.to_body(conv(Message.text("user", "x"), a.message()))
    assert body["input"]
