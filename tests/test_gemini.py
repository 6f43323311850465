"""The Gemini format (import/export/detection) and protocol (request, parser, errors, models)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.models import formats
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.events import (
    Finish,
    OutputAttachment,
    PartMetadata,
    StreamError,
    TextDelta,
    UsageReport,
)
from composer.models.formats.gemini import FORMAT, detect, from_body, to_body
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
from composer.providers.gemini import PROTOCOL, parse_response
from tests.framing import assemble, frames
from tests.trials import examples

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()
MP3 = base64.b64encode(b"ID3\x03fake").decode()
TXT = base64.b64encode("notes: ünïcode".encode()).decode()
SIG = {"gemini": {"thoughtSignature": "Et8ECtwEAXLI2ny+/="}}


def _conversation() -> Conversation:
    return Conversation(
        messages=[
            Message.text("system", "You are terse."),
            Message(role="user", parts=[
                TextPart(text="Compare these."),
                AttachmentPart(attachment=Attachment(type="image/png", content=PNG)),
                AttachmentPart(attachment=Attachment(type="application/pdf", content=PDF)),
                AttachmentPart(attachment=Attachment(type="audio/mpeg", content=MP3)),
                AttachmentPart(attachment=Attachment(type="text/plain", content=TXT)),
                AttachmentPart(attachment=Attachment(type="video/mp4",
                                                     url="https://example.com/files/abc")),
            ]),
            Message(role="assistant", parts=[
                ReasoningPart(text="**Planning**", provider_metadata=SIG),
                TextPart(text="Let me look.", provider_metadata={
                    "gemini": {"thoughtSignature": "CiIBcsjafACy"}}),
                ToolCallPart(name="get_country", arguments={"code": "MX"},
                             tool_call_id="9d532gc9", provider_metadata=SIG),
                ToolCallPart(name="get_time", arguments={}),
            ]),
            Message(role="tool", parts=[
                ToolResultPart(name="get_country", output="Mexico", tool_call_id="9d532gc9"),
                ToolResultPart(name="get_time", output='{"h": 12}', exception=None),
            ]),
            Message.text("user", "And now?"),
        ],
        settings=RequestSettings(
            provider="gemini", model="gemini-2.5-pro",
            tools=[Tool(name="get_country", description="Country by code",
                        parameters={"type": "object", "properties": {"code": {"type": "string"}}}),
                   Tool(name="get_time", parameters={"type": "OBJECT", "properties": {}})],
            tool_choice={"name": "get_country"},
            response_schema={"type": "object", "properties": {"a": {"type": "integer"}}},
            options={"temperature": 0.2, "max_tokens": 900, "top_p": 0.9, "stop": ["END"],
                     "seed": 7, "thinking_budget": 1024},
            extra_body={"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT",
                                            "threshold": "BLOCK_NONE"}],
                        "generationConfig": {"topK": 40}},
        ),
    )


# -- export -------------------------------------------------------------------------------------


def test_export_places_system_attachments_tools_and_options():
    body, losses = to_body(_conversation())
    assert losses == []
    assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
    user, model, results, last = body["contents"]
    assert user["role"] == "user"
    assert user["parts"][1] == {"inlineData": {"mimeType": "image/png", "data": PNG}}
    assert [p["inlineData"]["mimeType"] for p in user["parts"][1:5]] == [
        "image/png", "application/pdf", "audio/mpeg", "text/plain"]
    assert user["parts"][5] == {"fileData": {"mimeType": "video/mp4",
                                             "fileUri": "https://example.com/files/abc"}}
    assert model == {"role": "model", "parts": [
        {"text": "**Planning**", "thought": True, "thoughtSignature": "Et8ECtwEAXLI2ny+/="},
        {"text": "Let me look.", "thoughtSignature": "CiIBcsjafACy"},
        {"functionCall": {"name": "get_country", "args": {"code": "MX"}, "id": "9d532gc9"},
         "thoughtSignature": "Et8ECtwEAXLI2ny+/="},
        {"functionCall": {"name": "get_time", "args": {}}},
    ]}
    assert results == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_country", "response": {"output": "Mexico"},
                              "id": "9d532gc9"}},
        {"functionResponse": {"name": "get_time", "response": {"output": '{"h": 12}'}}},
    ]}
    assert last == {"role": "user", "parts": [{"text": "And now?"}]}
    decls = body["tools"][0]["functionDeclarations"]
    assert "parametersJsonSchema" in decls[0] and "parameters" in decls[1]
    assert body["toolConfig"] == {"functionCallingConfig": {
        "mode": "ANY", "allowedFunctionNames": ["get_country"]}}
    gc = body["generationConfig"]
    assert gc["temperature"] == 0.2 and gc["maxOutputTokens"] == 900 and gc["topP"] == 0.9
    assert gc["stopSequences"] == ["END"] and gc["seed"] == 7
    assert gc["thinkingConfig"] == {"thinkingBudget": 1024, "includeThoughts": True}
    assert gc["responseMimeType"] == "application/json"
    assert gc["responseJsonSchema"]["properties"]["a"] == {"type": "integer"}
    assert gc["topK"] == 40  # extra_body merged into, not over, generationConfig
    assert body["safetySettings"][0]["threshold"] == "BLOCK_NONE"


def test_round_trip_keeps_messages_metadata_and_settings():
    original = _conversation()
    body, _ = to_body(original)
    imported = from_body(json.loads(json.dumps(body)), "body.json")
    assert imported.losses == []
    back = imported.conversation
    assert [m.to_dict() for m in back.messages] == [m.to_dict() for m in original.messages]
    s, o = back.settings, original.settings
    assert [t.to_dict() for t in s.tools] == [t.to_dict() for t in o.tools]
    assert (s.tool_choice, s.response_schema, s.options) == (
        o.tool_choice, o.response_schema, o.options)
    assert s.extra_body == o.extra_body
    assert to_body(back)[0] == body


def test_a_tool_result_in_a_system_message_is_left_out_so_the_body_reads_back():
    """Found by the fuzz run: a system message holding a tool result was written into
    systemInstruction, silently, which Gemini (and our importer) refuse: about 17% of generated
    conversations could not make the round trip."""
    conversation = Conversation(messages=[
        Message(role="system", parts=[TextPart(text="Be brief."),
                                      ToolResultPart(name="f", output="x", tool_call_id="c")]),
        Message.text("user", "hi")])
    body, losses = to_body(conversation)
    assert [(loss.message_index, loss.dropped) for loss in losses] == [(0, True)]
    assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    back = from_body(json.loads(json.dumps(body)), "body.json").conversation
    assert [m.plain_text for m in back.messages] == ["Be brief.", "hi"]


def test_reasoning_of_another_provider_is_stripped_with_a_note():
    conv = Conversation(messages=[
        Message.text("user", "hi"),
        Message(role="assistant", parts=[
            ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "abc"}}),
            TextPart(text="hello", provider_metadata={"openai": {"id": "msg_1"}}),
        ]),
    ])
    body, losses = to_body(conv)
    assert body["contents"][1]["parts"] == [{"text": "hello"}]
    assert len(losses) == 1 and not losses[0].dropped
    assert "anthropic" in str(losses[0]) and str(losses[0]).startswith("message 2, part 1")


def test_attachment_kind_gemini_cannot_take_is_a_dropped_loss_and_refused():
    zip_att = Attachment(type="application/zip", content=base64.b64encode(b"PK\x03\x04").decode())
    conv = Conversation(messages=[Message(role="user", parts=[
        TextPart(text="see"), AttachmentPart(attachment=zip_att)])],
        settings=RequestSettings(model="gemini-2.5-flash"))
    _, losses = to_body(conv)
    assert [(x.message_index, x.part_index, x.dropped) for x in losses] == [(0, 1, True)]
    with pytest.raises(RequestRefused) as info:
        PROTOCOL.build_request(conv, base_url="", api_key="k")
    assert (info.value.message_index, info.value.part_index) == (0, 1)
    assert str(info.value).startswith("row 1, part 2: Gemini takes no application/zip")


def test_unknown_option_and_bad_thinking_level_are_refused():
    conv = Conversation(messages=[Message.text("user", "hi")],
                        settings=RequestSettings(model="m", options={"frequency_penalty": 1}))
    with pytest.raises(RequestRefused, match="frequency_penalty"):
        PROTOCOL.build_request(conv, base_url="", api_key=None)
    conv.settings.options = {"reasoning_effort": "extreme"}
    with pytest.raises(RequestRefused, match="thinking level"):
        PROTOCOL.build_request(conv, base_url="", api_key=None)
    conv.settings.options = {"reasoning_effort": "low"}
    body = PROTOCOL.build_request(conv, base_url="", api_key=None).body
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "LOW",
                                                           "includeThoughts": True}


def test_tool_result_without_name_takes_its_calls_name():
    conv = Conversation(messages=[
        Message(role="assistant", parts=[ToolCallPart(name="add", tool_call_id="c1")]),
        Message(role="tool", parts=[ToolResultPart(output="5", tool_call_id="c1")]),
    ])
    body, losses = to_body(conv)
    assert losses == []
    assert body["contents"][1]["parts"][0]["functionResponse"]["name"] == "add"


# -- import -------------------------------------------------------------------------------------


def test_import_accepts_snake_case_and_keeps_unknown_keys():
    body = {
        "system_instruction": {"parts": [{"text": "sys"}]},
        "contents": [
            {"role": "user", "parts": [
                {"inline_data": {"mime_type": "image/png", "data": PNG.replace("+", "-")}},
                {"text": "what?", "video_metadata": {"fps": 2}}]},
            {"role": "model", "parts": [
                {"function_call": {"name": "f", "args": {"x_y": 1}}, "thought_signature": "s1"}]},
            {"role": "user", "parts": [
                {"function_response": {"name": "f", "response": {"result": "ok"}}},
                {"text": "and this"}]},
        ],
        "generation_config": {"max_output_tokens": 50, "thinking_config": {
            "thinking_budget": 0, "include_thoughts": False}, "candidate_count": 1},
        "tool_config": {"function_calling_config": {"mode": "NONE"}},
        "cachedContent": "cachedContents/abc",
    }
    imported = from_body(body, "snake.json")
    conv = imported.conversation
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool", "user"]
    att = conv.messages[1].parts[0].attachment
    assert att.type == "image/png" and att.data() == base64.b64decode(PNG)
    assert conv.messages[1].parts[1].provider_metadata == {"gemini": {"videoMetadata": {"fps": 2}}}
    call = conv.messages[2].parts[0]
    assert call.arguments == {"x_y": 1}  # argument names are data, never re-cased
    assert call.provider_metadata == {"gemini": {"thoughtSignature": "s1"}}
    assert conv.messages[3].parts[0].output == "ok"
    assert conv.settings.options == {"max_tokens": 50, "thinking_budget": 0}
    assert conv.settings.tool_choice == "none"
    assert conv.settings.extra_body == {
        "generationConfig": {"candidate_count": 1, "thinkingConfig": {"includeThoughts": False}},
        "cachedContent": "cachedContents/abc"}
    out, losses = to_body(conv)
    assert losses == []
    assert out["contents"][1]["parts"][0] == {"functionCall": {"name": "f", "args": {"x_y": 1}},
                                              "thoughtSignature": "s1"}
    assert out["contents"][0]["parts"][1] == {"text": "what?", "videoMetadata": {"fps": 2}}
    assert out["contents"][2]["parts"][0]["functionResponse"]["response"] == {"result": "ok"}
    assert out["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0,
                                                         "includeThoughts": False}


def test_structured_tool_responses_and_errors_survive():
    body = {"contents": [
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "f", "response": {"temp": 40, "unit": "C"}}},
            {"functionResponse": {"name": "g", "response": {"error": "boom"}}}]},
    ]}
    conv = from_body(body).conversation
    ok, failed = conv.messages[1].parts
    assert json.loads(ok.output) == {"temp": 40, "unit": "C"}
    assert failed.exception == "boom"
    assert to_body(conv)[0] == body


def test_unknown_part_kind_is_reported_not_silently_dropped():
    imported = from_body({"contents": [{"role": "user", "parts": [
        {"text": "hi"}, {"somethingNew": {"a": 1}}]}]})
    assert [str(x) for x in imported.losses] == [
        "message 1, part 2: part with no content Composer knows (somethingNew) dropped"]
    assert imported.losses[0].dropped


@pytest.mark.parametrize(("data", "location", "words"), [
    (42, "$", "not a number"),
    ({"messages": []}, "$", "needs contents"),
    ({"contents": {}}, "$.contents", "must be an array"),
    ({"contents": [{"role": "user", "parts": [{"text": 5}]}]}, "$.contents[0].parts[0].text",
     "must be a string"),
    ({"contents": [{"role": "bot", "parts": []}]}, "$.contents[0].role", "user or model"),
    ({"contents": [{"parts": [{"functionCall": {"name": "f"}}]}]}, "$.contents[0].parts[0]",
     "model turn"),
    ({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": None}}]}]},
     "$.contents[0].parts[0].inlineData.data", "must be a string"),
    ({"contents": [], "tools": [{"functionDeclarations": [{"name": 3}]}]},
     "$.tools[0].functionDeclarations[0].name", "must be a string"),
    ({"contents": [], "generationConfig": []}, "$.generationConfig", "must be an object"),
])
def test_bad_input_is_one_format_error_naming_the_place(data, location, words):
    with pytest.raises(FormatError) as info:
        FORMAT.load(data, "in.json")
    assert info.value.location == location
    assert words in info.value.problem
    assert str(info.value).startswith(f"in.json: {location}: ")


_leaf = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
         | st.text(max_size=6))
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def _or_junk(strategy):
    """Mostly the right shape, one time in eight any JSON value: to reach every check."""
    return st.integers(0, 7).flatmap(lambda i: _json if i == 0 else strategy)


def _obj(**fields):
    return _or_junk(st.fixed_dictionaries({}, optional={k: _or_junk(v) for k, v in fields.items()}))


_str = st.text(max_size=6) | st.sampled_from(["image/png", "application/zip", "AUTO", "ANY"])
_schema = st.fixed_dictionaries({"type": st.sampled_from(["object", "OBJECT"])})
_part = _obj(text=_str, thought=st.booleans(), thoughtSignature=_str,
             inlineData=_obj(mimeType=_str, data=_str), fileData=_obj(mimeType=_str, fileUri=_str),
             functionCall=_obj(name=_str, args=st.dictionaries(_str, _leaf, max_size=2), id=_str),
             functionResponse=_obj(name=_str, id=_str, response=st.dictionaries(
                 st.sampled_from(["output", "result", "error", "x"]), _leaf, max_size=2),
                 parts=st.lists(_obj(inlineData=_obj(mimeType=_str, data=_str)), max_size=2)),
             executableCode=_obj(code=_str), codeExecutionResult=_obj(output=_str))
_content = _obj(role=st.sampled_from(["user", "model", "function", "tool"]),
                parts=st.lists(_part, max_size=3))
_body = _obj(
    contents=st.lists(_content, max_size=3),
    systemInstruction=_obj(parts=st.lists(_part, max_size=2)) | _str,
    tools=st.lists(_obj(functionDeclarations=st.lists(_obj(
        name=_str, description=_str, parameters=_schema, parametersJsonSchema=_schema),
        max_size=2), googleSearch=st.just({})), max_size=2),
    toolConfig=_obj(functionCallingConfig=_obj(mode=_str, allowedFunctionNames=st.lists(_str))),
    generationConfig=_obj(temperature=_leaf, stopSequences=st.lists(_str), responseMimeType=_str,
                          responseSchema=_schema, responseJsonSchema=_schema,
                          thinkingConfig=_obj(thinkingBudget=_leaf, thinkingLevel=_str,
                                              includeThoughts=_leaf)),
    model=_str,
)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_body | st.lists(_content, max_size=3) | _json)
def test_any_json_value_loads_or_raises_one_format_error(value):
    try:
        imported = FORMAT.load(value, "fuzz.json")
    except FormatError:
        return
    to_body(imported.conversation)  # whatever imports also exports without raising


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(min_value=0, max_value=400))
def test_truncated_body_text_never_crashes(cut):
    text = json.dumps(to_body(_conversation())[0])[:cut]
    try:
        formats.import_text(text, "gemini", "cut.json")
    except FormatError:
        pass


# -- detection ----------------------------------------------------------------------------------


def test_detects_bodies_and_contents_but_not_other_formats():
    body, _ = to_body(_conversation())
    assert detect(body) >= 0.9
    assert detect(body["contents"]) >= 0.9
    assert formats.detect(json.dumps(body)).name == "gemini"
    assert formats.detect(json.dumps(body["contents"])).name == "gemini"
    assert detect([{"role": "user", "content": "hi"}]) == 0
    assert detect({"messages": [{"role": "user", "content": "hi"}]}) == 0
    assert detect([{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]) == 0
    assert detect({"messages": [], "contents": []}) == 0
    assert detect("contents") == 0 and detect(None) == 0


# -- build_request ------------------------------------------------------------------------------


def test_build_request_url_headers_and_redaction():
    conv = _conversation()
    conv.settings.headers = {"X-Trace": "1"}
    req = PROTOCOL.build_request(conv, base_url="", api_key="sekrit")
    assert req.method == "POST"
    assert req.url == ("https://generativelanguage.googleapis.com/v1beta/models/"
                       "gemini-2.5-pro:streamGenerateContent?alt=sse")
    assert req.headers["x-goog-api-key"] == "sekrit" and req.headers["X-Trace"] == "1"
    assert "sekrit" not in json.dumps(req.redacted().headers)
    assert "sekrit" not in req.curl("GEMINI_API_KEY")
    assert req.body == to_body(conv)[0] and "stream" not in req.body
    other = PROTOCOL.build_request(conv, base_url="http://127.0.0.1:9/v1beta/", api_key=None)
    assert other.url.startswith("http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:")
    assert "x-goog-api-key" not in other.headers


def test_build_request_needs_a_model_and_keeps_notes():
    conv = Conversation(messages=[Message.text("user", "hi"), Message.text("system", "late")])
    with pytest.raises(RequestRefused, match="model"):
        PROTOCOL.build_request(conv, base_url="", api_key=None)
    conv.settings.model = "models/gemini-2.5-flash"
    req = PROTOCOL.build_request(conv, base_url="", api_key=None)
    assert "/models/gemini-2.5-flash:" in req.url
    assert req.body["systemInstruction"] == {"parts": [{"text": "late"}]}
    assert req.notes == ["message 2: Gemini has one system instruction: this message moved into it"]


# -- parser -------------------------------------------------------------------------------------


def _sse(*chunks: dict) -> str:
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)


def _chunk(parts, finish=None, usage=None):
    cand = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    out = {"candidates": [cand], "responseId": "r1", "modelVersion": "gemini-3-pro"}
    if usage:
        out["usageMetadata"] = usage
    return out


def test_parser_keeps_late_signature_on_the_text_run_and_images_as_attachments():
    asm = assemble(PROTOCOL.new_parser(), frames(_sse(
        _chunk([{"text": "thinking", "thought": True}]),
        _chunk([{"text": "Hello "}]),
        _chunk([{"text": "world"}]),
        _chunk([{"inlineData": {"mimeType": "image/png", "data": PNG}}]),
        _chunk([{"text": "", "thoughtSignature": "late"}], finish="STOP",
               usage={"promptTokenCount": 3, "candidatesTokenCount": 4,
                      "thoughtsTokenCount": 5, "cachedContentTokenCount": 1}),
    )))
    parts = asm.parts()
    assert [p.type for p in parts] == ["reasoning", "text", "attachment", "text"]
    assert parts[1].text == "Hello world" and parts[1].provider_metadata is None
    assert parts[2].attachment.type == "image/png" and parts[2].attachment.content == PNG
    assert parts[3].text == "" and parts[3].provider_metadata == {
        "gemini": {"thoughtSignature": "late"}}
    assert asm.usage.input == 3 and asm.usage.output == 9
    assert asm.usage.details == {"reasoning_tokens": 5, "cached_tokens": 1}
    assert asm.stop_reason == "stop" and asm.model == "gemini-3-pro"


def test_parser_never_merges_two_signatures_into_one_part():
    parser = PROTOCOL.new_parser()
    events = parser.feed(Frame(json.dumps(_chunk([
        {"text": "a", "thoughtSignature": "s1"}, {"text": "b"},
        {"text": "c", "thoughtSignature": "s2"}], finish="STOP"))))
    keys = [e.key for e in events if isinstance(e, TextDelta)]
    metas = [(e.key, e.data) for e in events if isinstance(e, PartMetadata)]
    assert keys[0] == keys[1] != keys[2]
    assert metas == [(keys[0], {"thoughtSignature": "s1"}), (keys[2], {"thoughtSignature": "s2"})]


@pytest.mark.parametrize(("raw", "reason"), [
    ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"),
    ("MALFORMED_FUNCTION_CALL", "malformed_function_call")])
def test_finish_reasons_are_normalised(raw, reason):
    events = parse_response(_chunk([{"text": "x"}], finish=raw))
    assert Finish(reason, raw=raw) in events


def test_blocked_prompt_finishes_as_content_filter():
    events = parse_response({"promptFeedback": {"blockReason": "SAFETY"},
                             "usageMetadata": {"promptTokenCount": 9}})
    assert events == [UsageReport(input=9), Finish("content_filter", raw="SAFETY")]


def test_in_band_error_and_truncation():
    parser = PROTOCOL.new_parser()
    events = parser.feed(Frame(json.dumps({"error": {"code": 503, "message": "overloaded",
                                                     "status": "UNAVAILABLE"}})))
    assert events == [StreamError(message="overloaded", kind="provider", status=503,
                                  provider_type="UNAVAILABLE")]
    assert parser.close() == []
    cut = PROTOCOL.new_parser()
    assert any(isinstance(e, TextDelta)
               for e in cut.feed(Frame(json.dumps(_chunk([{"text": "pa"}])))))
    [err] = cut.close()
    assert err.kind == "truncated" and "finish" in err.message
    assert cut.feed(Frame("[DONE]")) == [] and cut.feed(Frame("", event="ping")) == []
    [bad] = PROTOCOL.new_parser().feed(Frame("{not json"))
    assert bad.kind == "provider" and "not JSON" in bad.message


def test_code_execution_parts_become_server_tool_call_and_result():
    events = parse_response(_chunk([
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}}], finish="STOP"))
    from composer.models.assembler import Assembler
    asm = Assembler()
    for e in events:
        asm.feed(e)
    call, result = asm.parts()
    assert call.server_executed and call.arguments == {"language": "PYTHON", "code": "print(1)"}
    assert result.output == "1\n" and result.server_executed
    body, _ = to_body(Conversation(messages=[Message.text("user", "run"), asm.message()]))
    assert body["contents"][1]["parts"] == [
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}}]


def test_output_attachment_event_for_file_data():
    events = parse_response(_chunk([{"fileData": {"mimeType": "audio/wav", "fileUri": "gs://x"}}],
                                   finish="STOP"))
    assert OutputAttachment(key="1", mime="audio/wav", url="gs://x") in events


# -- errors and models --------------------------------------------------------------------------


def test_parse_error_reads_status_type_retry_and_request_id():
    body = json.dumps({"error": {"code": 429, "message": "Quota exceeded", "status":
                                 "RESOURCE_EXHAUSTED", "details": [
                                     {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                      "retryDelay": "34s"}]}}).encode()
    err = PROTOCOL.parse_error(429, body, {"X-Request-Id": "req-1"})
    assert (err.kind, err.status, err.provider_type, err.message) == (
        "http", 429, "RESOURCE_EXHAUSTED", "Quota exceeded")
    assert err.retry_after == 34.0 and err.request_id == "req-1"
    header = PROTOCOL.parse_error(503, b'{"error": {"message": "busy"}}', {"Retry-After": "2"})
    assert header.retry_after == 2.0 and header.message == "busy"


def test_parse_error_tolerates_non_json_bodies():
    err = PROTOCOL.parse_error(502, b"<html><body>Bad Gateway</body></html>", {})
    assert err.kind == "http" and err.status == 502
    assert err.message == "HTTP 502: <html><body>Bad Gateway</body></html>"
    assert PROTOCOL.parse_error(500, b"", {}).message == "HTTP 500"
    assert PROTOCOL.parse_error(400, b"\xff\xfe", {}).status == 400
    assert PROTOCOL.parse_error(500, b"[" * 100_000, {}).message == "HTTP 500: " + "[" * 200


def test_models_request_and_list():
    req = PROTOCOL.models_request(base_url="", api_key="k")
    assert req.method == "GET" and req.headers == {"x-goog-api-key": "k"}
    assert req.url.startswith("https://generativelanguage.googleapis.com/v1beta/models")
    data = {"models": [
        {"name": "models/gemini-2.5-flash", "supportedGenerationMethods": ["generateContent"]},
        {"name": "models/embedding-001", "supportedGenerationMethods": ["embedContent"]},
        {"name": "models/gemini-x"}, {"nope": 1}, "junk"]}
    assert PROTOCOL.parse_models(data) == ["gemini-2.5-flash", "gemini-x"]
    assert PROTOCOL.parse_models([]) == []


def test_search_grounding_and_citation_sources_become_citations_once_each():
    def chunk(candidate):
        return "data: " + json.dumps({"candidates": [{"index": 0, **candidate}]}) + "\r\n\r\n"

    web = [{"web": {"uri": "https://a.example/rome", "title": "a.example"}},
           {"web": {"uri": "https://b.example/", "title": "b.example"}}]
    body = (chunk({"content": {"role": "model", "parts": [{"text": "Rome is "}]}})
            + chunk({"content": {"role": "model", "parts": [{"text": "sunny."}]},
                     "citationMetadata": {"citationSources": [{"uri": "https://b.example/"}]}})
            + chunk({"content": {"role": "model", "parts": [{"text": ""}]},
                     "groundingMetadata": {"groundingChunks": web},
                     "finishReason": "STOP"}))
    assembler = assemble(PROTOCOL.new_parser(), frames(body))
    (text,) = assembler.parts()
    assert text.text == "Rome is sunny."
    assert [(c.url, c.title) for c in text.citations] == [
        ("https://b.example/", None), ("https://a.example/rome", "a.example")]
    assert assembler.stop_reason == "stop"


def test_a_tool_result_held_as_json_that_json_cannot_read_is_sent_as_text():
    """Writing a functionResponse whose output was JSON on the way in: output that is not a
    JSON object any more (edited to a 5,000-digit number, nested past the limit) goes as text
    instead of raising out of to_body."""
    for output in ("1" * 5000, "[" * 150 + "]" * 150, ""):
        conv = Conversation(messages=[
            Message.text("user", "go"),
            Message(role="assistant", parts=[ToolCallPart(name="f", arguments={},
                                                          tool_call_id="c1")]),
            Message(role="tool", parts=[ToolResultPart(
                name="f", output=output, tool_call_id="c1",
                provider_metadata={"gemini": {"responseJson": True}})])])
        body, _ = to_body(conv)
        response = body["contents"][-1]["parts"][0]["functionResponse"]["response"]
        assert response == {"output": output}
