"""The openai-chat format (import/export/detect) and protocol (request, parser, errors)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.models.assembler import Assembler
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats import get
from composer.models.formats.openai_chat import FORMAT, META, detect, from_body, to_body
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
from composer.providers.openai_chat import PROTOCOL, parse_response
from tests.framing import decode, frames
from tests.test_openai_chat_recordings import normalise
from tests.trials import examples

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()
WAV = base64.b64encode(b"RIFF\0\0\0\0WAVE").decode()

FULL_BODY = {
    "model": "gpt-4o",
    "messages": [
        {"role": "developer", "content": "You are terse."},
        {"role": "user", "name": "ann", "content": [
            {"type": "text", "text": "Compare these."},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}",
                                                "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "file", "file": {"filename": "report.pdf",
                                      "file_data": f"data:application/pdf;base64,{PDF}"}},
            {"type": "file", "file": {"file_id": "file-abc"}},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
        ]},
        {"role": "assistant", "content": None, "reasoning_content": "Let me look.",
         "tool_calls": [{"id": "call_1", "type": "function",
                         "function": {"name": "get_file", "arguments": "{\"id\": 7}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "See file 241a70."},
        {"role": "assistant", "content": "Done.", "reasoning": "Short.",
         "reasoning_details": [{"type": "reasoning.text", "text": "Short.", "signature": "sig==",
                                "format": "anthropic-claude-v1", "index": 0}]},
        {"role": "user", "content": [{"type": "text", "text": "Thanks",
                                      "cache_control": {"type": "ephemeral"}}]},
    ],
    "tools": [{"type": "function", "function": {
        "name": "get_file", "description": "Fetch a file",
        "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "strict": False}}],
    "tool_choice": {"type": "function", "function": {"name": "get_file"}},
    "response_format": {"type": "json_schema", "json_schema": {
        "name": "Answer", "strict": True, "schema": {"type": "object"}}},
    "temperature": 0.2, "top_p": 0.9, "stop": ["END"], "seed": 3, "max_tokens": 100,
    "reasoning_effort": "low", "frequency_penalty": 0.5, "user": "u-1",
    "stream": True, "stream_options": {"include_usage": True},
}


def _events(lines: list[str]) -> list:
    parser = PROTOCOL.new_parser()
    events = []
    for data in lines:
        events += parser.feed(Frame(data))
    return events + parser.close()


def _assemble(lines: list[str]) -> Assembler:
    assembler = Assembler()
    for event in _events(lines):
        assembler.feed(event)
    return assembler


def _chunk(delta: dict | None = None, finish: str | None = None, **extra) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return json.dumps({"id": "chatcmpl-1", "model": "m", "choices": choices, **extra})


# -- import ----------------------------------------------------------------------------------


def test_whole_body_imports_every_part_kind_and_setting():
    imported = from_body(FULL_BODY, "body.json")
    conv = imported.conversation
    assert imported.losses == []
    system, user, call, result, answer, thanks = conv.messages
    assert system.role == "system" and system.provider_metadata == {META: {"role": "developer"}}
    assert user.provider_metadata == {META: {"fields": {"name": "ann"}}}
    text, png, cat, pdf, file_ref, wav = user.parts
    assert text.text == "Compare these."
    assert png.attachment.type == "image/png" and png.attachment.content == PNG
    assert png.provider_metadata == {META: {"image_url": {"detail": "low"}}}
    assert cat.attachment.url == "https://example.com/cat.jpg" and cat.attachment.content is None
    assert pdf.attachment.type == "application/pdf" and pdf.attachment.display_name == "report.pdf"
    assert file_ref.provider_metadata == {META: {"file_id": "file-abc"}}
    assert wav.attachment.type == "audio/wav" and wav.attachment.content == WAV
    reasoning, tool_call = call.parts
    assert reasoning == ReasoningPart(text="Let me look.",
                                      provider_metadata={META: {"field": "reasoning_content"}})
    assert tool_call == ToolCallPart(name="get_file", arguments={"id": 7}, tool_call_id="call_1")
    assert result.parts == [ToolResultPart(name="get_file", output="See file 241a70.",
                                           tool_call_id="call_1")]
    assert answer.parts[0].provider_metadata[META]["reasoning_details"][0]["signature"] == "sig=="
    assert answer.parts[1] == TextPart(text="Done.")
    assert thanks.parts[0].provider_metadata == {
        META: {"fields": {"cache_control": {"type": "ephemeral"}}}}
    s = conv.settings
    assert s.model == "gpt-4o" and s.tool_choice == {"name": "get_file"}
    assert s.tools[0].name == "get_file" and s.tools[0].model_extra == {"strict": False}
    assert s.response_schema == {"type": "object"} and s.schema_strict is True
    assert s.options == {"temperature": 0.2, "top_p": 0.9, "stop": ["END"], "seed": 3,
                         "max_tokens": 100, "reasoning_effort": "low"}
    assert s.extra_body == {"frequency_penalty": 0.5, "user": "u-1", "response_format": {
        "json_schema": {"name": "Answer"}}}


def test_whole_body_round_trips_in_substance():
    conv = from_body(FULL_BODY).conversation
    body, losses = to_body(conv)
    assert losses == []
    assert normalise(body) == normalise(FULL_BODY)
    # and through the file format as the user would save it
    again = from_body(json.loads(FORMAT.dump(conv).text)).conversation
    assert again == conv


def test_conversation_file_round_trip_keeps_provider_metadata():
    conv = from_body(FULL_BODY).conversation
    reloaded = Conversation.model_validate(json.loads(json.dumps(conv.to_dict())))
    assert to_body(reloaded)[0] == to_body(conv)[0]


def test_unparsable_arguments_are_kept_verbatim_and_reported():
    body = [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]
    imported = from_body(body)
    call = imported.conversation.messages[0].parts[0]
    assert (call.arguments == {}
            and call.provider_metadata == {"composer": {"raw_arguments": "{oops"}})
    assert "not valid JSON" in str(imported.losses[0]) and "message 1" in str(imported.losses[0])
    out, _ = to_body(imported.conversation)
    assert out["messages"][0]["tool_calls"][0]["function"]["arguments"] == "{oops"


def test_refusal_field_round_trips():
    body = [{"role": "user", "content": "x"},
            {"role": "assistant", "content": None, "refusal": "I can't help with that."}]
    conv = from_body(body).conversation
    assert conv.messages[1].parts[0].text == "I can't help with that."
    out, _ = to_body(conv)
    assert out["messages"][1]["refusal"] == "I can't help with that."
    assert "content" not in out["messages"][1]


def test_unknown_content_part_is_a_dropped_loss_not_a_crash():
    imported = from_body([{"role": "user", "content": [{"type": "text", "text": "a"},
                                                       {"type": "input_video", "x": 1}]}])
    assert imported.losses[0].dropped and imported.losses[0].message_index == 0
    assert imported.conversation.messages[0].parts == [TextPart(text="a")]


@pytest.mark.parametrize("data, location", [
    ({"messages": "hi"}, "$.messages"),
    ({"messages": [{"role": "user", "content": 5}]}, "$.messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
     "$.messages[0].content[0].text"),
    ({"messages": [{"role": "wizard", "content": "x"}]}, "$.messages[0].role"),
    ({"messages": [{"role": "assistant", "tool_calls": [{"function": "f"}]}]},
     "$.messages[0].tool_calls[0].function"),
    ({"model": 3, "messages": []}, "$.model"),
    ({"messages": [], "tools": [{"type": "function", "function": {"name": None}}]},
     "$.tools[0].function.name"),
    ("just text", "$"),
])
def test_bad_input_is_one_format_error_with_its_location(data, location):
    with pytest.raises(FormatError) as err:
        from_body(data, "in.json")
    assert err.value.location == location and err.value.source == "in.json"
    assert "\n" not in str(err.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["role", "content", "type", "text", "messages", "model", "tools",
                         "tool_calls", "function", "arguments", "name", "image_url", "url",
                         "file", "tool_call_id", "reasoning_details", "response_format"]),
        inner, max_size=5),
    max_leaves=25)
_role_msg = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool"])},
    optional={"content": _json, "tool_calls": _json, "reasoning": _json,
              "reasoning_content": _json, "reasoning_details": _json, "tool_call_id": _json,
              "refusal": _json})


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_json, st.lists(_role_msg, max_size=4),
                 st.fixed_dictionaries({"messages": st.lists(_role_msg, max_size=3)},
                                       optional={"model": _json, "tools": _json,
                                                 "tool_choice": _json,
                                                 "response_format": _json})))
def test_any_json_value_imports_or_raises_one_format_error(value):
    try:
        imported = FORMAT.load(value, "fuzz.json")
    except FormatError:
        return
    to_body(imported.conversation)  # whatever imported exports without raising


def test_truncated_json_text_never_escapes_as_another_exception():
    text = json.dumps(FULL_BODY)
    for cut in range(0, len(text), max(1, len(text) // 60)):
        try:
            value = json.loads(text[:cut])
        except json.JSONDecodeError:
            continue
        try:
            FORMAT.load(value, None)
        except FormatError:
            pass


# -- detection -------------------------------------------------------------------------------


def test_detect_is_specific():
    assert detect(FULL_BODY) >= 0.9
    assert detect([{"role": "user", "content": "hi"}]) == 0.6
    assert detect([{"role": "user", "content": [{"type": "image_url",
                                                 "image_url": {"url": "x"}}]}]) == 0.9
    assert detect([{"role": "assistant", "content": None, "tool_calls": []}]) == 0.9
    # Anthropic, Gemini, Responses, our own files
    assert detect({"model": "c", "system": "s", "max_tokens": 5,
                   "messages": [{"role": "user", "content": "hi"}]}) == 0
    assert detect([{"role": "user", "content": [{"type": "image", "source": {}}]}]) == 0
    assert detect([{"role": "assistant", "content": [{"type": "tool_use"}]}]) == 0
    assert detect({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}) == 0
    assert detect([{"type": "message", "role": "user", "content": "hi"}]) == 0
    assert detect({"messages": [{"role": "user", "parts": []}], "composer": {}}) == 0
    assert detect("text") == 0 and detect([]) == 0 and detect([1]) == 0


def test_registered_under_its_name():
    assert get("openai-chat") is FORMAT


# -- export ----------------------------------------------------------------------------------


def _conv(*messages: Message, **settings) -> Conversation:
    return Conversation(messages=list(messages), settings=RequestSettings(**settings))


def test_export_places_system_attachments_and_inlines_text_files(tmp_path):
    note = tmp_path / "notes.txt"
    note.write_text("line one")
    conv = _conv(
        Message.text("system", "Be brief."),
        Message(role="user", parts=[TextPart(text="Look"),
                                    AttachmentPart(attachment=Attachment.from_path(note)),
                                    AttachmentPart(attachment=Attachment(type="application/pdf",
                                                                         content=PDF,
                                                                         name="a.pdf")),
                                    AttachmentPart(attachment=Attachment(type="audio/mpeg",
                                                                         content=WAV))]),
        model="gpt-4o")
    body, losses = to_body(conv)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    parts = body["messages"][1]["content"]
    assert parts[1] == {"type": "text", "text": "notes.txt\n```\nline one\n```"}
    assert parts[2] == {"type": "file", "file": {"filename": "a.pdf",
                                                 "file_data": f"data:application/pdf;base64,{PDF}"}}
    assert parts[3] == {"type": "input_audio", "input_audio": {"data": WAV, "format": "mp3"}}
    assert [(str(loss), loss.dropped) for loss in losses] == [
        ("message 2, part 2: text file notes.txt inlined as text", False)]


def test_export_names_what_it_cannot_hold():
    conv = _conv(Message(role="user", parts=[
        TextPart(text="x"),
        AttachmentPart(attachment=Attachment(type="video/mp4", content="AAAA")),
        AttachmentPart(attachment=Attachment(type="audio/ogg", content="AAAA"))]))
    _, losses = to_body(conv)
    assert [(loss.message_index, loss.part_index, loss.dropped) for loss in losses] == [
        (0, 1, True), (0, 2, True)]
    assert "video" in losses[0].problem and "wav or mp3" in losses[1].problem


def test_reasoning_of_another_provider_is_stripped_with_a_note():
    conv = _conv(Message.text("user", "q"), Message(role="assistant", parts=[
        ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "s"}}),
        TextPart(text="a")]))
    body, losses = to_body(conv)
    assert body["messages"][1] == {"role": "assistant", "content": "a"}
    assert len(losses) == 1 and not losses[0].dropped and "anthropic" in losses[0].problem
    assert (losses[0].message_index, losses[0].part_index) == (1, 0)


def test_tool_results_in_a_user_message_become_tool_messages_first():
    conv = _conv(
        Message(role="assistant", parts=[ToolCallPart(name="f", arguments={"a": 1},
                                                      tool_call_id="c1")]),
        Message(role="user", parts=[
            ToolResultPart(name="f", output="42", tool_call_id="c1",
                           attachments=[Attachment(type="image/png", content=PNG)]),
            TextPart(text="and now?")]))
    body, losses = to_body(conv)
    assert body["messages"][0]["tool_calls"][0]["function"] == {"name": "f",
                                                                "arguments": "{\"a\": 1}"}
    assert body["messages"][1] == {"role": "tool", "tool_call_id": "c1", "content": "42"}
    assert body["messages"][2]["role"] == "user"
    assert body["messages"][2]["content"][0] == {"type": "text", "text": "and now?"}
    assert body["messages"][2]["content"][1]["type"] == "image_url"
    assert not any(loss.dropped for loss in losses)


def test_calls_without_ids_get_ids_their_results_share():
    conv = _conv(Message(role="assistant", parts=[ToolCallPart(name="f")]),
                 Message(role="tool", parts=[ToolResultPart(name="f", output="1")]))
    body, _ = to_body(conv)
    call_id = body["messages"][0]["tool_calls"][0]["id"]
    assert call_id and body["messages"][1]["tool_call_id"] == call_id


def test_settings_export_and_extra_body_merges_last():
    conv = _conv(Message.text("user", "q"), model="o4-mini",
                 tools=[Tool(name="f", description="d")], tool_choice="required",
                 response_schema={"type": "object"},
                 options={"max_tokens": 50, "temperature": 1, "reasoning_effort": "high"},
                 extra_body={"response_format": {"json_schema": {"strict": True}},
                             "tools": [{"type": "web_search"}], "user": "me"})
    body, losses = to_body(conv)
    assert losses == []
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "response", "schema": {"type": "object"}, "strict": True}}
    assert body["tools"] == [{"type": "function", "function": {
        "name": "f", "description": "d",
        "parameters": {"type": "object", "properties": {}}}}, {"type": "web_search"}]
    assert (body["tool_choice"], body["reasoning_effort"], body["user"]) == ("required", "high",
                                                                              "me")
    assert to_body(_conv(Message.text("user", "q"), model="gpt-4o",
                         options={"max_tokens": 5}))[0]["max_tokens"] == 5


# -- the protocol ----------------------------------------------------------------------------


def test_build_request_url_headers_and_stream_flags():
    conv = from_body(FULL_BODY).conversation
    conv.settings.headers = {"X-Title": "composer"}
    req = PROTOCOL.build_request(conv, base_url="https://api.example.com/v1/", api_key="sk-1")
    assert (req.method, req.url) == ("POST", "https://api.example.com/v1/chat/completions")
    assert req.headers["Authorization"] == "Bearer sk-1" and req.headers["X-Title"] == "composer"
    assert req.redacted().headers["Authorization"] == "<redacted>"
    assert req.body["stream"] is True and req.body["stream_options"] == {"include_usage": True}
    assert req.body["messages"][0] == {"role": "developer", "content": "You are terse."}
    no_key = PROTOCOL.build_request(conv, base_url="http://localhost:11434/v1", api_key=None)
    assert "Authorization" not in no_key.headers


def test_build_request_refuses_naming_row_and_part_and_keeps_notes():
    conv = _conv(Message.text("user", "a"),
                 Message(role="user", parts=[TextPart(text="b"), AttachmentPart(
                     attachment=Attachment(type="video/mp4", content="AAAA"))]), model="m")
    with pytest.raises(RequestRefused) as err:
        PROTOCOL.build_request(conv, base_url="http://x", api_key=None)
    assert (err.value.message_index, err.value.part_index) == (1, 1)
    assert str(err.value).startswith("row 2, part 2: ")
    with pytest.raises(RequestRefused, match="thinking_budget"):
        PROTOCOL.build_request(_conv(Message.text("user", "a"), model="m",
                                     options={"thinking_budget": 100}),
                               base_url="http://x", api_key=None)
    with pytest.raises(RequestRefused, match="model"):
        PROTOCOL.build_request(_conv(Message.text("user", "a")), base_url="http://x",
                               api_key=None)
    noted = _conv(Message.text("user", "a"), Message(role="assistant", parts=[
        ReasoningPart(text="r", provider_metadata={"gemini": {"thoughtSignature": "t"}}),
        TextPart(text="b")]), model="m")
    req = PROTOCOL.build_request(noted, base_url="http://x", api_key=None)
    assert len(req.notes) == 1 and "gemini" in req.notes[0]


def test_parse_error_reads_openai_and_openrouter_bodies():
    err = PROTOCOL.parse_error(400, json.dumps({"error": {
        "message": "bad temperature", "type": "invalid_request_error", "param": "temperature",
        "code": "decimal_below_min_value"}}).encode(),
        {"X-Request-Id": "req_1", "retry-after": "2.5"})
    assert (err.kind, err.status, err.message, err.provider_type, err.request_id,
            err.retry_after) == ("http", 400, "bad temperature", "invalid_request_error",
                                 "req_1", 2.5)
    routed = PROTOCOL.parse_error(429, json.dumps({"error": {
        "code": 429, "message": "Provider returned error",
        "metadata": {"provider_name": "Google", "raw": "rate-limited upstream"}}}).encode(),
        {"retry-after-ms": "1500"})
    assert routed.provider_type == "429" and "rate-limited upstream" in routed.message
    assert routed.retry_after == 1.5
    html = PROTOCOL.parse_error(502, b"<html>\n<body>Bad gateway</body></html>", {})
    assert html.message.startswith("HTTP 502: <html>") and "\n" not in html.message
    assert PROTOCOL.parse_error(500, b"", {}).message == "HTTP 500"
    assert PROTOCOL.parse_error(500, b"[" * 100_000, {}).message == "HTTP 500: " + "[" * 200


def test_models_request_and_parse():
    req = PROTOCOL.models_request(base_url="https://openrouter.ai/api/v1", api_key="k")
    assert (req.method, req.url) == ("GET", "https://openrouter.ai/api/v1/models")
    assert PROTOCOL.parse_models({"object": "list", "data": [{"id": "b"}, {"id": "a"}]}) == [
        "a", "b"]
    with pytest.raises(FormatError):
        PROTOCOL.parse_models({"nothing": 1})


# -- the parser ------------------------------------------------------------------------------


def test_deepseek_usage_on_the_finish_chunk_and_reasoning_content():
    a = _assemble([
        _chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        _chunk({"content": None, "reasoning_content": "H"}),
        _chunk({"content": "Hello", "reasoning_content": None}),
        _chunk({"content": ""}, "stop", usage={
            "prompt_tokens": 6, "completion_tokens": 212,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 198}}),
        "[DONE]"])
    reasoning, text = a.parts()
    assert reasoning.text == "H" and reasoning.provider_metadata == {
        META: {"field": "reasoning_content"}}
    assert text.text == "Hello" and a.stop_reason == "stop"
    assert (a.usage.input, a.usage.output) == (6, 212)
    assert a.usage.details == {"reasoning_tokens": 198, "cached_tokens": 2}
    # the assembled reply replays its reasoning on the next request
    out, _ = to_body(_conv(Message.text("user", "q"), a.message()))
    assert out["messages"][1]["reasoning_content"] == "H"


def test_missing_done_and_finish_is_truncation():
    events = _events([_chunk({"content": "Hel"})])
    assert events[-1].kind == "truncated"
    a = _assemble([_chunk({"tool_calls": [{"index": 0, "id": "c", "function": {
        "name": "f", "arguments": "{\"a\""}}]})])
    assert a.stop_reason == "error" and a.error.kind == "truncated"


def test_in_band_error_and_garbage_chunks():
    a = _assemble([_chunk({"content": "x"}),
                   json.dumps({"error": {"type": "server_error", "message": "at capacity"}})])
    assert (a.error.kind, a.error.message, a.error.provider_type) == (
        "provider", "at capacity", "server_error")
    events = _events(["not json", _chunk({"content": "ok"}, "stop"), "[DONE]"])
    assert events[0].kind == "provider" and "not JSON" in events[0].message


def test_refusal_streams_as_its_own_part_and_finish():
    a = _assemble([_chunk({"refusal": "I can't"}), _chunk({"refusal": " help."}, "stop"),
                   "[DONE]"])
    assert a.parts()[0].text == "I can't help." and a.stop_reason == "refusal"
    out, _ = to_body(_conv(Message.text("user", "q"), a.message()))
    assert out["messages"][1]["refusal"] == "I can't help."


def test_parallel_calls_and_a_reused_index_with_a_new_id():
    a = _assemble([
        _chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f",
                                                                     "arguments": "{}"}}]}),
        _chunk({"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g",
                                                                     "arguments": "{\"x\":1}"}}]}),
        _chunk({}, "tool_calls"), "[DONE]"])
    assert [(p.tool_call_id, p.name, p.arguments) for p in a.parts()] == [
        ("a", "f", {}), ("b", "g", {"x": 1})]
    assert a.stop_reason == "tool_calls"


def test_whole_json_reply_with_citations():
    events = parse_response({"id": "x", "model": "m", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": "See it.", "annotations": [
            {"type": "url_citation", "url_citation": {"url": "https://e.com", "title": "E"}}]},
        "finish_reason": "length"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2}})
    a = Assembler()
    for e in events:
        a.feed(e)
    part = a.parts()[0]
    assert part.text == "See it." and part.citations[0].url == "https://e.com"
    assert a.stop_reason == "length" and a.response_id == "x"


def test_crlf_frames_split_anywhere_parse_the_same():
    body = ("data: " + _chunk({"content": "a\u00e9"}) + "\r\n\r\n: keep-alive\r\n\r\n"
            "data: " + _chunk({"content": "b"}, "stop") + "\r\n\r\ndata: [DONE]\r\n\r\n")
    raw, whole = body.encode(), frames(body)
    for cut in range(1, len(raw)):
        assert [f.data for f in decode([raw[:cut], raw[cut:]])] == [f.data for f in whole]
    a = _assemble([f.data for f in whole])
    assert a.parts()[0].text == "a\u00e9b"
