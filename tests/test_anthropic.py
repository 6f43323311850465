"""The anthropic format (request body <-> conversation) and wire protocol, on hand-made input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.models import formats
from composer.models.assembler import Assembler
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats.anthropic import FORMAT, detect, from_body, to_body
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool
from composer.providers.anthropic import PROTOCOL, parse_response
from composer.providers.base import Frame, RequestRefused
from tests.trials import examples

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()

RICH_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 8192,
    "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
    "thinking": {"type": "enabled", "budget_tokens": 2048, "display": "summarized"},
    "temperature": 1,
    "top_k": 40,
    "stop_sequences": ["END"],
    "metadata": {"user_id": "u-1"},
    "tools": [
        {"name": "lookup", "description": "Look a word up",
         "input_schema": {"type": "object", "properties": {"word": {"type": "string"}}},
         "cache_control": {"type": "ephemeral"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
    ],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    "messages": [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                            "data": PDF},
             "title": "report.pdf", "citations": {"enabled": True}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                            "data": "notes: ünïcode"}, "title": "notes.txt"},
            {"type": "document", "source": {"type": "file", "file_id": "file_011"}},
            {"type": "text", "text": "Use the tool.", "cache_control": {"type": "ephemeral"}},
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Let me look.", "signature": "EoQDsig=="},
            {"type": "redacted_thinking", "data": "EqkECkYIBxgCredacted"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
             "input": {"query": "word"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
             "content": [{"type": "web_search_result", "title": "Word", "url": "https://w.org",
                          "encrypted_content": "Eabc"}]},
            {"type": "text", "text": "Found it.",
             "citations": [{"type": "web_search_result_location", "cited_text": "a word",
                            "url": "https://w.org", "title": "Word", "encrypted_index": "Ex"}]},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"word": "hi"}},
            {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {"word": "yo"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a greeting"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": True,
             "content": [{"type": "text", "text": "not found"},
                         {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                      "data": PNG}}]},
            {"type": "text", "text": "Thanks. And now?"},
        ]},
    ],
}


def _round_trip(body: dict[str, Any]) -> tuple[dict[str, Any], list]:
    imported = from_body(json.loads(json.dumps(body)), "rich.json")
    out, losses = to_body(imported.conversation)
    return out, imported.losses + losses


# -- import -----------------------------------------------------------------------------------


def test_import_maps_every_block_kind_to_parts():
    imported = from_body(RICH_BODY, "rich.json")
    assert imported.losses == []
    conv = imported.conversation
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool", "user"]
    system, user, assistant, tool, after = conv.messages
    assert system.parts[0].provider_metadata == {"anthropic": {"cache_control":
                                                               {"type": "ephemeral"}}}
    png, url_image, pdf, text_doc, file_doc, text = user.parts
    assert png.attachment == Attachment(type="image/png", content=PNG)
    assert url_image.attachment.url == "https://example.com/a.jpg"
    assert url_image.attachment.kind == "image"
    assert pdf.attachment.type == "application/pdf"
    assert pdf.provider_metadata["anthropic"]["title"] == "report.pdf"
    assert text_doc.attachment.data().decode() == "notes: ünïcode"
    assert file_doc.provider_metadata["anthropic"]["source"]["file_id"] == "file_011"
    assert text.text == "Use the tool."
    thinking, redacted, search, found, said, call1, call2 = assistant.parts
    assert thinking == ReasoningPart(text="Let me look.",
                                     provider_metadata={"anthropic": {"signature": "EoQDsig=="}})
    assert redacted.redacted and redacted.provider_metadata == {
        "anthropic": {"type": "redacted_thinking", "data": "EqkECkYIBxgCredacted"}}
    assert isinstance(search, ToolCallPart) and search.server_executed
    assert isinstance(found, ToolResultPart) and found.server_executed
    assert found.name == "web_search" and "https://w.org" in found.output
    assert said.citations[0].url == "https://w.org"
    assert (call1.name, call1.tool_call_id, call1.arguments) == ("lookup", "toolu_1",
                                                                 {"word": "hi"})
    ok, failed = tool.parts
    assert (ok.name, ok.output, ok.exception) == ("lookup", "a greeting", None)
    assert failed.exception == "not found" and failed.attachments[0].type == "image/png"
    assert after.plain_text == "Thanks. And now?"
    s = conv.settings
    assert s.model == "claude-sonnet-4-5"
    assert s.options == {"max_tokens": 8192, "temperature": 1, "stop": ["END"],
                         "thinking_budget": 2048}
    assert s.tool_choice == "required"
    assert s.extra_body == {"top_k": 40, "metadata": {"user_id": "u-1"},
                            "thinking": {"display": "summarized"},
                            "tool_choice": {"disable_parallel_tool_use": True}}
    assert s.tools[0].parameters["properties"]["word"] == {"type": "string"}
    assert s.tools[1].name == "web_search"


def test_whole_body_round_trips_exactly():
    out, losses = _round_trip(RICH_BODY)
    assert losses == []
    assert out == {**RICH_BODY, "system": RICH_BODY["system"]}


def test_round_trip_survives_our_own_file_format():
    """provider_metadata must live through a save and load of the conversation file."""
    conv = from_body(RICH_BODY).conversation
    again = Conversation.model_validate(json.loads(json.dumps(conv.to_dict())))
    assert to_body(again)[0] == RICH_BODY


def test_plain_string_content_and_system():
    body = {"model": "m", "max_tokens": 10, "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hi"}]}
    conv = from_body(body).conversation
    assert conv.messages[0] == Message.text("system", "Be brief.")
    assert to_body(conv)[0] == body


def test_vertex_body_keeps_anthropic_version_and_has_no_model():
    body = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hi"}]}
    conv = from_body(body).conversation
    assert conv.settings.model == ""
    assert to_body(conv)[0] == body


def test_structured_output_schema_and_effort():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    body = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}],
            "output_config": {"effort": "low", "format": {"type": "json_schema",
                                                          "schema": schema}}}
    conv = from_body(body).conversation
    assert conv.settings.response_schema == schema
    assert conv.settings.options["reasoning_effort"] == "low"
    assert to_body(conv)[0] == body


def test_unknown_block_is_a_dropped_loss_not_an_error():
    body = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "a"}, {"type": "hologram", "beam": 1}]}]}
    imported = from_body(body)
    assert len(imported.losses) == 1 and imported.losses[0].dropped
    assert "hologram" in str(imported.losses[0])


# -- export from conversations made elsewhere -------------------------------------------------


def _conv(*messages: Message, **settings: Any) -> Conversation:
    return Conversation(messages=list(messages),
                        settings=RequestSettings(provider="anthropic", model="m", **settings))


def test_reasoning_of_another_provider_is_stripped_with_a_note():
    conv = _conv(Message.text("user", "q"), Message(role="assistant", parts=[
        ReasoningPart(text="hmm", provider_metadata={"openai": {"id": "rs_1"}}),
        TextPart(text="a")]))
    body, losses = to_body(conv)
    assert body["messages"][1]["content"] == "a"
    assert len(losses) == 1 and not losses[0].dropped
    assert "openai" in losses[0].problem
    assert (losses[0].message_index, losses[0].part_index) == (1, 0)


def test_tool_messages_merge_into_one_user_turn_and_ids_are_paired():
    conv = _conv(
        Message.text("user", "q"),
        Message(role="assistant", parts=[ToolCallPart(name="f", arguments={"x": 1}),
                                         ToolCallPart(name="g", arguments={})]),
        Message(role="tool", parts=[ToolResultPart(name="g", output="G")]),
        Message(role="tool", parts=[ToolResultPart(name="f", output="F")]),
        Message.text("user", "and?"),
    )
    body, losses = to_body(conv)
    assert losses == []
    calls = body["messages"][1]["content"]
    ids = {c["name"]: c["id"] for c in calls}
    assert len(set(ids.values())) == 2
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": ids["g"], "content": "G"},
        {"type": "tool_result", "tool_use_id": ids["f"], "content": "F"},
        {"type": "text", "text": "and?"}]}


def test_attachments_each_kind(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n", encoding="utf-8")
    conv = _conv(Message(role="user", parts=[
        AttachmentPart(attachment=Attachment.from_path(notes)),
        AttachmentPart(attachment=Attachment(type="application/pdf", url="https://x/y.pdf")),
        AttachmentPart(attachment=Attachment(type="image/webp", content=PNG)),
        TextPart(text="see"),
    ]))
    body, losses = to_body(conv)
    assert losses == []
    text_doc, pdf, image, _ = body["messages"][0]["content"]
    assert text_doc == {"type": "document", "title": "notes.md", "source": {
        "type": "text", "media_type": "text/plain", "data": "# Notes\n"}}
    assert pdf == {"type": "document", "source": {"type": "url", "url": "https://x/y.pdf"}}
    assert image["source"] == {"type": "base64", "media_type": "image/webp", "data": PNG}


def test_audio_attachment_is_dropped_and_the_request_refused_naming_row_and_part():
    conv = _conv(Message.text("user", "hello"), Message(role="assistant", parts=[TextPart(
        text="hi")]), Message(role="user", parts=[
            TextPart(text="listen"),
            AttachmentPart(attachment=Attachment(type="audio/wav", content="UklGRg=="))]))
    _, losses = to_body(conv)
    assert [(x.message_index, x.part_index, x.dropped) for x in losses] == [(2, 1, True)]
    with pytest.raises(RequestRefused) as info:
        PROTOCOL.build_request(conv, base_url=None, api_key="k")
    assert (info.value.message_index, info.value.part_index) == (2, 1)
    assert str(info.value).startswith("row 3, part 2: audio/wav")


def test_seed_refuses_naming_the_setting():
    conv = _conv(Message.text("user", "x"), options={"seed": 7})
    with pytest.raises(RequestRefused) as info:
        PROTOCOL.build_request(conv, base_url=None, api_key="k")
    assert info.value.field_name == "seed"
    assert info.value.message_index is None


def test_extra_body_merges_last_and_one_level_deep():
    conv = _conv(Message.text("user", "x"), options={"thinking_budget": 1000},
                 tools=[Tool(name="f")], tool_choice={"name": "f"},
                 extra_body={"thinking": {"display": "omitted"}, "top_k": 5,
                             "tool_choice": {"disable_parallel_tool_use": True}})
    body, _ = to_body(conv)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1000, "display": "omitted"}
    assert body["tool_choice"] == {"type": "tool", "name": "f", "disable_parallel_tool_use": True}
    assert body["top_k"] == 5


# -- build_request ----------------------------------------------------------------------------


def test_build_request_url_headers_stream_and_defaults():
    conv = _conv(Message.text("system", "sys"), Message.text("user", "hi"),
                 headers={"anthropic-beta": "files-api-2025-04-14"})
    req = PROTOCOL.build_request(conv, base_url=None, api_key="sk-ant-secret")
    assert req.method == "POST" and req.url == "https://api.anthropic.com/v1/messages"
    assert req.headers["x-api-key"] == "sk-ant-secret"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert req.headers["anthropic-beta"] == "files-api-2025-04-14"
    assert req.body == {"model": "m", "max_tokens": 4096, "system": "sys",
                        "messages": [{"role": "user", "content": "hi"}],
                        "stream": True}
    shown = req.redacted()
    assert shown.headers["x-api-key"] == "<redacted>"
    assert "sk-ant-secret" not in json.dumps(shown.headers) and "sk-ant" not in req.curl()


def test_max_tokens_exceeds_thinking_budget_and_base_with_v1():
    conv = _conv(Message.text("user", "hi"), options={"thinking_budget": 10000})
    req = PROTOCOL.build_request(conv, base_url="http://localhost:8080/v1/", api_key=None)
    assert req.url == "http://localhost:8080/v1/messages"
    assert "x-api-key" not in req.headers
    assert req.body["max_tokens"] > 10000
    assert req.body["thinking"] == {"type": "enabled", "budget_tokens": 10000}
    conv.settings.options["max_tokens"] = 5000
    with pytest.raises(RequestRefused, match="max_tokens"):
        PROTOCOL.build_request(conv, base_url=None, api_key="k")


def test_notes_reach_the_request():
    conv = _conv(Message.text("user", "q"),
                 Message(role="assistant", parts=[ReasoningPart(text="r"), TextPart(text="a")]),
                 Message.text("user", "more"))
    req = PROTOCOL.build_request(conv, base_url=None, api_key="k")
    assert req.notes == ["message 2, part 1: reasoning without an Anthropic signature left out"]


def test_no_model_is_refused():
    conv = Conversation(messages=[Message.text("user", "x")])
    with pytest.raises(RequestRefused, match="model"):
        PROTOCOL.build_request(conv, base_url=None, api_key="k")


# -- detection --------------------------------------------------------------------------------


def test_detects_its_own_bodies_and_arrays():
    assert detect(RICH_BODY) >= 0.9
    assert detect(RICH_BODY["messages"]) >= 0.9
    assert detect({"anthropic_version": "v", "max_tokens": 1,
                   "messages": [{"role": "user", "content": "x"}]}) >= 0.9
    assert formats.detect(json.dumps(RICH_BODY)).name == "anthropic"


@pytest.mark.parametrize("other", [
    {"model": "gpt-4o", "messages": [{"role": "system", "content": "s"},
                                     {"role": "user", "content": "x"}]},
    {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]}]},
    [{"role": "user", "content": "plain"}],
    {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
    {"model": "m", "input": [{"role": "user", "content": "x"}]},
    {"model": "m", "prompt": {"messages": []}, "messages": []},
    [{"role": "user", "parts": [{"type": "text", "text": "x"}]}],
    "text", 3, None, [],
])
def test_does_not_claim_other_formats(other):
    assert detect(other) < 0.5


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "location"), [
    ({"messages": "hi"}, "$.messages"),
    ({"model": "m"}, "$.messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "$.messages[0].role"),
    ({"messages": [{"role": "user", "content": 5}]}, "$.messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": 5}}]}]},
     "$.messages[0].content[0].source.data"),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": "!!not base64!!"}}]}]},
     "$.messages[0].content[0].source.data"),
    ({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t",
                                                      "name": "f", "input": []}]}]},
     "$.messages[0].content[0].input"),
    ({"messages": [], "system": [{"type": "image"}]}, "$.system[0].type"),
    ({"messages": [], "max_tokens": "lots"}, "$.max_tokens"),
    ({"messages": [], "tool_choice": {"type": "maybe"}}, "$.tool_choice.type"),
    ({"messages": [], "tools": [{"name": "f", "input_schema": "x"}]}, "$.tools[0].input_schema"),
    ([{"role": "user", "content": [3]}], "$[0].content[0]"),
])
def test_bad_input_is_one_format_error_with_its_location(body, location):
    with pytest.raises(FormatError) as info:
        FORMAT.load(body, "in.json")
    assert info.value.location == location
    assert info.value.source == "in.json"
    assert "\n" not in str(info.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "role", "content", "text", "source", "data", "messages",
                         "system", "tools", "input", "id", "name", "tool_use_id", "thinking",
                         "media_type", "url", "tool_choice", "is_error", "citations",
                         "max_tokens", "signature", "input_schema", "output_config"]),
        inner, max_size=5),
    max_leaves=30)


def _mutations(value: Any) -> st.SearchStrategy:
    """The rich body with one value somewhere replaced by junk, or a list cut short."""
    paths: list[tuple] = []

    def walk(v: Any, path: tuple) -> None:
        paths.append(path)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, (*path, k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, (*path, i))

    walk(value, ())

    def apply(path: tuple, junk: Any, cut: bool) -> Any:
        copy = json.loads(json.dumps(value))
        if not path:
            return junk
        target = copy
        for step in path[:-1]:
            target = target[step]
        if cut and isinstance(target[path[-1]], list):
            target[path[-1]] = target[path[-1]][:1]
        elif cut and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = junk
        return copy

    return st.builds(apply, st.sampled_from(paths), _json, st.booleans())


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_json, _mutations(RICH_BODY)))
def test_any_json_value_loads_or_raises_one_format_error(value):
    try:
        imported = FORMAT.load(value, "fuzz.json")
    except FormatError as exc:
        assert str(exc).startswith("fuzz.json")
        return
    FORMAT.dump(imported.conversation)


# -- parser -----------------------------------------------------------------------------------


def _sse(*events: dict[str, Any]) -> list[Frame]:
    return [Frame(json.dumps(e), e.get("type")) for e in events]


START = {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {
    "input_tokens": 10, "cache_read_input_tokens": 90, "cache_creation_input_tokens": 5,
    "output_tokens": 1}}}


def _run(frames: list[Frame]) -> tuple[Assembler, list]:
    parser, assembler, events = PROTOCOL.new_parser(), Assembler(), []
    for frame in frames:
        events.extend(parser.feed(frame))
    events.extend(parser.close())
    for event in events:
        assembler.feed(event)
    return assembler, events


def test_stream_without_message_stop_is_truncated():
    assembler, events = _run(_sse(START, {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}},
                                  {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "text_delta", "text": "Hel"}}))
    assert assembler.parts() == [TextPart(text="Hel")]
    assert assembler.error.kind == "truncated"
    assert assembler.usage.input == 105 and assembler.usage.details["cached_tokens"] == 90


def test_in_band_error_is_a_provider_error_and_not_also_truncated():
    assembler, events = _run(_sse(START, {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}))
    errors = [e for e in events if e.__class__.__name__ == "StreamError"]
    assert len(errors) == 1
    assert errors[0].kind == "provider" and errors[0].provider_type == "overloaded_error"
    assert "Overloaded" in errors[0].message


@pytest.mark.parametrize(("raw", "reason"), [("refusal", "refusal"), ("max_tokens", "length"),
                                             ("pause_turn", "pause_turn"),
                                             ("stop_sequence", "stop")])
def test_stop_reasons_are_normalised(raw, reason):
    assembler, _ = _run(_sse(START, {"type": "message_delta", "delta": {"stop_reason": raw},
                                     "usage": {"output_tokens": 7}},
                             {"type": "message_stop"}))
    assert assembler.finish.reason == reason and assembler.finish.raw == raw
    assert assembler.usage.output == 7 and assembler.error is None


def test_redacted_thinking_citations_and_unknown_events():
    assembler, _ = _run(_sse(
        START,
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "redacted_thinking", "data": "EqRED"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "ping"},
        {"type": "future_event", "stuff": 1},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "text", "text": "", "citations": []}},
        {"type": "content_block_delta", "index": 1, "delta": {
            "type": "citations_delta", "citation": {"type": "web_search_result_location",
                                                    "url": "https://n.org", "title": "N",
                                                    "cited_text": "c", "encrypted_index": "E"}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta",
                                                              "text": "News."}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_stop"}))
    redacted, text = assembler.parts()
    assert redacted == ReasoningPart(redacted=True, provider_metadata={"anthropic": {
        "type": "redacted_thinking", "data": "EqRED"}})
    assert text.text == "News." and text.citations[0].url == "https://n.org"
    # Exported again, the redacted block and the citations are replayed verbatim.
    conv = _conv(Message.text("user", "q"), assembler.message())
    sent = to_body(conv)[0]["messages"][1]["content"]
    assert sent[0] == {"type": "redacted_thinking", "data": "EqRED"}
    assert sent[1]["citations"][0]["encrypted_index"] == "E"


def test_unreadable_frame_is_an_error_not_an_exception():
    parser = PROTOCOL.new_parser()
    (event,) = parser.feed(Frame("{not json", "content_block_delta"))
    assert event.kind == "provider" and "unreadable" in event.message


def test_zero_argument_tool_call_is_an_empty_object():
    assembler, _ = _run(_sse(
        START,
        {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_9", "name": "now", "input": {}}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {
            "output_tokens": 3}},
        {"type": "message_stop"}))
    assert assembler.parts() == [ToolCallPart(name="now", tool_call_id="toolu_9")]
    assert assembler.stop_reason == "tool_calls"


def test_parse_response_of_a_plain_reply():
    events = parse_response({"id": "msg_2", "type": "message", "role": "assistant",
                             "model": "c", "content": [
                                 {"type": "thinking", "thinking": "t", "signature": "S"},
                                 {"type": "text", "text": "done"}],
                             "stop_reason": "end_turn",
                             "usage": {"input_tokens": 3, "output_tokens": 4}})
    assembler = Assembler()
    for e in events:
        assembler.feed(e)
    assert assembler.parts() == [
        ReasoningPart(text="t", provider_metadata={"anthropic": {"signature": "S"}}),
        TextPart(text="done")]
    assert (assembler.usage.input, assembler.usage.output) == (3, 4)
    assert assembler.stop_reason == "stop"


def test_server_tools_of_another_provider_are_left_out_with_a_note():
    conv = _conv(Message.text("user", "q"), Message(role="assistant", parts=[
        ToolCallPart(name="web_search", tool_call_id="ws_1", server_executed=True,
                     provider_metadata={"openai": {"id": "ws_1"}}),
        TextPart(text="found")]), Message.text("user", "thanks"))
    body, losses = to_body(conv)
    assert body["messages"][1]["content"] == "found"
    assert [(x.message_index, x.part_index, x.dropped) for x in losses] == [(1, 0, False)]


@pytest.mark.parametrize(("options", "field"), [({"max_tokens": "many"}, "max_tokens"),
                                                ({"thinking_budget": 1.5}, "thinking_budget")])
def test_unusable_token_settings_are_refused(options, field):
    conv = _conv(Message.text("user", "x"), options=options)
    with pytest.raises(RequestRefused) as info:
        PROTOCOL.build_request(conv, base_url=None, api_key="k")
    assert info.value.field_name == field and str(info.value).startswith(field)
